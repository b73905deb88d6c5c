"""``delaydesk doctor``'s verdicts on flood limits (pure): the reserved concurrency of the public
functions (issue 11, "Floods").

The public functions (webhooks, order page, storefront banner, WISMO answers) answer anyone on the
internet. Their routes are throttled by API Gateway, and each can be given reserved concurrency
(``WebhookReservedConcurrency``, ``CustomerReservedConcurrency``), which caps it so that a flood
cannot take the Lambda concurrency the scan and the dispatch need. Lambda lets a function reserve
at most the account's unreserved concurrency minus 100, so an account whose quota is still the
new-account 10 can reserve nothing: the parameters default to 0, "not reserved", and this check
says what that means for the account at hand.
"""

from __future__ import annotations

from collections.abc import Mapping

from delaydesk.operations.doctor_verdicts import Verdict, fail, ok, warn

PUBLIC_FUNCTIONS = {
    "ReceiveWebhookFunction": "WebhookReservedConcurrency",
    "ServeOrderPageFunction": "CustomerReservedConcurrency",
    "ServeStorefrontFunction": "CustomerReservedConcurrency",
    "AnswerWismoFunction": "CustomerReservedConcurrency",
}
"""The functions behind public routes, with the template parameter that reserves their concurrency."""
UNRESERVED_FLOOR = 100
"""Lambda keeps this much of the account's concurrency unreserved."""


def concurrency_verdicts(quota: int, unreserved: int, reserved: Mapping[str, int | None]) -> list[Verdict]:
    """One line per public function of the stack (``reserved``: logical id → its reserved
    concurrency, None when it has none), from the account's quota and unreserved concurrency."""
    verdicts: list[Verdict] = []
    room = unreserved - UNRESERVED_FLOOR
    for logical_id, value in sorted(reserved.items()):
        parameter = PUBLIC_FUNCTIONS.get(logical_id, "its reserved-concurrency parameter")
        if value is None:
            if room <= 0:
                advice = (
                    f"a flood of its public route can use the account's {quota} concurrent executions, scan and "
                    f"dispatch included; nothing can be reserved until the quota is raised (Service Quotas: Lambda "
                    f"'Concurrent executions'; Lambda keeps {UNRESERVED_FLOOR} unreserved), then set {parameter}"
                )
            else:
                advice = (
                    f"a flood of its public route can use the account's {quota} concurrent executions, scan and "
                    f"dispatch included: set {parameter} (up to {room} can be reserved now)"
                )
            verdicts.append(warn(f"{logical_id} has no reserved concurrency", advice))
        elif value == 0:
            verdicts.append(
                fail(
                    f"{logical_id} has a reserved concurrency of 0: every request to it is throttled",
                    f"set {parameter} above 0 and deploy, or `aws lambda delete-function-concurrency`",
                )
            )
        else:
            verdicts.append(
                ok(f"{logical_id} reserves {value} concurrent executions (a flood of its route stops there)")
            )
    return verdicts
