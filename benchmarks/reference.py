"""The two reference points ingest is measured against, on the same files.

In: the files of one stream (as the simulator writes them: Firehose layout, agent events
newline-delimited, contact events and contact records concatenated, some gzip) and a
psycopg connection. Out: records loaded and seconds taken, for

- :func:`floor`: the least any design of this shape can do: read, split, ``orjson.loads``
  every record, take the columns the connector's raw table keeps (timestamps as datetimes,
  the record's bytes as payload) and binary-COPY them into an unindexed table. No
  validation, no quarantine, no deduplication, no minimising of personal data, no dimensions:
  that is what ours does on top.
- :func:`naive`: the per-record path of the public Lambda-based integrations: parse one
  record, one ``INSERT ... ON CONFLICT DO NOTHING`` into a table keyed like ours, a commit
  after every 100 records. It is run on the first ``limit`` records only (it is slow), and
  compared as records per second.

The split of concatenated JSON at ``}{`` is right for the simulator's files (no record has
``}{`` inside a string); the benchmark checks that the floor reads as many records as ours.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg

from wfm_connector.db.copy import RawJson, RawText, copy_rows, register_raw_types

TEXT, TS, JSONB, INT = "text", "timestamptz", "jsonb", "int4"


def _ts(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _agent(record: dict, raw: bytes, position: str) -> tuple:
    snapshot = record.get("CurrentAgentSnapshot") or {}
    status = snapshot.get("AgentStatus") or {}
    profile = (snapshot.get("Configuration") or {}).get("RoutingProfile") or {}
    return (
        record["EventId"], record["EventType"], _ts(record["EventTimestamp"]), record["AgentARN"],
        status.get("Name"), status.get("Type"), status.get("ARN"),
        _ts(status.get("StartTimestamp")), profile.get("ARN"),
        RawJson(orjson.dumps(snapshot.get("Contacts") or [])), RawText(raw), position,
    )  # fmt: skip


def _contact_event(record: dict, raw: bytes, position: str) -> tuple:
    d = record["detail"]
    queue, agent = d.get("queueInfo") or {}, d.get("agentInfo") or d.get("AgentInfo") or {}
    kind = d["eventType"]
    when = {"QUEUED": queue.get("enqueueTimestamp"), "DISCONNECTED": d.get("disconnectTimestamp"),
            "CONNECTED_TO_AGENT": agent.get("connectedToAgentTimestamp")}.get(kind)  # fmt: skip
    return (
        record["id"], kind, _ts(when or record["time"]), d["contactId"], d.get("channel"),
        d.get("initiationMethod"), queue.get("queueArn"),
        agent.get("agentArn") or agent.get("AgentArn"),
        _ts(queue.get("enqueueTimestamp")), _ts(agent.get("connectedToAgentTimestamp")),
        d.get("previousContactId"), RawText(raw), position,
    )  # fmt: skip


def _contact_record(record: dict, raw: bytes, position: str) -> tuple:
    queue, agent = record.get("Queue") or {}, record.get("Agent") or {}
    transfer = record.get("TransferredToEndpoint")
    return (
        record["ContactId"], _ts(record["LastUpdateTimestamp"]), record["Channel"],
        record["InitiationMethod"], _ts(record.get("InitiationTimestamp")),
        _ts(record.get("DisconnectTimestamp")), record.get("DisconnectReason"), queue.get("ARN"),
        queue.get("Name"), _ts(queue.get("EnqueueTimestamp")), _ts(queue.get("DequeueTimestamp")),
        _int(queue.get("Duration")), agent.get("ARN"),
        _ts(agent.get("ConnectedToAgentTimestamp")), _int(agent.get("AgentInteractionDuration")),
        _int(agent.get("CustomerHoldDuration")), _int(agent.get("AfterContactWorkDuration")),
        _int(agent.get("NumberOfHolds")), _int(agent.get("LongestHoldDuration")),
        record.get("InitialContactId"),
        record.get("PreviousContactId"), record.get("NextContactId"),
        _ts(record.get("TransferCompletedTimestamp")), transfer is not None, RawText(raw),
        position,
    )  # fmt: skip


# stream folder -> (columns with types, natural key, row builder)
STREAMS: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...], Callable]] = {
    "agent-events": (
        (("event_id", TEXT), ("event_type", TEXT), ("event_ts", TS), ("agent_arn", TEXT),
         ("status_name", TEXT), ("status_type", TEXT), ("status_arn", TEXT),
         ("status_start_ts", TS), ("routing_profile_arn", TEXT), ("contacts", JSONB),
         ("payload", TEXT), ("source_position", TEXT)),
        ("event_id",), _agent,
    ),
    "contact-events": (
        (("event_key", TEXT), ("event_type", TEXT), ("event_ts", TS), ("contact_id", TEXT),
         ("channel", TEXT), ("initiation_method", TEXT), ("queue_arn", TEXT),
         ("agent_arn", TEXT), ("enqueue_ts", TS), ("connected_ts", TS),
         ("previous_contact_id", TEXT), ("payload", TEXT), ("source_position", TEXT)),
        ("event_key",), _contact_event,
    ),
    "contact-records": (
        (("contact_id", TEXT), ("last_update_ts", TS), ("channel", TEXT),
         ("initiation_method", TEXT), ("initiation_ts", TS), ("disconnect_ts", TS),
         ("disconnect_reason", TEXT), ("queue_arn", TEXT), ("queue_name", TEXT),
         ("enqueue_ts", TS), ("dequeue_ts", TS), ("queue_duration_s", INT), ("agent_arn", TEXT),
         ("connected_to_agent_ts", TS), ("agent_interaction_s", INT), ("customer_hold_s", INT),
         ("acw_s", INT), ("number_of_holds", INT), ("longest_hold_s", INT),
         ("initial_contact_id", TEXT), ("previous_contact_id", TEXT),
         ("next_contact_id", TEXT), ("transfer_completed_ts", TS),
         ("transferred_to_endpoint", "bool"), ("payload", TEXT), ("source_position", TEXT)),
        ("contact_id", "last_update_ts"), _contact_record,
    ),
}  # fmt: skip


_UNUSABLE = (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError)


def rows(build: Callable, files: list[Path]) -> Iterator[tuple]:
    """The rows of every usable record (the simulator's malformed ones are skipped)."""
    for raw, position in records(files):
        try:
            yield build(orjson.loads(raw), raw, position)
        except _UNUSABLE:
            continue


def records(files: list[Path]) -> Iterator[tuple[bytes, str]]:
    """(record bytes, position) of every record in the files, in order."""
    for path in files:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        offset = 0
        for line in data.replace(b"}{", b"}\n{").split(b"\n"):
            if line.strip():
                yield line, f"{path.name}:{offset}"
            offset += len(line) + 1


def _table(conn: psycopg.Connection, name: str, stream: str, keyed: bool) -> list[str]:
    fields, key, _ = STREAMS[stream]
    columns = ", ".join(f"{c} {t}" for c, t in fields)
    primary = f", PRIMARY KEY ({', '.join(key)})" if keyed else ""
    conn.execute(f"DROP TABLE IF EXISTS bench.{name}")
    conn.execute(f"CREATE TABLE bench.{name} ({columns}{primary})")
    conn.commit()
    return [c for c, _ in fields]


def floor(conn: psycopg.Connection, stream: str, files: list[Path], batch: int = 5000) -> int:
    """Load every record of the files the cheapest way; the number of records."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS bench")
    columns = _table(conn, f"floor_{stream.replace('-', '_')}", stream, keyed=False)
    fields, _, build = STREAMS[stream]
    types = [t for _, t in fields]
    register_raw_types(conn)
    table = f"bench.floor_{stream.replace('-', '_')}"
    count, batch_rows = 0, []
    for row in rows(build, files):
        batch_rows.append(row)
        if len(batch_rows) >= batch:
            copy_rows(conn, table, columns, types, batch_rows)
            conn.commit()
            count, batch_rows = count + len(batch_rows), []
    if batch_rows:
        copy_rows(conn, table, columns, types, batch_rows)
        conn.commit()
    return count + len(batch_rows)


def naive(
    conn: psycopg.Connection, stream: str, files: list[Path], limit: int
) -> tuple[int, float]:
    """Load the first ``limit`` records one INSERT at a time; (records, seconds)."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS bench")
    name = f"bench.naive_{stream.replace('-', '_')}"
    columns = _table(conn, name.removeprefix("bench."), stream, keyed=True)
    _, _, build = STREAMS[stream]
    statement = (f"INSERT INTO {name} ({', '.join(columns)}) VALUES "
                 f"({', '.join(['%s'] * len(columns))}) ON CONFLICT DO NOTHING")  # fmt: skip
    count = 0
    start = time.perf_counter()
    with conn.cursor() as cur:
        for built in rows(build, files):
            row = tuple(bytes(v).decode() if isinstance(v, RawText | RawJson) else v
                        for v in built)  # fmt: skip
            cur.execute(statement, row)
            count += 1
            if count % 100 == 0:
                conn.commit()
            if count >= limit:
                break
    conn.commit()
    return count, time.perf_counter() - start
