"""Malformed records injected next to the real ones (never replacing a real record).

In: the stream, the kind of damage, the stream's latest real record and the run's random
generator. Out: the bytes of one malformed record, and the plan of which malformed records a
day gets (2-3 per stream, at random instants of the busy part of the day).

Kinds per stream (the concatenated streams only get brace-balanced damage, so a reader can
still find the neighbouring records):

- ``agent-events``: ``truncated`` (first half of a real record), ``not_json`` (a garbage
  line), ``json_array`` (valid JSON, not an object), ``bad_timestamp`` (a real event with
  ``EventTimestamp`` ``not-a-timestamp`` and a fresh ``EventId``);
- ``contact-events``: ``invalid_json`` (brace-balanced, bare word value),
  ``missing_contact_id`` (a valid envelope whose detail has no ``contactId``);
- ``contact-records``: ``missing_contact_id`` (a CTR without ``ContactId``),
  ``bad_queue_duration`` (``Queue.Duration`` is ``"abc"``).
"""

from __future__ import annotations

import random

import orjson

from wfm_connector.simulator.clock import Day
from wfm_connector.simulator.delivery import AGENT_EVENTS, CONTACT_EVENTS, CONTACT_RECORDS
from wfm_connector.simulator.population import new_uuid

KINDS = {
    AGENT_EVENTS: ("truncated", "not_json", "json_array", "bad_timestamp"),
    CONTACT_EVENTS: ("invalid_json", "missing_contact_id"),
    CONTACT_RECORDS: ("missing_contact_id", "bad_queue_duration"),
}
_FALLBACK = {
    AGENT_EVENTS: b'{"EventType":"HEART_BEAT","EventId":"00000000-0000-4000-8000-000000000000"}',
    CONTACT_EVENTS: b'{"version":"0","id":"x","detail":{"eventType":"INITIATED","contactId":"x"}}',
    CONTACT_RECORDS: b'{"ContactId":"x","Channel":"VOICE","Queue":{"Duration":0}}',
}


def plan_malformed(rng: random.Random, day: Day) -> list[tuple[int, str, str]]:
    """(instant, stream, kind) of the day's malformed records: 2-3 per stream."""
    first, last = day.local_ms(10), day.local_ms(17)
    plan = []
    for stream, kinds in KINDS.items():
        wanted = rng.randint(2, 3)
        if len(kinds) >= wanted:
            chosen = rng.sample(kinds, wanted)
        else:
            chosen = [*kinds, *(rng.choice(kinds) for _ in range(wanted - len(kinds)))]
        plan.extend((rng.randint(first, last), stream, kind) for kind in chosen)
    plan.sort()
    return plan


def build_malformed(stream: str, kind: str, latest: bytes | None, rng: random.Random) -> bytes:
    """The bytes of one malformed record.

    Raises:
        ValueError: for a kind the stream does not have.
    """
    base = latest if latest is not None else _FALLBACK[stream]
    if stream == AGENT_EVENTS:
        if kind == "truncated":
            return base[: len(base) // 2]
        if kind == "not_json":
            return f"### garbage line {rng.getrandbits(32):08x}, not JSON ###".encode()
        if kind == "json_array":
            return b'["not", "an", "agent", "event", 42]'
        if kind == "bad_timestamp":
            event = orjson.loads(base)
            event["EventTimestamp"] = "not-a-timestamp"
            event["EventId"] = new_uuid(rng)
            return orjson.dumps(event)
    elif stream == CONTACT_EVENTS:
        if kind == "invalid_json":
            return f'{{"id": "{new_uuid(rng)}", "detail": {{"eventType": CONNECTED}}}}'.encode()
        if kind == "missing_contact_id":
            envelope = orjson.loads(base)
            envelope["id"] = new_uuid(rng)
            detail = envelope.get("detail") or {}
            detail.pop("contactId", None)
            envelope["detail"] = detail
            return orjson.dumps(envelope)
    elif stream == CONTACT_RECORDS:
        record = orjson.loads(base)
        if kind == "missing_contact_id":
            record.pop("ContactId", None)
            return orjson.dumps(record)
        if kind == "bad_queue_duration":
            queue = record.get("Queue") or {}
            queue["Duration"] = "abc"
            record["Queue"] = queue
            return orjson.dumps(record)
    raise ValueError(f"no malformed kind {kind!r} for stream {stream!r}")
