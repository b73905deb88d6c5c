"""Shared fixtures: real payloads from tests/events, contract events, the embedded AWS."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from delaydesk.core.events import parse_event
from delaydesk.core.kinds import Kind, NoticeChannel, NoticeRequest
from delaydesk.core.merchants import Merchant
from delaydesk.core.orders import Order, apply_event

EVENTS = Path(__file__).parent / "events"


def load_event(name: str) -> dict[str, Any]:
    """A payload from tests/events (AWS shapes at the top, contract events under contract/)."""
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def contract_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A contract event from tests/events/contract, with nested overrides merged in."""
    return _merge(load_event(f"contract/{name}"), overrides)


def paid(order_id: str, at: str, *, hours: int = 24, **order: Any) -> dict[str, Any]:
    return contract_event(
        "order_paid",
        event_id=f"paid-{order_id}",
        at=at,
        order={"order_id": order_id, "paid_at": at, "ship_within_hours": hours, **order},
    )


def shipped(order_id: str, at: str, **fields: Any) -> dict[str, Any]:
    return contract_event("order_shipped", event_id=f"shipped-{order_id}", at=at, order_id=order_id, **fields)


def scan(order_id: str, at: str, status: str = "in_transit", **fields: Any) -> dict[str, Any]:
    return contract_event(
        "tracking", event_id=f"scan-{order_id}-{at}", at=at, order_id=order_id, status=status, **fields
    )


def merchant(**overrides: Any) -> Merchant:
    return Merchant.model_validate(_merge(load_event("contract/merchant"), overrides))


def order_from(*events: dict[str, Any]) -> Order:
    order: Order | None = None
    for raw in events:
        order = apply_event(order, parse_event(raw))
    assert order is not None
    return order


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def notice_request(**fields: Any) -> NoticeRequest:
    """A notice request as scan queues it: an e-mail about a late shipment, with ``fields`` changed."""
    base: dict[str, Any] = {
        "order_id": "TS-1",
        "merchant_id": "m-teahouse",
        "kind": Kind.SHIPMENT_DELAYED,
        "stage": 0,
        "channel": NoticeChannel.EMAIL,
        "requested_at": instant("2020-01-24T10:00:00+08:00"),
        "rule": "ship_by",
        "reason": "not_shipped",
        "delay_kind": Kind.SHIPMENT_DELAYED,
        "delay_started_at": instant("2020-01-20T10:00:00+08:00"),
        "eta_from": date(2020, 1, 26),
        "eta_to": date(2020, 1, 29),
    }
    return NoticeRequest(**(base | fields))


def window_notice(
    order_id: str, kind: Kind, at: datetime, channel: NoticeChannel = NoticeChannel.EMAIL
) -> NoticeRequest:
    """A notice about the public-health window ``cny2020`` (an announcement, or an urgent notice
    during its drain), requested at ``at``: the paced-drain tests' notices."""
    return notice_request(
        order_id=order_id,
        kind=kind,
        channel=channel,
        requested_at=at,
        rule="window_declared",
        reason="public_health",
        delay_started_at=at,
        eta_from=date(2020, 2, 10),
        eta_to=date(2020, 2, 14),
        details={"window_id": "cny2020", "window_reason": "public_health"},
    )


@pytest.fixture
def local_aws() -> Iterator[Any]:
    """The template deployed into moto, with its event loop; the bundled merchant registered."""
    from delaydesk import store
    from delaydesk_local.runtime import LocalAws

    with LocalAws() as local:
        m = merchant()
        store.put_merchant(m)
        assert m.from_email
        local.verify_sender(m.from_email)
        yield local


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests of a module that share a module-scoped fixture (a replay, a server, a build) run
    on one xdist worker (``make test`` runs ``--dist loadgroup``), so the fixture is built once: split
    across two workers, each built it (the Spring Festival replay of test_windows.py twice, ~40 s
    each). Runs before xdist's own hook, which turns the mark into the group of the test's id."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        shared = any(defs and defs[-1].scope == "module" for defs in info.name2fixturedefs.values())
        if shared:
            item.add_marker(pytest.mark.xdist_group(name=item.nodeid.split("::", 1)[0]))
