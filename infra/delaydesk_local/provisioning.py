"""What an operator does around ``sam deploy``, done for the embedded AWS with local values.

In a real account the operator creates the SES configuration set before deploying and puts the
webhook secrets and the order-link key in SSM; the template only names them. The embedded AWS
does the same with fixed local values, so that tests and the simulator can sign webhooks and read
customers' links.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from delaydesk_local.invocation import FunctionSpec

LOCAL_WEBHOOK_SECRETS = {
    "aftership": "local-aftership-webhook-secret",
    "easypost": "local-easypost-webhook-secret",
    "17track": "local-17track-security-key",
    "shopify": "local-shopify-client-secret",
    "easyship": "webh_local-easyship-secret-key",
    "generic/m-teahouse": "local-generic-webhook-secret-m-teahouse",
}
"""The webhook secrets the embedded AWS stores in SSM under ``{WebhookSecretsPrefix}/<name>`` (in a
real account the operator puts them); a per-merchant source's name is ``<source>/<merchant_id>``."""

LOCAL_ORDER_LINK_KEY = "local-order-link-key"
"""The key that signs customers' links in the embedded AWS (``OrderLinkKeyParameter`` in SSM)."""

LOCAL_CONFIGURATION_SET = "delaydesk-local"
"""The SES configuration set the embedded AWS creates and deploys with (``ConfigurationSetName``)."""


def create_configuration_set(client: Callable[[str], Any], parameters: dict[str, str], notes: list[str]) -> None:
    """The operator creates the configuration set before ``sam deploy``; the template only
    adds its event destination (``SesFeedbackEventDestination``)."""
    name = parameters.get("ConfigurationSetName", "")
    if not name:
        return
    client("sesv2").create_configuration_set(ConfigurationSetName=name, SendingOptions={"SendingEnabled": True})
    notes.append(
        f"embedded AWS: SES configuration set {name} created before the deploy (ConfigurationSetName); "
        "its events are published by LocalAws, the mailbox simulator's addresses included"
    )


def put_webhook_secrets(
    client: Callable[[str], Any], functions: dict[str, FunctionSpec], secrets: dict[str, str], notes: list[str]
) -> None:
    spec = next((f for f in functions.values() if "WEBHOOK_SECRETS_PREFIX" in f.environment), None)
    if spec is None:
        return
    prefix = spec.environment["WEBHOOK_SECRETS_PREFIX"]
    ssm = client("ssm")
    for source, secret in secrets.items():
        ssm.put_parameter(Name=f"{prefix}/{source}", Value=secret, Type="SecureString", Overwrite=True)
    notes.append(f"embedded AWS: local webhook secrets stored under {prefix}/ (LocalAws.webhook_secrets)")


def put_order_link_key(client: Callable[[str], Any], functions: dict[str, FunctionSpec], notes: list[str]) -> None:
    spec = next((f for f in functions.values() if "ORDER_LINK_KEY_PARAMETER" in f.environment), None)
    if spec is None:
        return
    name = spec.environment["ORDER_LINK_KEY_PARAMETER"]
    client("ssm").put_parameter(Name=name, Value=LOCAL_ORDER_LINK_KEY, Type="SecureString", Overwrite=True)
    notes.append(f"embedded AWS: local order-link key stored at {name}")
