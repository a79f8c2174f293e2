"""The contact-center simulator: determinism, wire-format rules, faults and ground truth.

The agent truth is recomputed here from the *emitted* events with code independent of the
simulator (a snapshot holds from its EventTimestamp until the agent's next event, at most
300 s, then the silence is unknown; LOGOUT ends the session), and must equal the simulator's
truth, computed from its own timeline, to the millisecond. (The contact-record truth is checked
against the connector's reconciliation in test_simulated_day.)
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from wfm_connector.simulator import SimulationSummary, simulate
from wfm_connector.simulator.runner import OutputInUse

pytestmark = pytest.mark.unit

INSTANCE_ARN = (
    "arn:aws:connect:us-east-1:111122223333:instance/5e1f3c0a-2b7d-4c55-9d0e-6a1b2c3d4e5f"
)
DAY = date(2026, 11, 2)
STREAMS = ("agent-events", "contact-events", "contact-records")
OBJECT_NAME = re.compile(
    r"^(agent-events|contact-events|contact-records)/(\d{4})/(\d{2})/(\d{2})/(\d{2})/"
    r"wfm-\1-1-\2-\3-\4-\5-\d{2}-\d{2}-[0-9a-f]{8}$"
)
ACTIVITY_BY_STATE = (
    ("CONNECTED", "CONNECTED"),
    ("CONNECTED_ONHOLD", "ON_HOLD"),
    ("PAUSED", "PAUSED"),
    ("ENDED", "ACW"),
    ("CONNECTING", "RINGING"),
    ("MISSED", "ERROR"),
)
CATEGORY = {"ROUTABLE": "productive", "CUSTOM": "non_productive", "OFFLINE": "offline"}


def run(out: Path, day: date = DAY, agents: int = 6, seed: int = 3, **kw) -> SimulationSummary:
    return simulate(
        out_dir=out,
        agents=agents,
        start=day,
        days=kw.pop("days", 1),
        seed=seed,
        timezone=kw.pop("timezone", "America/New_York"),
        interval_minutes=kw.pop("interval_minutes", 15),
        instance_arn=INSTANCE_ARN,
        **kw,
    )


@pytest.fixture(scope="module")
def sim(tmp_path_factory) -> tuple[Path, SimulationSummary]:
    out = tmp_path_factory.mktemp("sim")
    return out, run(out)


# -- helpers: reading what was written, independently of the simulator ---------------------


def ms(text: str) -> int:
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def iso(ms_value: int) -> str:
    return datetime.fromtimestamp(ms_value / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def object_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def split_concatenated(data: bytes) -> list[tuple[int, bytes]]:
    """(offset, bytes) of each top-level {...} object, aware of JSON strings."""
    out, depth, start, in_string, escaped = [], 0, 0, False, False
    for i, byte in enumerate(data):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte == 0x7B:
            if depth == 0:
                start = i
            depth += 1
        elif byte == 0x7D:
            depth -= 1
            if depth == 0:
                out.append((start, data[start : i + 1]))
    assert depth == 0 and not in_string
    return out


def framed(root: Path, stream: str) -> list[tuple[str, int, bytes]]:
    """(object key, offset, record bytes) of every record of a stream, in key/byte order."""
    records = []
    for path in sorted(p for p in (root / stream).rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        data = object_bytes(path)
        if stream == "agent-events":
            assert data.endswith(b"\n")
            offset = 0
            for line in data.split(b"\n")[:-1]:
                records.append((key, offset, line))
                offset += len(line) + 1
        else:
            assert data.startswith(b"{") and data.endswith(b"}")
            assert b"}\n{" not in data
            records.extend((key, offset, raw) for offset, raw in split_concatenated(data))
    return records


def malformed_rows(root: Path) -> dict[tuple[str, int], dict[str, str]]:
    return {(r["key"], int(r["offset"])): r for r in read_csv(root / "truth" / "malformed.csv")}


def valid_records(root: Path, stream: str) -> list[dict]:
    bad = malformed_rows(root)
    return [
        json.loads(raw) for key, offset, raw in framed(root, stream) if (key, offset) not in bad
    ]


def unique_agent_events(root: Path) -> dict[str, list[dict]]:
    by_id: dict[str, dict] = {}
    for event in valid_records(root, "agent-events"):
        assert by_id.setdefault(event["EventId"], event) == event
    per_agent: dict[str, list[dict]] = defaultdict(list)
    for event in by_id.values():
        per_agent[event["AgentARN"]].append(event)
    for events in per_agent.values():
        events.sort(key=lambda e: ms(e["EventTimestamp"]))
    return per_agent


def activity(snapshot: dict) -> str:
    states = {c["State"] for c in snapshot["Contacts"]}
    return next((act for state, act in ACTIVITY_BY_STATE if state in states), "NO_CONTACT")


# -- tests ----------------------------------------------------------------------------------


def test_same_arguments_give_byte_identical_trees(tmp_path):
    def tree(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert run(first, agents=4) == run(second, agents=4)
    assert tree(first) == tree(second)
    run(other, agents=4, seed=4)
    assert tree(other) != tree(first)
    # a second run into the same folder replaces the earlier output, when asked to
    (first / "truth" / "stale.csv").write_text("x")
    with pytest.raises(OutputInUse, match="holds an earlier simulation"):
        run(first, agents=4)
    run(first, agents=4, replace=True)
    assert tree(first) == tree(second)


def test_layout_names_and_gzip(sim):
    root, summary = sim
    keys = sorted(
        p.relative_to(root).as_posix()
        for s in STREAMS
        for p in (root / s).rglob("*")
        if p.is_file()
    )
    assert all(OBJECT_NAME.match(k) for k in keys), [k for k in keys if not OBJECT_NAME.match(k)]
    assert summary.files_written == len(keys) + 13  # schedule + 12 truth files
    records = sorted(k for k in keys if k.startswith("contact-records/"))
    gzipped = [(root / k).read_bytes()[:2] == b"\x1f\x8b" for k in records]
    assert gzipped == [(i + 1) % 3 == 0 for i in range(len(records))]
    for key in keys:  # the window in the name is 5-minute aligned, in the hour folder
        minute, second = int(key[-14:-12]), int(key[-11:-9])
        assert minute % 5 == 0 and second == 0
    schedule = read_csv(root / "schedule.csv")
    assert list(schedule[0]) == [
        "agent_arn", "username", "activity", "productive", "adherence_tracked", "start_utc", "end_utc"
    ]  # fmt: skip
    assert len(schedule) == 6 * 7
    assert {r["activity"]: r["productive"] for r in schedule} == {
        "Phone": "true", "Break": "false", "Lunch": "false"
    }  # fmt: skip


def test_heartbeats_every_120_s_and_one_event_per_instant(sim):
    root, summary = sim
    per_agent = unique_agent_events(root)
    assert len(per_agent) == 6
    assert sum(len(v) for v in per_agent.values()) == summary.agent_events
    types = Counter()
    lost = 0
    second_agent = sorted(
        per_agent, key=lambda arn: per_agent[arn][0]["CurrentAgentSnapshot"]["Configuration"][
            "Username"][-4:]
    )[1]
    for events in per_agent.values():
        stamps = [ms(e["EventTimestamp"]) for e in events]
        assert len(set(stamps)) == len(stamps), "two events of one agent at the same instant"
        assert events[0]["EventType"] == "LOGIN" and events[-1]["EventType"] == "LOGOUT"
        assert [e["EventType"] for e in events].count("LOGIN") == 1
        login = events[0]
        assert login["CurrentAgentSnapshot"]["AgentStatus"]["Name"] == "Offline"
        assert login["PreviousAgentSnapshot"]["AgentStatus"]["Name"] == "Offline"
        assert login["PreviousAgentSnapshot"]["Contacts"] == []
        # the routable status, renamed "Ready" by the instance's administrator
        assert events[1]["CurrentAgentSnapshot"]["AgentStatus"]["Name"] == "Ready"
        assert events[1]["CurrentAgentSnapshot"]["AgentStatus"]["Type"] == "ROUTABLE"
        assert 5_000 <= stamps[1] - stamps[0] <= 30_000
        for prev, event, gap in zip(
            events,
            events[1:],
            (b - a for a, b in zip(stamps, stamps[1:], strict=False)),
            strict=False,
        ):
            types[event["EventType"]] += 1
            lunch = prev["CurrentAgentSnapshot"]["AgentStatus"]["Name"] == "Lunch"
            if gap > 120_000:  # only agent #1's lunch heartbeats are lost (a stream gap)
                assert lunch and event["AgentARN"] == second_agent
                lost += gap // 120_000 - (gap % 120_000 == 0)
            assert gap > 0
            assert event["PreviousAgentSnapshot"] == prev["CurrentAgentSnapshot"]
            if event["EventType"] == "HEART_BEAT":
                assert event["CurrentAgentSnapshot"] == prev["CurrentAgentSnapshot"]
            elif event["EventType"] == "STATE_CHANGE":
                assert event["CurrentAgentSnapshot"] != prev["CurrentAgentSnapshot"]
            for contact in event["CurrentAgentSnapshot"]["Contacts"]:
                assert contact["StateStartTimestamp"].endswith(".000Z")
        logout = events[-1]["CurrentAgentSnapshot"]
        assert logout["AgentStatus"]["Name"] == "Offline" and logout["Contacts"] == []
    assert types["HEART_BEAT"] > 100 and types["STATE_CHANGE"] > 100
    assert lost == summary.agent_events_lost > 0


def test_every_record_parses_after_framing(sim):
    root, summary = sim
    bad = malformed_rows(root)
    envelopes = valid_records(root, "contact-events")
    ctrs = valid_records(root, "contact-records")
    events = valid_records(root, "agent-events")
    assert all(isinstance(r, dict) for r in envelopes + ctrs + events)
    assert len({e["id"] for e in envelopes}) == summary.contact_events
    assert all(e["detail-type"] == "Amazon Connect Contact Event" for e in envelopes)
    details = [e["detail"] for e in envelopes]
    assert {d["eventType"] for d in details} == {
        "INITIATED",
        "QUEUED",
        "CONNECTED_TO_AGENT",
        "DISCONNECTED",
    }
    assert any(d["channel"] == "Voice" for d in details) and any("AgentInfo" in d for d in details)
    versions = {(c["ContactId"], c["LastUpdateTimestamp"]) for c in ctrs}
    assert len({c["ContactId"] for c in ctrs}) == summary.contact_records == summary.contacts
    assert len(versions) == summary.contact_records + summary.ctr_redeliveries
    total = len(envelopes) + len(ctrs) + len(events)
    assert total == (
        summary.agent_events + summary.contact_events + summary.contact_records
        + summary.ctr_redeliveries + summary.duplicates_injected
    )  # fmt: skip
    assert len(bad) == (
        summary.malformed_agent_events + summary.malformed_contact_events
        + summary.malformed_contact_records
    )  # fmt: skip
    for stream in STREAMS:
        assert 2 <= sum(1 for r in bad.values() if r["stream"] == stream) <= 3
    assert summary.duplicates_injected > 0 and summary.out_of_order_injected > 0


def test_malformed_csv_offsets_point_at_the_recorded_bytes(sim):
    root, _ = sim
    rows = read_csv(root / "truth" / "malformed.csv")
    assert list(rows[0]) == ["stream", "key", "offset", "kind"]
    starts = {(key, offset): raw for s in STREAMS for key, offset, raw in framed(root, s)}
    for row in rows:
        data = object_bytes(root / row["key"])
        offset = int(row["offset"])
        assert row["key"].startswith(row["stream"] + "/")
        raw = starts[(row["key"], offset)]
        assert data[offset : offset + len(raw)] == raw
        if row["stream"] == "agent-events":
            assert offset == 0 or data[offset - 1 : offset] == b"\n"
        else:
            assert offset == 0 or data[offset - 1 : offset] == b"}"
        kind = row["kind"]
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = None
        if kind in ("truncated", "not_json", "invalid_json"):
            assert value is None
        elif kind == "json_array":
            assert isinstance(value, list)
        elif kind == "bad_timestamp":
            assert value["EventTimestamp"] == "not-a-timestamp" and value["EventId"]
        elif kind == "missing_contact_id" and row["stream"] == "contact-events":
            assert value["id"] and "contactId" not in value["detail"]
        elif kind == "missing_contact_id":
            assert "ContactId" not in value and value["Queue"]
        else:
            assert kind == "bad_queue_duration" and value["Queue"]["Duration"] == "abc"


def test_contact_records_are_whole_seconds_that_add_up(sim):
    root, _ = sim
    first: dict[str, dict] = {}
    for ctr in valid_records(root, "contact-records"):
        kept = first.get(ctr["ContactId"])
        if kept is None or ctr["LastUpdateTimestamp"] < kept["LastUpdateTimestamp"]:
            first[ctr["ContactId"]] = ctr
    ctrs = list(first.values())
    methods = Counter(c["InitiationMethod"] for c in ctrs)
    assert methods["INBOUND"] and methods["OUTBOUND"] and methods["TRANSFER"]
    assert methods["CALLBACK"] and any(c["TransferredToEndpoint"] for c in ctrs)
    ids = {c["ContactId"] for c in ctrs}
    for c in ctrs:
        for key in ("InitiationTimestamp", "DisconnectTimestamp", "LastUpdateTimestamp"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c[key])
        queue, agent = c["Queue"], c["Agent"]
        if c["InitiationMethod"] == "OUTBOUND":
            assert queue["Name"] == "Outbound" and queue["EnqueueTimestamp"] is None
            assert queue["Duration"] == 0 and agent is not None
        else:
            dequeue = agent["ConnectedToAgentTimestamp"] if agent else c["DisconnectTimestamp"]
            assert queue["DequeueTimestamp"] == dequeue
            assert queue["Duration"] == (ms(dequeue) - ms(queue["EnqueueTimestamp"])) // 1000
        if agent:
            # the agent's part ends at the disconnect, or at an external transfer (the caller
            # stays on the line with the outside number)
            external = c["TransferredToEndpoint"] is not None
            agent_end = c["TransferCompletedTimestamp"] if external else c["DisconnectTimestamp"]
            talk = ms(agent_end) - ms(agent["ConnectedToAgentTimestamp"])
            paused = agent.get("AgentPauseDuration", 0)
            held = agent["AgentInteractionDuration"] + agent["CustomerHoldDuration"] + paused
            assert held == talk // 1000
            assert agent["AfterContactWorkStartTimestamp"] == agent_end
            acw = ms(agent["AfterContactWorkEndTimestamp"]) - ms(agent_end)
            assert agent["AfterContactWorkDuration"] == acw // 1000
            ended = max(ms(agent["AfterContactWorkEndTimestamp"]), ms(c["DisconnectTimestamp"]))
            assert 0 < ms(c["LastUpdateTimestamp"]) - ended <= 60_000
            if external:
                assert c["NextContactId"] is None and c["DisconnectTimestamp"] > agent_end
        if c["NextContactId"] and c["DisconnectReason"] == "TRANSFER":
            assert (
                c["NextContactId"] in ids
                and c["TransferCompletedTimestamp"] == c["DisconnectTimestamp"]
            )
        elif c["NextContactId"]:  # a queued callback took the caller's place
            assert agent is None and c["TransferCompletedTimestamp"] is None
        if c["InitiationMethod"] == "TRANSFER":
            assert c["PreviousContactId"] in ids and c["InitialContactId"]


def test_dst_day_has_92_quarter_hours(tmp_path):
    spring = date(2026, 3, 8)
    run(tmp_path, day=spring, agents=3)
    grid = read_csv(tmp_path / "truth" / "intervals.csv")
    starts = [ms(r["interval_start"]) for r in grid]
    assert len(starts) == 92 and {r["day"] for r in grid} == {"2026-03-08"}
    assert grid[0]["interval_start"] == "2026-03-08T05:00:00Z"
    assert grid[-1]["interval_end"] == "2026-03-09T04:00:00Z"
    assert all(b - a == 900_000 for a, b in zip(starts, starts[1:], strict=False))
    truth_starts = {
        r["interval_start"] for r in read_csv(tmp_path / "truth" / "agent_interval_states.csv")
    }
    truth_starts |= {
        r["interval_start"] for r in read_csv(tmp_path / "truth" / "queue_interval.csv")
    }
    assert truth_starts <= {r["interval_start"] for r in grid}


def test_agent_truth_never_exceeds_the_interval(sim):
    root, _ = sim
    rows = read_csv(root / "truth" / "agent_interval_states.csv")
    per_slot: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows:
        assert re.fullmatch(r"\d+\.\d{3}", r["seconds"]) and float(r["seconds"]) > 0
        per_slot[(r["agent_arn"], r["interval_start"])] += float(r["seconds"])
    assert max(per_slot.values()) <= 900.0 + 1e-6
    assert {r["activity"] for r in rows} >= {"NO_CONTACT", "CONNECTED", "ON_HOLD", "ACW", "RINGING"}
    assert {"Ready", "Break", "Lunch", "Offline"} <= {r["status_name"] for r in rows}


def test_truth_is_reproduced_from_the_emitted_records(sim):
    """Reconcile the emitted events and CTRs here; the result equals truth/ exactly."""
    root, _ = sim
    grid = read_csv(root / "truth" / "intervals.csv")
    day_start, day_end, step = ms(grid[0]["interval_start"]), ms(grid[-1]["interval_end"]), 900_000

    def pieces(start: int, end: int):
        start, end = max(start, day_start), min(end, day_end)
        while start < end:
            index = (start - day_start) // step
            boundary = min(end, day_start + (index + 1) * step)
            yield index, boundary - start
            start = boundary

    seconds: dict[tuple, int] = defaultdict(int)
    for arn, events in unique_agent_events(root).items():
        for event, following in zip(events, events[1:], strict=False):
            if event["EventType"] == "LOGOUT":
                continue
            snapshot = event["CurrentAgentSnapshot"]
            status = snapshot["AgentStatus"]
            start, end = ms(event["EventTimestamp"]), ms(following["EventTimestamp"])
            held = min(end, start + 300_000)
            spans = [(start, held, status["Name"], CATEGORY[status["Type"]], activity(snapshot))]
            if end > held:
                spans.append((held, end, "", "unknown", "UNKNOWN"))
            for begin, finish, *key in spans:
                for index, piece in pieces(begin, finish):
                    seconds[(arn, iso(day_start + index * step), *key)] += piece
    ours = sorted((*k, f"{v // 1000}.{v % 1000:03d}") for k, v in seconds.items() if v)
    truth = sorted(
        tuple(r.values()) for r in read_csv(root / "truth" / "agent_interval_states.csv")
    )
    assert ours == truth
    assert any(k[3] == "unknown" for k in seconds)
    summary = json.loads((root / "truth" / "summary.json").read_text())
    assert summary == sim[1].as_dict()


def test_two_days_append_truth_and_days_are_independent(tmp_path):
    summary = run(tmp_path, day=date(2026, 10, 31), agents=3, days=2)
    assert summary.days == 2
    grid = read_csv(tmp_path / "truth" / "intervals.csv")
    assert Counter(r["day"] for r in grid) == {"2026-10-31": 96, "2026-11-01": 100}
    per_agent = unique_agent_events(tmp_path)
    for events in per_agent.values():
        assert [e["EventType"] for e in events].count("LOGIN") == 2
        assert [e["EventType"] for e in events].count("LOGOUT") == 2
    with pytest.raises(ValueError, match="instance ARN"):
        simulate(tmp_path, 1, DAY, 1, 1, "UTC", 15, "arn:aws:s3:::bucket")


def test_the_schedule_has_the_cases_adherence_exists_to_catch():
    """Among 400 agents' plans some leave early, take a long break, go Offline for lunch and
    log in again, stay in Training during work, and work a night shift across midnight."""
    import random

    from wfm_connector.simulator.clock import MINUTE, make_day
    from wfm_connector.simulator.population import build_instance
    from wfm_connector.simulator.schedule import BREAK, LUNCH, OFFLINE, TRAINING, plan_day

    rng = random.Random(1)
    instance = build_instance(rng, 400, "arn:aws:connect:us-east-1:111122223333:instance/x")
    day = make_day(DAY, "America/New_York", 15)
    plans = plan_day(rng, instance, day, night_shifts=True)
    night = [p for p in plans if p.activities[-1].end_ms > day.end_ms]
    assert night and all(p.activities[0].start_ms < day.end_ms for p in night)

    def asked(plan, status):
        return [r for r in plan.requests if r.status == status]

    leave_early = [p for p in plans
                   if asked(p, OFFLINE)[-1].at_ms <= p.activities[-1].end_ms - 20 * MINUTE]  # fmt: skip
    assert leave_early
    breaks = {p.agent.index: [a for a in p.activities if a.name == BREAK] for p in plans}
    long_break = [p for p in plans if any(
        r.return_at_ms >= b.end_ms + 15 * MINUTE - 2 * MINUTE
        for r in asked(p, BREAK) for b in breaks[p.agent.index] if r.at_ms < b.end_ms)]  # fmt: skip
    assert long_break
    offline_lunch = [p for p in plans if p.relogins]
    assert offline_lunch and all(not asked(p, LUNCH) and len(asked(p, OFFLINE)) == 2
                                 for p in offline_lunch)  # fmt: skip
    assert any(asked(p, TRAINING) for p in plans)
    # no night shift unless allowed (only the last simulated day)
    plain = plan_day(random.Random(1), instance, day)
    assert all(p.activities[-1].end_ms <= day.end_ms for p in plain)
