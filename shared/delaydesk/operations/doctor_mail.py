"""The doctor's e-mail and SMS verdicts (pure): senders, DKIM, the SES account, send rates, SMS."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from delaydesk.notices import rates

if TYPE_CHECKING:
    pass

from delaydesk.operations.doctor_verdicts import DEFAULT_SMS_SPEND_LIMIT, Status, Verdict, fail, ok, warn


def identity_candidates(address: str) -> list[str]:
    """The SES identities that can authorise sending from an address, most specific first: the
    address itself, its domain and each parent domain (SES lets a verified domain send from its
    subdomains)."""
    domain = address.rpartition("@")[2].lower()
    labels = domain.split(".")
    return [address, *(".".join(labels[i:]) for i in range(len(labels) - 1))]


def sender_verdict(address: str, role: str, identities: Mapping[str, Mapping[str, Any] | None]) -> Verdict:
    """Whether SES lets DelayDesk send from ``address``; ``identities`` holds each candidate's
    GetEmailIdentity answer (None: no such identity)."""
    what = f"SES sender {address} ({role})"
    candidates = identity_candidates(address)
    for name in candidates:
        identity = identities.get(name)
        if identity and identity.get("VerifiedForSendingStatus"):
            return ok(f"{what} verified (identity {name})")
    existing = [name for name in candidates if identities.get(name)]
    domain = candidates[1]
    if existing:
        name = existing[0]
        status = (identities[name] or {}).get("VerificationStatus", "PENDING")
        how = (
            f"click the link SES e-mailed to {name}, or verify its domain with DKIM"
            if "@" in name
            else f"publish the DKIM CNAME records of `aws sesv2 get-email-identity --email-identity {name}` in DNS"
            " and wait for SUCCESS"
        )
        return fail(f"{what} is not verified (identity {name} is {status})", how)
    return fail(
        f"{what} is not an SES identity",
        f"aws sesv2 create-email-identity --email-identity {domain}, "
        "then publish the three DKIM CNAME records it prints",
    )


def dkim_verdict(domain: str, identities: Mapping[str, Mapping[str, Any] | None]) -> Verdict:
    """DKIM signing of the sender's domain (or the nearest parent domain that is an identity).

    Without DKIM, SES mail fails the DMARC alignment that large mailbox providers now require of
    bulk senders: the notices land in spam or are refused.
    """
    names = identity_candidates(f"x@{domain}")[1:]
    for name in names:
        identity = identities.get(name)
        if not identity:
            continue
        dkim = identity.get("DkimAttributes") or {}
        status = dkim.get("Status", "NOT_STARTED")
        if status == "SUCCESS" and dkim.get("SigningEnabled", False):
            return ok(f"DKIM signing of {name}")
        if status == "SUCCESS":
            return fail(
                f"DKIM of {name} is set up but signing is off",
                f"aws sesv2 put-email-identity-dkim-attributes --email-identity {name} --signing-enabled",
            )
        return fail(
            f"DKIM of {name} is {status}",
            f"publish the three CNAME records of `aws sesv2 get-email-identity --email-identity {name}` "
            "(DkimAttributes.Tokens) in DNS and wait for SUCCESS",
        )
    return fail(
        f"DKIM: {domain} is not an SES domain identity",
        f"aws sesv2 create-email-identity --email-identity {domain}, then publish the three DKIM CNAME records",
    )


def account_verdicts(account: Mapping[str, Any]) -> list[Verdict]:
    """SES's sandbox and sending status (sesv2 GetAccount)."""
    out: list[Verdict] = []
    if account.get("ProductionAccessEnabled"):
        out.append(ok("SES account has production access (out of the sandbox)"))
    else:
        out.append(
            fail(
                "SES account is in the sandbox: mail reaches verified addresses only, so no customer gets a notice",
                "request production access (SES console, or aws sesv2 put-account-details "
                "--production-access-enabled --mail-type TRANSACTIONAL --website-url https://yourshop.com "
                '--use-case-description "...")',
            )
        )
    enforcement = account.get("EnforcementStatus", "HEALTHY")
    if not account.get("SendingEnabled", True):
        out.append(
            fail(
                "SES sending is disabled for this account", "aws sesv2 put-account-sending-attributes --sending-enabled"
            )
        )
    elif enforcement == "SHUTDOWN":
        out.append(
            fail(
                "SES has shut down sending for this account",
                "see the SES console's reputation dashboard and AWS's message",
            )
        )
    elif enforcement != "HEALTHY":
        out.append(
            warn(
                f"SES account status is {enforcement}",
                "bounces or complaints are too high: see the SES reputation dashboard",
            )
        )
    else:
        out.append(ok("SES sending enabled (account HEALTHY)"))
    return out


@dataclass(frozen=True)
class MerchantFacts:
    """What doctor needs of a merchant: its own sender and its e-mail pacing."""

    merchant_id: str
    from_email: str | None = None
    max_send_rate: float | None = None


def paced_rate(max_send_rate: float) -> float:
    """E-mails per second dispatch actually sends for a ``max_send_rate`` (``ratelimit.rates``)."""
    return rates(max_send_rate, bulk_share=1.0).send


def _rate(value: float) -> str:
    return f"{value:g}/s"


def send_rate_verdicts(quota: Mapping[str, Any], merchants: Sequence[MerchantFacts]) -> list[Verdict]:
    """The merchants' ``notices.max_send_rate`` against SES's ``SendQuota.MaxSendRate``.

    DelayDesk paces each merchant's e-mail on its own (ratelimit.py): one merchant paced above the
    quota is throttled on every announcement (✘); several merchants that together exceed it are
    throttled only when they announce at once, and the throttled notices are retried (!).
    """
    max_rate = float(quota.get("MaxSendRate", 0))
    if not merchants:
        return [
            warn(
                f"no merchant registered: nothing to pace against the SES send quota ({_rate(max_rate)})",
                "delaydesk merchants put merchant.json --stack-name STACK",
            )
        ]
    out: list[Verdict] = []
    fix = (
        f"set its settings.notices.max_send_rate to {math.floor(max_rate) or max_rate:g} or less "
        "(delaydesk merchants put), or ask AWS for a higher SES sending quota"
    )
    for merchant in merchants:
        if merchant.max_send_rate is None:
            out.append(
                warn(
                    f"merchant {merchant.merchant_id} has no notices.max_send_rate",
                    f"an announcement is sent as fast as dispatch runs and SES throttles above {_rate(max_rate)}; "
                    "set it to the quota",
                )
            )
        elif paced_rate(merchant.max_send_rate) > max_rate:
            out.append(
                fail(
                    f"merchant {merchant.merchant_id} sends {_rate(paced_rate(merchant.max_send_rate))}, "
                    f"above the SES send quota of {_rate(max_rate)}",
                    fix,
                )
            )
    paced = [paced_rate(m.max_send_rate) for m in merchants if m.max_send_rate is not None]
    total = sum(paced)
    if len(paced) > 1 and total > max_rate and not any(v.status is Status.FAIL for v in out):
        out.append(
            warn(
                f"merchants together may send {_rate(total)}, above the SES send quota of {_rate(max_rate)}",
                "when several announce at once SES throttles (the notices are retried); lower their rates "
                "or ask AWS for a higher quota",
            )
        )
    if not out:
        out.append(ok(f"SES send quota {_rate(max_rate)} covers every merchant's send rate (in all {_rate(total)})"))
    return out


def configuration_set_verdict(name: str, destinations: Sequence[Mapping[str, Any]] | None) -> Verdict:
    """The SES configuration set that publishes bounces and complaints to ``ses_feedback``."""
    if not name:
        return warn(
            "no SES configuration set: bounces and complaints are not suppressed",
            "aws sesv2 create-configuration-set --configuration-set-name delaydesk, then deploy with "
            "ConfigurationSetName=delaydesk",
        )
    if destinations is None:
        return fail(
            f"SES configuration set {name} does not exist: SES refuses every e-mail that names it",
            f"aws sesv2 create-configuration-set --configuration-set-name {name}, then deploy again",
        )
    topics = [d for d in destinations if d.get("Enabled") and d.get("SnsDestination")]
    if not topics:
        return fail(
            f"SES configuration set {name} publishes no events to SNS: bounces are not suppressed",
            "deploy the stack again (it adds the delaydesk-feedback event destination)",
        )
    return ok(f"SES configuration set {name} publishes events to {len(topics)} topic(s)")


def sms_verdicts(attributes: Mapping[str, str], in_sandbox: bool) -> list[Verdict]:
    limit = attributes.get("MonthlySpendLimit", DEFAULT_SMS_SPEND_LIMIT)
    out: list[Verdict] = []
    if limit == DEFAULT_SMS_SPEND_LIMIT:
        out.append(
            warn(
                "SMS monthly spend limit is 1 USD (the default): SNS stops sending SMS after a few dozen",
                "ask AWS to raise the SMS spend quota, "
                "then aws sns set-sms-attributes --attributes MonthlySpendLimit=50",
            )
        )
    else:
        out.append(ok(f"SMS monthly spend limit {limit} USD"))
    if in_sandbox:
        out.append(
            warn(
                "SNS SMS sandbox: SMS reach verified phone numbers only",
                "ask to leave it (SNS console, Text messaging (SMS), Exit SMS sandbox); "
                "until then customers get e-mail",
            )
        )
    else:
        out.append(ok("SNS SMS out of the sandbox"))
    return out
