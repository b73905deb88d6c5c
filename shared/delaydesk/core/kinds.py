"""Notice requests (one per order, kind, stage and channel) and channel choice; the kinds and channels
themselves are ``core.notice_kinds``, exported here too."""

from __future__ import annotations

from datetime import date, datetime

from delaydesk.core.events import Contract, Customer, Instant
from delaydesk.core.notice_kinds import BULK_KINDS as BULK_KINDS
from delaydesk.core.notice_kinds import DELAY_KINDS as DELAY_KINDS
from delaydesk.core.notice_kinds import DETAIL_KEYS as DETAIL_KEYS
from delaydesk.core.notice_kinds import URGENT_KINDS as URGENT_KINDS
from delaydesk.core.notice_kinds import Kind as Kind
from delaydesk.core.notice_kinds import NoticeChannel as NoticeChannel
from delaydesk.core.notice_kinds import address_for as address_for
from delaydesk.core.record import field


class NoticeRequest(Contract):
    """What the Notices queue carries: enough to render the notice the same way every time."""

    order_id: str
    merchant_id: str
    kind: Kind
    stage: int
    channel: NoticeChannel
    requested_at: Instant
    rule: str
    reason: str
    delay_kind: Kind
    delay_started_at: Instant
    eta_from: date
    eta_to: date
    details: dict[str, str] = field(default_factory=dict)
    """Optional facts for the non-delay kinds and for compensation (keys: ``DETAIL_KEYS``)."""
    not_before: Instant | None = None
    """Set by dispatch when it holds a notice (SMS quiet hours, the merchant's rate limit)."""
    send_slot: float | None = None
    """Set by dispatch when it defers an e-mail to the merchant's send rate: the reserved slot
    (wall-clock epoch seconds), used instead of reserving another when the message returns."""
    bulk_slot: float | None = None
    """A bulk e-mail's (``BULK_KINDS``) ticket of the merchant's bulk share (wall-clock epoch
    seconds): taken up front by the fan-out that queues an announcement (``core.pacing``), or by
    dispatch for one queued without; at the ticket it takes a send slot."""
    fallback_from: NoticeChannel | None = None
    """Set when this request replaces a suppressed channel of the same notice."""
    window_id: str | None = None
    """Policy notices: the window that changed the outcome (optional extension)."""
    order_version: int | None = None
    """The order's version once the evaluation that queued this notice is committed: the scan
    queues a page's notices before it writes each order (``delays/scan.py``), so dispatch, reading
    the order in the few milliseconds between, puts the notice back once for a few seconds rather
    than render from the order as it was (cleared when it does)."""

    @property
    def notice_id(self) -> str:
        """The key that makes a notice unique within its order (sent at most once)."""
        return f"{self.kind}#{self.stage}#{self.channel}"

    @property
    def urgent(self) -> bool:
        return self.kind in URGENT_KINDS

    def effective_now(self, now: datetime) -> datetime:
        """A held request is acted on no earlier than the time it was held until."""
        return max(now, self.not_before) if self.not_before else now


def choose_channels(customer: Customer, kind: Kind) -> list[NoticeChannel]:
    """E-mail when the customer has an address; SMS when e-mail is missing or the matter is urgent.

    The in-app inbox always gets a copy: dispatch stores one for every notice it handles
    (``inbox.py``). A customer without e-mail or phone gets the inbox channel alone.
    """
    channels = []
    if customer.email:
        channels.append(NoticeChannel.EMAIL)
    if customer.phone and (not customer.email or kind in URGENT_KINDS):
        channels.append(NoticeChannel.SMS)
    return channels or [NoticeChannel.INBOX]
