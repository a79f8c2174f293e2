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


# The rows of the README's Athena query over Connect's data lake scheduling tables
# (staff_shifts + staff_shift_activities + shift_activities); timestamps in UTC, no zone.
LAKE_HEADER = (
    "agent_arn,shift_id,shift_version,activity_id,activity_start_timestamp,"
    "activity_end_timestamp,shift_activity_arn,shift_activity_name,type,is_adherence_tracked,"
    "activity_status,is_deleted\n"
)
SA = f"{INSTANCE}/shift-activity"
LAKE = LAKE_HEADER + (
    # line 2-3: version 1 of Ada's shift, superseded by version 2 below
    f"{ADA},s1,1,a1,2026-11-02 14:00:00.000,2026-11-02 18:00:00.000,,,,,ACTIVE,false\n"
    f"{ADA},s1,1,a2,2026-11-02 18:00:00.000,2026-11-02 18:30:00.000,{SA}/lunch,Lunch,NON_PRODUCTIVE,true,ACTIVE,false\n"
    # line 4-7: version 2: Work (no shift activity ARN), a break, a meeting not tracked, work
    f"{ADA},s1,2,a1,2026-11-02 14:00:00.000,2026-11-02 16:00:00.000,,,,,ACTIVE,false\n"
    f"{ADA},s1,2,a2,2026-11-02 16:00:00.000,2026-11-02 16:15:00.000,{SA}/break,Break,NON_PRODUCTIVE,true,ACTIVE,false\n"
    f"{ADA},s1,2,a3,2026-11-02 16:15:00.000,2026-11-02 17:00:00.000,{SA}/meet,Team meeting,NON_PRODUCTIVE,false,ACTIVE,false\n"
    f"{ADA},s1,2,a4,2026-11-02 17:00:00.000,2026-11-02 19:00:00.000,{SA}/email,Email,PRODUCTIVE,true,ACTIVE,false\n"
    # line 8: Ben's shift: a block a time off overlaps (INACTIVE), then a deleted one, then leave
    f"{BEN},s2,1,b1,2026-11-02 14:00:00.000,2026-11-02 16:00:00.000,,,,,INACTIVE,false\n"
    f"{BEN},s2,1,b2,2026-11-02 16:00:00.000,2026-11-02 17:00:00.000,,,,,ACTIVE,true\n"
    f"{BEN},s2,1,b3,2026-11-02 17:00:00.000,2026-11-02 22:00:00.000,{SA}/pto,Vacation,LEAVE,,ACTIVE,\n"
)  # fmt: skip


def test_connects_own_scheduling_data_from_the_data_lake(agents):
    result = load(agents, LAKE, source="datalake_export.csv")
    # in force: Ada's version 2 (4 blocks) and Ben's leave; left out: 2 of version 1, one
    # INACTIVE block, one deleted block
    assert (result.activities, result.agents) == (5, 2)
    assert result.skipped == {"older shift version": 2, "inactive (time off)": 1, "deleted": 1}
    assert current(agents) == [
        (ADA, "02 14:00", "02 16:00", "Work", True, True),  # NULL shift_activity_arn: Work
        (ADA, "02 16:00", "02 16:15", "Break", False, True),
        (ADA, "02 16:15", "02 17:00", "Team meeting", False, False),
        (ADA, "02 17:00", "02 19:00", "Email", True, True),
        (BEN, "02 17:00", "02 22:00", "Vacation", False, True),  # LEAVE; NULL tracked: tracked
    ]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (f"{ADA},s9,1,x,2026-11-03 14:00:00,2026-11-03 15:00:00,{SA}/x,Odd,OTHER,true,ACTIVE,false",
         "type", "'OTHER' is not PRODUCTIVE, NON_PRODUCTIVE or LEAVE"),
        (f"{ADA},s9,1,x,2026-11-03 14:00:00,2026-11-03 15:00:00,{SA}/x,,PRODUCTIVE,true,ACTIVE,false",
         "shift_activity_name", "is missing (join shift_activities"),
        (f"{ADA},s9,1,x,2026-11-03 15:00:00,2026-11-03 14:00:00,,,,,ACTIVE,false",
         "activity_end_timestamp", "inverted span"),
        (f"{INSTANCE}/agent/zed,s9,1,x,2026-11-03 14:00:00,2026-11-03 15:00:00,,,,,ACTIVE,false",
         "agent_arn", "unknown agent"),
    ],
    ids=["type", "name", "inverted", "agent"],
)  # fmt: skip
def test_a_bad_data_lake_row_names_the_data_lake_column(agents, row, column, reason):
    with pytest.raises(schedules.ScheduleError) as caught:
        load(agents, LAKE_HEADER + row + "\n", source="lake.csv")
    assert f"lake.csv, line 2, column {column}: " in str(caught.value), str(caught.value)
    assert reason in str(caught.value)


def test_a_file_that_is_not_csv_is_rejected_not_a_crash(agents):
    # a quote opened and never closed swallows the rest of the file into one field, longer
    # than the csv module's field limit (131,072 characters)
    text = HEADER + 'ada.lovelace,"' + "x" * 200_000 + "\n"
    with pytest.raises(schedules.ScheduleError) as caught:
        load(agents, text, source="broken.csv")
    assert "broken.csv, line 2, column -: not CSV: field larger than field limit" in str(
        caught.value)


def test_a_shift_deleted_in_connect_stops_counting(agents):
    # Version 1 of the export: Ada works Monday and Tuesday 14:00-18:00Z. In the next export
    # Tuesday's shift is deleted: it must no longer be scheduled, although no other block of
    # that file reaches Tuesday (the cleared span covers it).
    first = LAKE_HEADER + (
        f"{ADA},m,1,a,2026-11-02 14:00:00,2026-11-02 18:00:00,,,,,ACTIVE,false\n"
        f"{ADA},t,1,a,2026-11-03 14:00:00,2026-11-03 18:00:00,,,,,ACTIVE,false\n"
    )
    load(agents, first, source="lake1.csv")
    assert [row[1] for row in current(agents)] == ["02 14:00", "03 14:00"]
    second = LAKE_HEADER + (
        f"{ADA},m,1,a,2026-11-02 14:00:00,2026-11-02 18:00:00,,,,,ACTIVE,false\n"
        f"{ADA},t,1,a,2026-11-03 14:00:00,2026-11-03 18:00:00,,,,,ACTIVE,true\n"
    )
    result = load(agents, second, source="lake2.csv")
    assert result.skipped == {"deleted": 1}
    assert [row[1] for row in current(agents)] == ["02 14:00"]
    assert date(2026, 11, 3) in result.days  # Tuesday's adherence is computed again
    # an export whose every row is deleted clears them all instead of being "empty"
    load(agents, second.replace(",false\n", ",true\n"), source="lake3.csv")
    assert current(agents) == []


def test_a_shift_version_that_is_not_a_number_is_a_problem_not_an_old_version(agents):
    row = f"{ADA},s9,two,x,2026-11-03 14:00:00,2026-11-03 15:00:00,,,,,ACTIVE,false"
    with pytest.raises(schedules.ScheduleError) as caught:
        load(agents, LAKE_HEADER + row + "\n", source="lake.csv")
    assert "lake.csv, line 2, column shift_version: 'two' is not a whole number" in str(
        caught.value)  # fmt: skip


@pytest.mark.parametrize(("row", "column"), [
    ("ada.lovelace,2026-11-02T14:00:00Z,9999-12-31T23:00:00Z,Phone,true,", "end"),
    ("ada.lovelace,0001-01-01T00:00:00+05:00,2026-11-02T15:00:00Z,Phone,true,", "start"),
    ("ada.lovelace,2026-11-02T14:00:00Z,2026-11-02T15:00:00Z,Ph\x00ne,true,", "activity"),
], ids=["year-9999", "year-1", "nul"])  # fmt: skip
def test_values_the_database_or_calendar_cannot_hold_are_rejected_by_line(agents, row, column):
    with pytest.raises(schedules.ScheduleError) as caught:
        load(agents, HEADER + row + "\n", source="odd.csv")
    assert f"odd.csv, line 2, column {column}: " in str(caught.value)


def test_reloading_the_bytes_of_an_older_version_makes_it_current_again(agents):
    monday = HEADER + "ada.lovelace,2026-11-02T14:00:00Z,2026-11-02T16:00:00Z,Phone,true,\n"
    monday_v2 = HEADER + (
        "ada.lovelace,2026-11-02T14:00:00Z,2026-11-02T15:00:00Z,Phone,true,\n"
        "ada.lovelace,2026-11-02T15:00:00Z,2026-11-02T16:00:00Z,Break,false,\n"
    )
    load(agents, monday)
    load(agents, monday_v2)
    assert load(agents, monday_v2).unchanged  # the newest again: nothing to do
    reverted = load(agents, monday)  # the WFM system went back to the first plan
    assert not reverted.unchanged
    assert current(agents) == [(ADA, "02 14:00", "02 16:00", "Phone", True, True)]
