"""Drain benchmark (a script, not a timed test): a mass disruption announcement of one merchant
paced at its SES quota (or, ``--channel sms``, at the stack's SMS rate), with urgent notices
arriving in the middle of it.

    .venv/bin/python benchmarks/notice_drain.py [--notices 100000] [--rate 14] [--jitter 0]
        [--producer fanout|dispatch] [--model 1000000] [--schedule-only]
        [--channel email|sms] [--sns-mps 20] [--unpaced]

``--channel sms`` announces by SMS: ``--rate`` is then the stack's ``sms_send_rate`` (SmsSendRate,
SMS per second, every merchant's together), and the fake SNS refuses a Publish that would put more
than ``--sns-mps`` message parts into any one-second window (SNS counts SMS throughput in parts;
the bundled Chinese SMS, with a short link on a short host, are two). The urgent notices are SMS
too, so transactional and bulk SMS share the rate.

The real dispatch runs on the embedded AWS (claims, send-rate buckets and the notice log in
DynamoDB on moto) with a virtual clock, an in-memory Notices queue that honours DelaySeconds and a
fake SES that throttles as SES does (``delaydesk_local/drain.py``). It prints the virtual drain
time against the ideal N / rate, the most sends in any one-second window, SES throttling errors,
sends, queueings (every SendMessage of a notice, the first included) and re-queues per
announcement, DynamoDB and SQS calls per notice, the urgent notices' waits, and wall time, then a
model of ``--model`` announcements from the measured per-notice figures.

``--producer fanout`` (the default, after issue 12 item 5) queues the announcement as the
recompute's pages do, through the real ``scan.queue_notices``: each page takes a block of send
slots, each notice is queued with DelaySeconds up to its slot, or written to the slot table and
queued by the five-minute slot release. ``--producer dispatch`` (before) queues every notice at
once with no slot, and dispatch paces them by re-queueing each until its turn.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from math import ceil, nan
from pathlib import Path
from typing import Any

import msgspec

from delaydesk import store
from delaydesk.core import pacing
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.kinds import Kind, NoticeChannel, NoticeRequest
from delaydesk.core.merchants import Merchant, NoticePolicy
from delaydesk_local.drain import Drain, direct_dynamodb, key_of
from delaydesk_local.metering import metered
from delaydesk_local.runtime import LocalAws
from delaydesk_local.seeding import seed_orders

ORDER_TEMPLATE = json.loads(
    (Path(__file__).parents[1] / "tests/events/contract/order_paid.json").read_text(encoding="utf-8")
)
MERCHANT = ORDER_TEMPLATE["order"]["merchant_id"]
START = datetime(2020, 1, 24, 4, 0, tzinfo=UTC)  # noon in Shanghai
URGENT_KINDS = (Kind.DELIVERY_EXCEPTION, Kind.SHIPMENT_DELAYED)
URGENT_AT = (0.25, 0.5, 0.75)
"""When urgent notices arrive, as fractions of the ideal drain time (plus half a second)."""


SHORT_LINK_BASE = "https://s.shop.example"
"""SMS carry the order's short link on a short host (ShortLinkDomain), as a deployment that sends
SMS should: a Chinese SMS then keeps to two parts."""


def notice(order_id: str, kind: Kind, channel: NoticeChannel = NoticeChannel.EMAIL) -> NoticeRequest:
    return NoticeRequest(
        order_id=order_id,
        merchant_id=MERCHANT,
        kind=kind,
        stage=0,
        channel=channel,
        requested_at=START,
        rule="window_declared" if kind == Kind.DISRUPTION_ANNOUNCEMENT else "ship_by",
        reason="public_health",
        delay_kind=Kind.SHIPMENT_DELAYED,
        delay_started_at=START,
        eta_from=date(2020, 2, 10),
        eta_to=date(2020, 2, 14),
        details={"window_id": "cny2020", "window_reason": "public_health"}
        if kind == Kind.DISRUPTION_ANNOUNCEMENT
        else {},
    )


def _setup(
    channel: NoticeChannel, rate: float, bulk_share: float | None, unpaced: bool = False
) -> tuple[dict[str, Any], Settings]:
    """The merchant's notice policy and the settings: e-mail paced by the merchant's max_send_rate,
    SMS by the stack's sms_send_rate (the merchant keeps no e-mail rate then; ``unpaced``: SMS as
    before SmsSendRate, sms_send_rate 0)."""
    policy: dict[str, Any] = {} if channel == NoticeChannel.SMS else {"max_send_rate": rate}
    if bulk_share is not None:
        policy["bulk_share"] = bulk_share
    settings = get_settings()
    if channel == NoticeChannel.SMS:
        settings = msgspec.structs.replace(
            settings, sms_send_rate=0 if unpaced else rate, short_link_base_url=SHORT_LINK_BASE
        )
    return policy, settings


def run(
    notices: int,
    rate: float,
    jitter: float,
    bulk_share: float | None,
    botocore: bool,
    producer: str = "fanout",
    channel: NoticeChannel = NoticeChannel.EMAIL,
    sns_mps: float = 20.0,
    unpaced: bool = False,
) -> dict[str, Any]:
    policy, settings = _setup(channel, rate, bulk_share, unpaced)
    with Path(os.devnull).open("w", encoding="utf-8") as devnull, LocalAws(log_stream=devnull) as local:
        shop = Merchant.model_validate(
            {
                "merchant_id": MERCHANT,
                "name": "Bench Shop",
                "timezone": "Asia/Shanghai",
                "default_locale": "zh-CN",
                "from_email": "notices@shop.example",
                "settings": {"notices": policy},
            }
        )
        store.put_merchant(shop)
        local.verify_sender("notices@shop.example")
        urgent_count = len(URGENT_AT) * len(URGENT_KINDS)
        seeding = time.perf_counter()
        seed_orders(ORDER_TEMPLATE, notices + urgent_count, 0, START)
        seeded = time.perf_counter() - seeding

        drain = Drain(rate, START.timestamp(), settings, jitter=jitter, sns_mps=sns_mps)
        with metered() as fan_out_meter, contextlib.nullcontext() if botocore else direct_dynamodb():
            if producer == "fanout":
                drain.announce([notice(f"seed-{i:06d}", Kind.DISRUPTION_ANNOUNCEMENT, channel) for i in range(notices)])
            else:
                for i in range(notices):
                    drain.submit(notice(f"seed-{i:06d}", Kind.DISRUPTION_ANNOUNCEMENT, channel))
        ideal = notices / rate
        urgent: list[NoticeRequest] = []
        for n, fraction in enumerate(URGENT_AT):
            for m, kind in enumerate(URGENT_KINDS):
                request = notice(f"seed-{notices + n * len(URGENT_KINDS) + m:06d}", kind, channel)
                drain.submit(request, at=START.timestamp() + int(fraction * ideal) + 0.5)
                urgent.append(request)

        started = time.perf_counter()
        with metered() as meter, contextlib.nullcontext() if botocore else direct_dynamodb():
            result = drain.run(lambda handled: print(f"  … {handled:,} messages handled", file=sys.stderr))
        wall = time.perf_counter() - started
        sent_in_log = Counter(n.status for n in store.all_notices())

    provider = drain.sns if channel == NoticeChannel.SMS else drain.ses
    sends = provider.sends
    per_key = Counter((s.order_id, s.kind) for s in sends)
    first_send = {}
    for s in sends:
        first_send.setdefault((s.order_id, s.kind), s.at)
    total = notices + urgent_count
    announcements = (notice(f"seed-{i:06d}", Kind.DISRUPTION_ANNOUNCEMENT, channel) for i in range(notices))
    keys = [key_of(r) for r in announcements]
    requeues = [result.requeues.get(key, 0) for key in keys]
    queueings = [drain.queue.queued.get(key, 0) for key in keys]
    bulk_last = max(s.at for s in sends if s.kind == Kind.DISRUPTION_ANNOUNCEMENT.value)
    dynamodb = sum(meter.calls.values()) + sum(fan_out_meter.calls.values())
    calls = Counter(meter.calls) + Counter(fan_out_meter.calls)
    return {
        "notices": total,
        "announcements": notices,
        "rate": rate,
        "drain_seconds": bulk_last - START.timestamp(),
        "ideal_seconds": ideal,
        "share_seconds": ideal / (bulk_share if bulk_share is not None else NoticePolicy().bulk_share),
        "channel": channel.value,
        "sns_mps": sns_mps,
        "max_in_window": provider.max_in_window(),
        "max_parts_in_window": provider.max_in_window(parts=True),
        "parts": Counter(s.parts for s in sends),
        "throttled": provider.throttled,
        "sends": len(sends),
        "keys_sent": len(per_key),
        "duplicates": sum(n - 1 for n in per_key.values() if n > 1),
        "lost": total - len(per_key),
        "log": dict(sent_in_log),
        "producer": producer,
        "bulk_share": bulk_share if bulk_share is not None else NoticePolicy().bulk_share,
        "requeues_mean": sum(requeues) / len(requeues),
        "requeues_max": max(requeues),
        "queueings_mean": sum(queueings) / len(queueings),
        "queueings_max": max(queueings),
        "queueings_over_2": sum(1 for q in queueings if q > 2),
        "releases": result.releases,
        "dynamodb_per_notice": dynamodb / total,
        "dynamodb_by_operation": {k: v / total for k, v in sorted(calls.items())},
        "fan_out_dynamodb": sum(fan_out_meter.calls.values()),
        "sqs_send_per_notice": drain.queue.sent / total,
        "sqs_batch_calls_per_notice": drain.sqs.calls / total,
        "sqs_received_per_notice": drain.queue.received / total,
        "outcomes": dict(result.outcomes),
        "urgent_waits": [
            (r.kind.value, submitted - START.timestamp(), first_send.get((r.order_id, r.kind.value), nan) - submitted)
            for r in urgent
            for submitted in [drain.result.submitted_at[key_of(r)]]
        ],
        "wall_seconds": wall,
        "seed_seconds": seeded,
    }


def schedule_only(
    notices: int, rate: float, bulk_share: float | None, channel: NoticeChannel = NoticeChannel.EMAIL
) -> None:
    """``--schedule-only``: the fan-out and the slot releases at full size, without dispatch
    (whose per-notice cost the drain runs measure): queueings per notice, and when each notice
    reaches dispatch against its ticket and the ideal drain."""
    policy, settings = _setup(channel, rate, bulk_share)
    share = bulk_share if bulk_share is not None else NoticePolicy().bulk_share
    with Path(os.devnull).open("w", encoding="utf-8") as devnull, LocalAws(log_stream=devnull) as local:
        del local
        shop = {"merchant_id": MERCHANT, "name": "Bench Shop", "settings": {"notices": policy}}
        store.put_merchant(Merchant.model_validate(shop))
        drain = Drain(rate, START.timestamp(), settings)
        started = time.perf_counter()
        with metered() as meter, direct_dynamodb():
            drain.announce([notice(f"seed-{i:06d}", Kind.DISRUPTION_ANNOUNCEMENT, channel) for i in range(notices)])
            slotted = notices - drain.queue.sent
            drain.run(dispatching=False)
        wall = time.perf_counter() - started
    queued = [drain.queue.queued[key] for key in drain.announced]
    late = [at - (request.bulk_slot or nan) for at, request in drain.arrivals.values()]
    last = max(at for at, _ in drain.arrivals.values()) - START.timestamp()
    print(f"schedule only: {notices:,} {channel.value} announcements at {rate:g}/s, bulk share {share:g}")
    print(f"queueings per announcement: mean {sum(queued) / len(queued):.3f}, max {max(queued)}")
    print(f"slot table: {slotted:,} notices ({slotted / notices:.1%}); slot releases run: {drain.result.releases}")
    print(
        f"at dispatch: each notice arrives {min(late):.2f} to {max(late):.2f} s after its ticket; the last at "
        f"{last:,.0f} s (N/(share x rate) {notices / (rate * share):,.0f} s, N/rate {notices / rate:,.0f} s)"
    )
    calls = sum(meter.calls.values())
    print(
        f"fan-out and releases: {calls / notices:.3f} DynamoDB calls per notice ({dict(meter.calls)}), "
        f"{drain.sqs.calls / notices:.3f} SendMessageBatch calls per notice; wall {wall:,.0f} s"
    )


def model(r: dict[str, Any], n: int) -> list[str]:
    """A model of ``n`` announcements from the measured run ``r`` (same rate and share)."""
    bulk = r["rate"] * r["bulk_share"]
    drain = n / bulk
    lines = [f"model for {n:,} announcements at {r['rate']:g}/s (bulk share {r['bulk_share']:g}):"]
    lines.append(
        f"  drain {drain:,.0f} s ({drain / 3600:.1f} h): N/(share x rate), the pace measured above "
        f"({r['drain_seconds'] / (r['announcements'] / bulk):.4f} of it); ideal N/rate {n / r['rate']:,.0f} s"
    )
    if r["producer"] == "fanout":
        slotted = max(0, n - ceil(pacing.MAX_SQS_DELAY * bulk))
        lines.append(
            f"  queueings per notice: mean {r['queueings_mean']:.2f}, max {r['queueings_max']} as measured: a notice "
            "is queued once wherever its slot is (DelaySeconds, or the slot table and one release)"
        )
        lines.append(
            f"  slot table: {slotted:,} notices beyond 15 min; {ceil(drain / 300):,} releases of about "
            f"{ceil(300 * bulk):,} notices each"
        )
    else:
        # Each waits i / bulk seconds and comes back every 900 s (SQS's most), plus the last few passes.
        waits = (r["requeues_mean"] - r["drain_seconds"] / 2 / pacing.MAX_SQS_DELAY) if r["drain_seconds"] else 0.0
        mean = drain / 2 / pacing.MAX_SQS_DELAY + waits
        lines.append(
            f"  re-queues per notice: mean {mean:.1f}, max {drain / pacing.MAX_SQS_DELAY + waits:.1f} "
            "(one per 15 min of wait, plus the measured passes near the slot)"
        )
    lines.append(
        f"  DynamoDB calls {r['dynamodb_per_notice'] * n:,.0f}, SQS messages {r['sqs_send_per_notice'] * n:,.0f} "
        "(the measured figures per notice)"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="e-mail: max_send_rate (the SES quota, default 14); sms: the stack's sms_send_rate (default 10)",
    )
    parser.add_argument("--channel", choices=("email", "sms"), default="email", help="the announcement's channel")
    parser.add_argument(
        "--sns-mps", type=float, default=20.0, help="sms: message parts per second the fake SNS accepts (default 20)"
    )
    parser.add_argument(
        "--unpaced",
        action="store_true",
        help="sms: sms_send_rate 0, SMS sent as fast as dispatch goes (before SmsSendRate); --rate still names the "
        "rate the figures are compared with",
    )
    parser.add_argument("--jitter", type=float, default=0.0, help="delivery latency of the queue, 0 to N seconds")
    parser.add_argument("--bulk-share", type=float, default=None, help="the merchant's bulk_share (default: policy's)")
    parser.add_argument(
        "--botocore", action="store_true", help="DynamoDB calls through botocore and moto's HTTP layer (slower)"
    )
    parser.add_argument(
        "--producer",
        choices=("fanout", "dispatch"),
        default="fanout",
        help="fanout: scheduled into send slots as the recompute queues them (after); dispatch: all queued at "
        "once, paced by re-queueing (before)",
    )
    parser.add_argument("--model", type=int, default=1_000_000, help="announcements of the model printed at the end")
    parser.add_argument(
        "--schedule-only", action="store_true", help="the fan-out and slot releases at full size, no dispatch"
    )
    args = parser.parse_args()
    channel = NoticeChannel(args.channel)
    rate = args.rate if args.rate is not None else (10.0 if channel == NoticeChannel.SMS else 14.0)
    if args.schedule_only:
        schedule_only(args.notices, rate, args.bulk_share, channel)
        return
    r = run(
        args.notices,
        rate,
        args.jitter,
        args.bulk_share,
        args.botocore,
        args.producer,
        channel,
        args.sns_mps,
        args.unpaced,
    )
    print(f"producer: {r['producer']}; channel: {r['channel']}{' (unpaced: sms_send_rate 0)' if args.unpaced else ''}")
    urgent = r["notices"] - r["announcements"]
    print(f"notices: {r['notices']:,} ({r['announcements']:,} announcements + {urgent} urgent) at {r['rate']:g}/s")
    hours = r["drain_seconds"] / 3600
    print(
        f"virtual drain time: {r['drain_seconds']:,.0f} s ({hours:.2f} h); ideal N/rate {r['ideal_seconds']:,.0f} s, "
        f"at the bulk share N/(share x rate) {r['share_seconds']:,.0f} s"
    )
    print(f"most sends in any 1-second window: {r['max_in_window']} (quota {r['rate']:g})")
    if r["channel"] == "sms":
        parts = ", ".join(f"{n:,} of {k}" for k, n in sorted(r["parts"].items()))
        print(
            f"most SMS parts in any 1-second window: {r['max_parts_in_window']} (SNS quota {r['sns_mps']:g} MPS); "
            f"parts per SMS: {parts}"
        )
    print(f"{'SNS' if r['channel'] == 'sms' else 'SES'} throttling errors: {r['throttled']}")
    print(
        f"sends: {r['sends']:,} for {r['keys_sent']:,} notice keys: duplicates {r['duplicates']}, "
        f"lost {r['lost']}; notice log {r['log']}"
    )
    print(
        f"queueings per announcement (every SendMessage, the first included): mean {r['queueings_mean']:.3f}, "
        f"max {r['queueings_max']}; more than 2: {r['queueings_over_2']:,}"
    )
    print(f"re-queues per announcement (by dispatch): mean {r['requeues_mean']:.3f}, max {r['requeues_max']}")
    print(f"slot releases run: {r['releases']}; DynamoDB calls of the fan-out: {r['fan_out_dynamodb']:,}")
    print(
        f"per notice: {r['dynamodb_per_notice']:.2f} DynamoDB calls, {r['sqs_send_per_notice']:.2f} SQS "
        f"SendMessage, {r['sqs_received_per_notice']:.2f} deliveries (received ten per ReceiveMessage)"
    )
    for operation, per in r["dynamodb_by_operation"].items():
        print(f"  {operation:<12} {per:.2f} per notice")
    print(f"dispatch outcomes: {r['outcomes']}")
    for kind, at, waited in r["urgent_waits"]:
        print(f"urgent {kind:<20} arrived at {at:>8,.1f} s, waited {waited:.1f} s")
    print(f"wall time: {r['wall_seconds']:,.0f} s for the drain ({r['seed_seconds']:.0f} s to seed the orders)")
    if not args.unpaced:  # the model extrapolates the paced drain
        for line in model(r, args.model):
            print(line)


if __name__ == "__main__":
    main()
