"""SES and SNS as the customers and the feedback queue see them: what was sent, and SES's events.

moto accepts e-mails and SMS but publishes no SES events. The embedded AWS records each send (with
the simulated time and the calling role, ``ses_events.SendContext``) and, when the queues are
empty, publishes the events SES would for the e-mails sent through a configuration set to the SNS
topics of its event destinations, so that bounces and complaints flow back like any other message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from delaydesk_local import ses_events
from delaydesk_local.stack import ACCOUNT_ID, REGION


class Messaging:
    """The sends recorded since the last publication, and every SES event published, in order."""

    def __init__(self, client: Callable[[str], Any], clock: Callable[[], datetime], caller: Callable[[], str]) -> None:
        self._client = client
        self.sends = ses_events.SendContext(clock=clock, caller=caller)
        self.published: list[dict[str, Any]] = []  # every SES event published, in order

    def event_destinations(self, configuration_set: str) -> list[dict[str, Any]]:
        """The event destinations of a configuration set, as SES keeps them."""
        described = self._client("ses").describe_configuration_set(
            ConfigurationSetName=configuration_set, ConfigurationSetAttributeNames=["eventDestinations"]
        )
        return [d for d in described.get("EventDestinations", []) if d]

    def publish_ses_events(self) -> int:
        """Publish what SES would for each e-mail sent since the last call; returns how many events.

        For an e-mail sent through a configuration set, each event of ``ses_events.events_for``
        goes to the SNS topic of every enabled event destination that matches its type, as SES
        does; the topic's subscriptions (the feedback queue) deliver it. An e-mail sent without a
        configuration set publishes nothing.
        """
        pending = list(self.sends.sent)
        self.sends.sent.clear()
        destinations: dict[str, list[dict[str, Any]]] = {}
        published = 0
        for sent in pending:
            if not sent.configuration_set:
                continue
            if sent.configuration_set not in destinations:
                destinations[sent.configuration_set] = self.event_destinations(sent.configuration_set)
            for event in ses_events.events_for(sent):
                topics = [
                    d["SNSDestination"]["TopicARN"]
                    for d in destinations[sent.configuration_set]
                    if "SNSDestination" in d and ses_events.matches(d, event["eventType"])
                ]
                for topic in topics:
                    self._client("sns").publish(TopicArn=topic, Message=json.dumps(event, ensure_ascii=False))
                if topics:
                    self.published.append(event)
                    published += 1
        return published

    def verify_sender(self, address: str) -> None:
        """SES only sends from verified identities; the merchant does this once in real AWS."""
        self._client("sesv2").create_email_identity(EmailIdentity=address.split("@", 1)[1])

    @staticmethod
    def sent_messages() -> Iterator[dict[str, Any]]:
        """What the embedded SES and SNS accepted for delivery, in order (the customers' view)."""
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        for message in ses_backends[ACCOUNT_ID][REGION].sent_messages:
            yield {"channel": "email", "id": message.id, "message": message}
        for message_id, sms in sns_backends[ACCOUNT_ID][REGION].sms_messages.items():
            yield {"channel": "sms", "id": message_id, "to": sms[0], "text": sms[1]}
