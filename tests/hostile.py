"""Hypothesis strategies for hostile and foreign inputs (the proof suite: unit and integration)."""

from __future__ import annotations

import json
from typing import Any

from conftest import contract_event, paid, shipped
from hypothesis import strategies as st

from delaydesk.core.events import EVENT_TYPES

AT = "2020-01-21T08:00:00+08:00"

# Hostile text: lone surrogates, control characters, CR/LF, very long, non-Latin, path-like.
hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\ud800", "a\r\nBcc: x@y.z", "\x00", "../../etc", "%C3%A9", "é" * 300, "长" * 3000, ""]),
)
scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), hostile_text)
json_value = st.recursive(
    scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=8,
)
times = st.one_of(
    st.sampled_from(
        [
            "2020-01-21T08:00:00+08:00",
            "9000-01-21T08:00:00+08:00",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "2020-01-21T08:00:00",
            "2020-02-30T08:00:00Z",
            "yesterday",
        ]
    ),
    hostile_text,
)


@st.composite
def hostile_event(draw: st.DrawFn, order_id: str = "P-1") -> dict[str, Any]:
    """A contract event with some fields replaced by hostile values, or removed, or added."""
    base = draw(
        st.sampled_from(
            [
                paid(order_id, "2020-01-20T10:00:00+08:00"),
                shipped(order_id, "2020-01-20T18:00:00+08:00"),
                contract_event("tracking", order_id=order_id),
                {
                    "type": "cancel.requested",
                    "event_id": "c-1",
                    "at": "2020-01-21T08:00:00+08:00",
                    "order_id": order_id,
                },
                {
                    "type": "refund.requested",
                    "event_id": "r-1",
                    "at": "2020-01-21T08:00:00+08:00",
                    "order_id": order_id,
                },
            ]
        )
    )
    event = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(0, 3))):
        target = event
        if isinstance(event.get("order"), dict) and draw(st.booleans()):
            target = event["order"]
            inner = target.get(draw(st.sampled_from(["customer", "value", "destination"])))
            if isinstance(inner, dict) and draw(st.booleans()):
                target = inner
        key = draw(st.sampled_from([*target.keys(), "extra"]))
        action = draw(st.sampled_from(["replace", "remove", "time"]))
        if action == "remove":
            target.pop(key, None)
        elif action == "time":
            target[key] = draw(times)
        else:
            target[key] = draw(json_value)
    if draw(st.booleans()):
        event["type"] = draw(st.sampled_from([*EVENT_TYPES, "order.vanished", ""]))
    return event
