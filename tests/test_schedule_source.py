"""Schedule files picked up from a folder or S3: each file version read once, a bad file
rejected with its line and the version in force kept, a rejected file retried when it changes
or when the agent it named becomes known."""

from __future__ import annotations

import os
from datetime import date

import boto3
import pytest

from tests.test_connect_parity import config
from wfm_connector import schedule_source

pytestmark = pytest.mark.integration

INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/11111111-2222-3333-4444-555555555555"
ADA, BEN = f"{INSTANCE}/agent/ada", f"{INSTANCE}/agent/ben"
TODAY = date(2026, 11, 20)
HEADER = "agent,start,end,activity,productive\n"
MONDAY = HEADER + "ada,2026-11-02T14:00:00Z,2026-11-02T16:00:00Z,Phone,true\n"
TUESDAY = HEADER + "ada,2026-11-03T14:00:00Z,2026-11-03T16:00:00Z,Phone,true\n"
# Ada's Monday again with a break: loaded after MONDAY (name order), so it wins
MONDAY_V2 = HEADER + (
    "ada,2026-11-02T14:00:00Z,2026-11-02T15:00:00Z,Phone,true\n"
    "ada,2026-11-02T15:00:00Z,2026-11-02T15:15:00Z,Break,false\n"
)
NAMES_BEN = HEADER + "ben,2026-11-04T14:00:00Z,2026-11-04T16:00:00Z,Phone,true\n"


def add_agent(db, arn: str, name: str) -> None:
    db.execute("INSERT INTO wfm.agent (agent_id, agent_arn, username) VALUES "
               "(wfm.stable_id(%s), %s, %s)", (arn, arn, name))  # fmt: skip


def current(db) -> list[tuple]:
    return db.execute(
        "SELECT username, to_char(start_ts AT TIME ZONE 'UTC', 'DD HH24:MI'), activity "
        "FROM wfm.schedule_current JOIN wfm.agent USING (agent_arn) ORDER BY 1, 2"
    ).fetchall()


def outcomes(db) -> list[tuple]:
    return db.execute("SELECT key, outcome FROM wfm.schedule_file ORDER BY key, read_at").fetchall()


def test_a_folder_of_schedule_files(db, tmp_path):
    add_agent(db, ADA, "ada")
    folder = tmp_path / "schedules"
    folder.mkdir()
    (folder / "2026-11-01_week45.csv").write_text(MONDAY)
    (folder / "2026-11-02_week45_tuesday.csv").write_text(TUESDAY)
    (folder / "2026-11-03_week45_again.csv").write_text(TUESDAY)  # the newest again: no change
    (folder / "2026-11-04_bens_week.csv").write_text(NAMES_BEN)  # Ben is not known yet
    (folder / "README.txt").write_text("not a schedule")
    cfg = config(tmp_path, schedules={"source": {"kind": "local_folder", "path": str(folder)}})
    assert schedule_source.pending(db, cfg)

    result = schedule_source.load_new(db, cfg, today=TODAY)
    assert [name.rsplit("/", 1)[1] for name, _, _ in result.loaded] == [
        "2026-11-01_week45.csv", "2026-11-02_week45_tuesday.csv"]  # fmt: skip
    assert [n.rsplit("/", 1)[1] for n in result.unchanged] == ["2026-11-03_week45_again.csv"]
    [(name, problems)] = result.rejected
    assert name.endswith("2026-11-04_bens_week.csv")
    assert "2026-11-04_bens_week.csv, line 2, column agent: unknown agent 'ben'" in problems
    assert result.days == {date(2026, 11, 2), date(2026, 11, 3)}
    assert current(db) == [("ada", "02 14:00", "Phone"), ("ada", "03 14:00", "Phone")]

    assert [n.rsplit("/", 1)[1] for n, _ in result.outstanding] == ["2026-11-04_bens_week.csv"]

    # nothing new: nothing read, not even the rejected file (no new agent since), but it is
    # still reported as standing rejected
    assert not schedule_source.pending(db, cfg)
    again = schedule_source.load_new(db, cfg, today=TODAY)
    assert (again.loaded, again.unchanged, again.rejected) == ([], [], [])
    assert again.outstanding == result.outstanding

    # Ben's first events arrive: the rejected file is read again and loads
    add_agent(db, BEN, "ben")
    assert schedule_source.pending(db, cfg)
    retried = schedule_source.load_new(db, cfg, today=TODAY)
    assert [n.rsplit("/", 1)[1] for n, _, _ in retried.loaded] == ["2026-11-04_bens_week.csv"]
    assert retried.outstanding == []

    # a re-published Monday is a new file: it replaces Ada's Monday; Tuesday stays
    (folder / "2026-11-05_monday_republished.csv").write_text(MONDAY_V2)
    schedule_source.load_new(db, cfg, today=TODAY)
    assert current(db) == [
        ("ada", "02 14:00", "Phone"), ("ada", "02 15:00", "Break"), ("ada", "03 14:00", "Phone"),
        ("ben", "04 14:00", "Phone"),
    ]  # fmt: skip
    assert [o for _, o in outcomes(db)] == [
        "loaded", "loaded", "unchanged", "loaded", "loaded"]  # fmt: skip


def test_a_rejected_file_is_read_again_once_corrected(db, tmp_path):
    add_agent(db, ADA, "ada")
    path = tmp_path / "schedule.csv"  # the source is one file, rewritten in place
    path.write_text(MONDAY)
    cfg = config(tmp_path, schedules={"source": {"kind": "local_folder", "path": str(path)}})
    assert len(schedule_source.load_new(db, cfg, today=TODAY).loaded) == 1
    path.write_text(HEADER + "ada,2026-11-02T16:00:00Z,2026-11-02T15:00:00Z,Phone,true\n")
    os.utime(path, ns=(1, 2))  # a new ETag (size and mtime) even within the same clock tick
    rejected = schedule_source.load_new(db, cfg, today=TODAY)
    assert "line 2, column end" in rejected.rejected[0][1]
    assert current(db) == [("ada", "02 14:00", "Phone")]  # the version in force stays
    path.write_text(MONDAY_V2)
    fixed = schedule_source.load_new(db, cfg, today=TODAY)
    assert len(fixed.loaded) == 1
    assert current(db) == [("ada", "02 14:00", "Phone"), ("ada", "02 15:00", "Break")]


def test_schedule_files_in_s3(db, tmp_path, moto_endpoint, unique):
    add_agent(db, ADA, "ada")
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="wfm/schedules/b.csv", Body=MONDAY_V2.encode())
    s3.put_object(Bucket=unique, Key="wfm/schedules/a.csv", Body=MONDAY.encode())
    s3.put_object(Bucket=unique, Key="wfm/other/c.csv", Body=TUESDAY.encode())  # not the prefix
    cfg = config(tmp_path, schedules={"source": {
        "kind": "s3", "bucket": unique, "prefix": "wfm/schedules/",
        "aws": {"endpoint_url": moto_endpoint}}})  # fmt: skip
    result = schedule_source.load_new(db, cfg, today=TODAY)
    # key order: a.csv then b.csv, so b's Monday (with the break) is in force
    assert [name for name, _, _ in result.loaded] == [
        f"s3://{unique}/wfm/schedules/a.csv", f"s3://{unique}/wfm/schedules/b.csv"]  # fmt: skip
    assert current(db) == [("ada", "02 14:00", "Phone"), ("ada", "02 15:00", "Break")]
    assert db.execute("SELECT source, loaded_by FROM wfm.schedule_version ORDER BY 1").fetchall() == [
        (f"s3://{unique}/wfm/schedules/a.csv", "schedule source"),
        (f"s3://{unique}/wfm/schedules/b.csv", "schedule source"),
    ]  # fmt: skip
    # an object re-written under the same key has a new ETag and is read again; b.csv, after
    # it in key order, is applied again so it still wins where they overlap
    s3.put_object(Bucket=unique, Key="wfm/schedules/a.csv", Body=TUESDAY.encode())
    assert [n for n, _, _ in schedule_source.load_new(db, cfg, today=TODAY).loaded] == [
        f"s3://{unique}/wfm/schedules/a.csv", f"s3://{unique}/wfm/schedules/b.csv"]  # fmt: skip
    assert current(db) == [("ada", "02 14:00", "Phone"), ("ada", "02 15:00", "Break"),
                           ("ada", "03 14:00", "Phone")]  # fmt: skip


def test_an_unreachable_bucket_is_reported_not_raised(db, tmp_path, moto_endpoint, unique):
    cfg = config(tmp_path, schedules={"source": {
        "kind": "s3", "bucket": unique, "aws": {"endpoint_url": moto_endpoint}}})  # fmt: skip
    result = schedule_source.load_new(db, cfg, today=TODAY)  # no such bucket
    assert result.loaded == [] and "NoSuchBucket" in result.failed[0][1]
    assert not schedule_source.pending(db, cfg)


def test_a_file_rejected_for_a_then_unknown_agent_does_not_override_a_later_file(db, tmp_path):
    # a_week.csv names Ben (unknown yet) and Ada's Monday; b_week_rev.csv, later in name order,
    # revises Ada's Monday with a break. When Ben becomes known, a_week.csv loads, and b's
    # revision must still be the Monday in force.
    add_agent(db, ADA, "ada")
    folder = tmp_path / "schedules"
    folder.mkdir()
    (folder / "a_week.csv").write_text(MONDAY + NAMES_BEN.removeprefix(HEADER))
    (folder / "b_week_rev.csv").write_text(MONDAY_V2)
    cfg = config(tmp_path, schedules={"source": {"kind": "local_folder", "path": str(folder)}})
    first = schedule_source.load_new(db, cfg, today=TODAY)
    assert [n.rsplit("/", 1)[1] for n, _ in first.rejected] == ["a_week.csv"]
    add_agent(db, BEN, "ben")
    retried = schedule_source.load_new(db, cfg, today=TODAY)
    assert [n.rsplit("/", 1)[1] for n, _, _ in retried.loaded] == ["a_week.csv", "b_week_rev.csv"]
    assert current(db) == [("ada", "02 14:00", "Phone"), ("ada", "02 15:00", "Break"),
                           ("ben", "04 14:00", "Phone")]  # fmt: skip


def test_an_unreadable_file_is_retried_after_a_growing_wait_not_every_minute(db, tmp_path):
    add_agent(db, ADA, "ada")
    folder = tmp_path / "schedules"
    folder.mkdir()
    # a file that lists as a regular file but cannot be read (EIO at offset 0, even as root)
    (folder / "a_broken.csv").symlink_to("/proc/self/mem")
    (folder / "b_monday.csv").write_text(MONDAY)
    cfg = config(tmp_path, schedules={"source": {"kind": "local_folder", "path": str(folder)}})
    result = schedule_source.load_new(db, cfg, today=TODAY)
    assert [n.rsplit("/", 1)[1] for n, _ in result.failed] == ["a_broken.csv"]
    assert [n.rsplit("/", 1)[1] for n, _, _ in result.loaded] == ["b_monday.csv"]  # not stopped
    [(name, problems)] = result.outstanding
    assert name.endswith("a_broken.csv") and problems.startswith("cannot be read:")
    assert not schedule_source.pending(db, cfg)  # no run requested for it for 5 minutes

    def wait() -> float:
        return db.execute(
            "SELECT extract(epoch FROM retry_after - read_at) FROM wfm.schedule_file "
            "WHERE key = 'a_broken.csv'"
        ).fetchone()[0]

    assert round(wait()) == 300
    db.execute("UPDATE wfm.schedule_file SET retry_after = now() - interval '1 s'")
    assert schedule_source.pending(db, cfg)
    assert len(schedule_source.load_new(db, cfg, today=TODAY).failed) == 1
    assert round(wait()) == 600  # doubled


def test_a_file_name_with_a_backslash_loads_and_one_not_utf8_is_refused(db, tmp_path):
    # a backslash is an ordinary character of a name (it used to be refused as "not UTF-8");
    # a name holding byte 0xff cannot be recorded, so it is reported and left alone
    add_agent(db, ADA, "ada")
    folder = tmp_path / "schedules"
    folder.mkdir()
    (folder / "team\\monday.csv").write_text(MONDAY)
    (folder / os.fsdecode(b"tuesday-\xff.csv")).write_text(TUESDAY)
    cfg = config(tmp_path, schedules={"source": {"kind": "local_folder", "path": str(folder)}})
    result = schedule_source.load_new(db, cfg, today=TODAY)
    assert [n.rsplit("/", 1)[1] for n, _, _ in result.loaded] == ["team\\monday.csv"]
    assert current(db) == [("ada", "02 14:00", "Phone")]
    assert outcomes(db) == [("team\\monday.csv", "loaded")]
