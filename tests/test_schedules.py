"""Schedule import: versions, all-or-nothing validation naming file, line and column."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from typer.testing import CliRunner

from wfm_connector import schedules
from wfm_connector.cli import app

pytestmark = pytest.mark.integration

INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/11111111-2222-3333-4444-555555555555"
ADA, BEN = f"{INSTANCE}/agent/ada", f"{INSTANCE}/agent/ben"
TZ = "America/New_York"
TODAY = date(2026, 11, 20)
HEADER = "agent,start,end,activity,productive,adherence_tracked\n"
GOOD = HEADER + (
    "ada.lovelace,2026-11-02T09:00:00-05:00,2026-11-02T11:00:00-05:00,Phone,true,\n"
    "ada.lovelace,2026-11-02T11:00:00-05:00,2026-11-02T11:15:00-05:00,Break,false,true\n"
    f"{BEN},2026-11-02T22:00:00-05:00,2026-11-03T06:00:00Z,Night phone,TRUE,false\n"
)


@pytest.fixture
def agents(db):
    for arn, name in ((ADA, "ada.lovelace"), (BEN, "ben.brown")):
        db.execute(
            "INSERT INTO wfm.agent (agent_id, agent_arn, username) VALUES (wfm.stable_id(%s), %s, %s)",
            (arn, arn, name),
        )
    db.execute("TRUNCATE wfm.schedule_version CASCADE")
    return db


def load(db, text: str, source: str = "schedule.csv", recompute_days: int = 30):
    return schedules.import_schedule(db, text.encode(), source, TZ, recompute_days,
                                     loaded_by="tester", today=TODAY)  # fmt: skip


def current(db) -> list[tuple]:
    return db.execute(
        "SELECT agent_arn, to_char(start_ts AT TIME ZONE 'UTC', 'DD HH24:MI'), "
        "to_char(end_ts AT TIME ZONE 'UTC', 'DD HH24:MI'), activity, productive, "
        "adherence_tracked FROM wfm.schedule_current ORDER BY 1, 2"
    ).fetchall()


def test_a_good_file_is_a_new_version_and_its_days_are_recomputed(agents):
    result = load(agents, GOOD)
    # usernames and ARNs both name agents; adherence_tracked defaults to true; times with an
    # offset or Z; Ben's shift crosses midnight local time (22:00 EST to 01:00 EST)
    assert (result.activities, result.agents) == (3, 2)
    assert current(agents) == [
        (ADA, "02 14:00", "02 16:00", "Phone", True, True),
        (ADA, "02 16:00", "02 16:15", "Break", False, True),
        (BEN, "03 03:00", "03 06:00", "Night phone", True, False),
    ]
    # local days touched: 11-02 (Ada, Ben's start) and 11-03 (Ben's end, 01:00 EST)
    assert result.days == (date(2026, 11, 2), date(2026, 11, 3))
    dirty = [r[0] for r in agents.execute("SELECT day FROM wfm.dirty_day ORDER BY day")]
    assert dirty == [date(2026, 11, 2), date(2026, 11, 3)]
    version = agents.execute(
        "SELECT source, loaded_by, activities, length(sha256) FROM wfm.schedule_version"
    ).fetchall()
    assert version == [("schedule.csv", "tester", 3, 64)]
    # the same bytes again: nothing new
    again = load(agents, GOOD)
    assert again.unchanged and again.version_id == result.version_id


def test_days_older_than_the_recompute_window_are_not_marked(agents):
    result = load(agents, GOOD, recompute_days=17)  # 11-20 minus 17 days = 11-03
    assert result.days == (date(2026, 11, 3),)


BAD = [
    ("ada.lovelace,2026-11-02T11:00:00Z,2026-11-02T10:00:00Z,Phone,true,", "end", "inverted span"),
    ("nobody,2026-11-02T09:00:00Z,2026-11-02T10:00:00Z,Phone,true,", "agent", "unknown agent 'nobody'"),
    ("ada.lovelace,2026-11-02T09:00:00,2026-11-02T10:00:00Z,Phone,true,", "start", "not an ISO 8601 time with an offset or Z"),
    ("ada.lovelace,2026-11-02T09:00:00Z,2026-11-02T10:00:00Z,Phone,yes,", "productive", "'yes' is not true or false"),
    ("ada.lovelace,2026-11-02T09:00:00Z,2026-11-02T10:00:00Z,,true,", "activity", "is missing"),
    ("ada.lovelace,2026-11-02T14:30:00Z,2026-11-02T15:00:00Z,Training,false,", "start", "overlaps line 2"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "column", "reason"), BAD, ids=[b[1] + ":" + b[2][:12] for b in BAD])
def test_a_bad_row_rejects_the_file_and_names_line_and_column(agents, row, column, reason):
    load(agents, GOOD)
    before = current(agents)
    text = HEADER + GOOD.splitlines(keepends=True)[1] + row + "\n"  # the bad row is line 3
    with pytest.raises(schedules.ScheduleError) as caught:
        load(agents, text, source="week48.csv")
    message = str(caught.value)
    assert f"week48.csv, line 3, column {column}: " in message and reason in message, message
    assert agents.execute("SELECT count(*) FROM wfm.schedule_version").fetchone() == (1,)
    assert current(agents) == before  # the previous version stays in force


def test_a_newer_version_replaces_what_it_overlaps_for_that_agent_only(agents):
    load(agents, GOOD)
    # Ada's day is re-published: a longer break; Ben is not in the file
    newer = HEADER + (
        "ada.lovelace,2026-11-02T09:00:00-05:00,2026-11-02T10:30:00-05:00,Phone,true,\n"
        "ada.lovelace,2026-11-02T10:30:00-05:00,2026-11-02T11:15:00-05:00,Break,false,\n"
    )
    load(agents, newer, source="republished.csv")
    assert current(agents) == [
        (ADA, "02 14:00", "02 15:30", "Phone", True, True),
        (ADA, "02 15:30", "02 16:15", "Break", False, True),
        (BEN, "03 03:00", "03 06:00", "Night phone", True, False),
    ]


def test_json_and_the_simulators_spelling_are_accepted(agents):
    json_text = (
        '[{"agent": "ada.lovelace", "start": "2026-11-04T14:00:00Z", "end": "2026-11-04T15:00:00Z",'
        ' "activity": "Phone", "productive": true}]'
    )
    assert load(agents, json_text, source="s.json").activities == 1
    simulator = (
        "agent_arn,username,activity,productive,adherence_tracked,start_utc,end_utc\n"
        f"{BEN},ben.brown,Phone,true,true,2026-11-05T14:00:00Z,2026-11-05T16:00:00Z\n"
    )
    assert load(agents, simulator).activities == 1


def test_the_cli_loads_a_file_and_prints_the_problems_of_a_bad_one(agents, tmp_path, database_url):
    config = tmp_path / "wfm.yaml"
    config.write_text(yaml.safe_dump({
        "connect": {"instance_arn": INSTANCE}, "timezone": TZ,
        "sources": {"agent_events": {"kind": "local_folder", "path": str(tmp_path)}},
    }))  # fmt: skip
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD)
    bad.write_text(HEADER + BAD[0][0] + "\n")
    runner = CliRunner()
    ok = runner.invoke(app, ["schedule", "import", str(good), "--config", str(config)])
    assert ok.exit_code == 0, ok.output
    assert "3 activities of 2 agents" in " ".join(ok.output.split())
    rejected = runner.invoke(app, ["schedule", "import", str(bad), "--config", str(config)])
    assert rejected.exit_code == 2
    assert "line 2, column end" in " ".join(rejected.output.split())
