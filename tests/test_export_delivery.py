"""Delivering export files to real servers: S3 (moto, server mode) and SFTP (asyncssh).

What a WFM integration engineer relies on: every target gets the same file and manifest; an
importer polling the folder never sees a partial file; re-running replaces instead of adding;
a server with the wrong host key is refused by name; a planted symlink is never followed; a
target that is down does not stop the others, is retried with back-off and shows as failed;
late contact records regenerate the day's files everywhere under a new generation.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import threading

import boto3
import orjson
import pytest

from tests.sftp_server import USER, SftpServer
from tests.test_connect_parity import AGENT, config, ctr, reconcile
from wfm_connector import pipeline
from wfm_connector.config import ExportDelivery, SftpExportTarget
from wfm_connector.exports.delivery import deliver
from wfm_connector.exports.publish import manifest_bytes
from wfm_connector.exports.targets import DeliveryRefused, SftpTarget, build_target
from wfm_connector.exports.verify import delivered_match_manifest

FILE = "calabrio_queue_q_20261102.csv"


@pytest.fixture
def sftp(tmp_path):
    root = tmp_path / "sftp-root"
    root.mkdir()
    server = SftpServer(root).start()
    yield server
    server.stop()


def sftp_target(tmp_path, server: SftpServer, **extra) -> dict:
    key = tmp_path / "id_ed25519"
    key.write_text(server.private_key_text())
    known = tmp_path / "known_hosts"
    if not known.exists():
        known.write_text(server.known_hosts_line())
    return {"kind": "sftp", "host": "127.0.0.1", "port": server.port, "username": USER,
            "path": "/inbox", "private_key_file": str(key), "known_hosts": str(known),
            **extra}  # fmt: skip


def three_targets(tmp_path, server, moto_endpoint, bucket) -> dict:
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    return {
        "local": {"kind": "local_folder", "path": str(tmp_path / "out")},
        "s3": {"kind": "s3", "bucket": bucket, "prefix": "wfm", "server_side_encryption": "AES256",
               "aws": {"endpoint_url": moto_endpoint}},
        "sftp": sftp_target(tmp_path, server),
    }  # fmt: skip


def seen_while_writing(read, write, versions: list[bytes]) -> set[bytes]:
    """Everything ``read`` returned, polled in a thread while ``write`` wrote each version."""
    seen: set[bytes] = set()
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            data = read()
            if data is not None:
                seen.add(data)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        for data in versions:
            write(data)
    finally:
        done.set()
        poller.join()
    return seen


def sales_0900(text: str) -> list[str]:
    """The queue log row of Sales at 09:00 local."""
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=";") if r[2] == "09:00"]
    [row] = [r for r in rows if r[4] == "Sales"]
    return row


def test_late_records_regenerate_the_day_on_every_target(db, tmp_path, sftp, moto_endpoint,
                                                         unique):  # fmt: skip
    targets = three_targets(tmp_path, sftp, moto_endpoint, unique)
    cfg = config(tmp_path, export_targets=targets, export_profiles=[
        {"name": "q", "format": "calabrio_queue_log", "target": ["local", "s3", "sftp"]}])  # fmt: skip
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")

    def at_each_target(name: str) -> list[bytes]:
        return [
            (tmp_path / "out" / name).read_bytes(),
            s3.get_object(Bucket=unique, Key=f"wfm/q/{name}")["Body"].read(),
            (sftp.root / "inbox" / name).read_bytes(),
        ]

    # One call at 14:00:30Z (09:00 New York), answered: offered 1, answered 1.
    first = [ctr("V1", "14:02:00", enqueue="14:00:30", duration=30, agent=AGENT,
                 connected="14:01:00", talk=40, hold=5, acw=15)]  # fmt: skip
    window = reconcile(db, cfg, ctrs=first)
    [result] = pipeline.export_day(db, cfg, window)
    assert result.ok and result.generation == 1
    files = at_each_target(FILE)
    assert files[0] == files[1] == files[2]
    row = sales_0900(files[0].decode())
    assert (row[5], row[9]) == ("1", "1")  # offd_direct_call_cnt, answ_call_cnt
    manifests = [orjson.loads(m) for m in at_each_target(FILE + ".manifest.json")]
    assert {m["generation"] for m in manifests} == {1}
    assert manifests[0]["source_watermark"]["contact_records"]["records"] == 1

    # The same data again: the same generation and bytes, and no second object or file.
    [again] = pipeline.export_day(db, cfg, window)
    assert again.generation == 1 and at_each_target(FILE) == files
    listed = s3.list_objects_v2(Bucket=unique)["Contents"]
    assert sorted(o["Key"] for o in listed) == [f"wfm/q/{FILE}", f"wfm/q/{FILE}.manifest.json"]
    assert sorted(os.listdir(sftp.root / "inbox")) == [FILE, FILE + ".manifest.json"]

    # A late record of a second call at 14:05Z, abandoned after 40 s: offered 2, answered 1.
    late = [ctr("V9", "14:05:40", enqueue="14:05:00", duration=40, reason="CUSTOMER_DISCONNECT")]
    window = reconcile(db, cfg, ctrs=late)
    [regenerated] = pipeline.export_day(db, cfg, window)
    assert regenerated.ok and regenerated.generation == 2
    new = at_each_target(FILE)
    assert new[0] == new[1] == new[2] != files[0]
    row = sales_0900(new[0].decode())
    assert (row[5], row[7], row[9]) == ("2", "1", "1")  # offered, abandoned, answered
    manifests = [orjson.loads(m) for m in at_each_target(FILE + ".manifest.json")]
    assert {m["generation"] for m in manifests} == {2}
    assert manifests[2]["source_watermark"]["contact_records"]["records"] == 2
    assert manifests[1]["files"][0]["sha256"] == regenerated.file.sha256
    head = s3.head_object(Bucket=unique, Key=f"wfm/q/{FILE}")
    assert head["ServerSideEncryption"] == "AES256"
    delivered = db.execute(
        "SELECT target, generation, outcome FROM wfm.export_delivery WHERE profile = 'q' "
        "ORDER BY target"
    ).fetchall()
    assert delivered == [("local", 2, "delivered"), ("s3", 2, "delivered"),
                         ("sftp", 2, "delivered")]  # fmt: skip

    # Read back from all three, file and manifest agree; then S3 gets generation 1's file
    # again (a stale copy job): the check names the target and the hash it found
    def build(target: str):
        return build_target(cfg, target)

    manifest = manifest_bytes(regenerated.manifest)
    assert delivered_match_manifest(regenerated, build, manifest).passed
    s3.put_object(Bucket=unique, Key=f"wfm/q/{FILE}", Body=files[1])
    stale = delivered_match_manifest(regenerated, build, manifest)
    assert not stale.passed and stale.metadata["targets"] == ["local", "s3", "sftp"]
    assert stale.metadata["problems"][0] == (
        f"s3: the file's sha256 is {hashlib.sha256(files[1]).hexdigest()} where its manifest "
        f"says {regenerated.file.sha256}")  # fmt: skip
    assert all(p.startswith("s3: ") and "rows" not in p for p in stale.metadata["problems"])


def test_sftp_files_get_the_mode_and_a_poller_never_sees_a_partial_file(tmp_path, sftp):
    target = SftpTarget("sftp", SftpExportTarget(**sftp_target(tmp_path, sftp)))
    final = sftp.root / "inbox" / "big.csv"
    versions = [bytes([65 + i]) * (6 * 1024 * 1024) for i in range(3)]  # 6 MiB each

    def read() -> bytes | None:
        with contextlib.suppress(FileNotFoundError):
            return final.read_bytes()
        return None

    seen = seen_while_writing(read, lambda data: target.put("q", [("big.csv", data)]), versions)
    assert seen and seen <= set(versions)  # whole versions only, never a part of one
    assert final.read_bytes() == versions[-1]
    assert final.stat().st_mode & 0o777 == 0o640
    assert os.listdir(sftp.root / "inbox") == ["big.csv"]  # no temporary left behind


def test_a_wrong_host_key_is_refused_naming_the_host(tmp_path, sftp):
    import asyncssh

    impostor = asyncssh.generate_private_key("ssh-ed25519")
    (tmp_path / "known_hosts").write_text(sftp.known_hosts_line(impostor))
    target = SftpTarget("wfm-sftp", SftpExportTarget(**sftp_target(tmp_path, sftp)))
    [outcome] = deliver([target], "q", [("x.csv", b"1\n")], ExportDelivery(backoff_seconds=0))
    assert not outcome.ok and outcome.attempts == 1  # not retried: only a person can fix it
    assert f"the host key of 127.0.0.1:{sftp.port} is not the one in" in outcome.error
    assert "wfm-sftp" in outcome.error
    assert not (sftp.root / "inbox" / "x.csv").exists()


def test_a_host_missing_from_known_hosts_is_refused(tmp_path, sftp):
    (tmp_path / "known_hosts").write_text("")
    target = SftpTarget("s", SftpExportTarget(**sftp_target(tmp_path, sftp)))
    with pytest.raises(DeliveryRefused, match=f"host key of 127.0.0.1:{sftp.port}"):
        target.put("q", [("x.csv", b"1\n")])


def test_sftp_key_from_an_environment_variable(tmp_path, sftp, monkeypatch):
    options = sftp_target(tmp_path, sftp)
    del options["private_key_file"]
    monkeypatch.setenv("WFM_SFTP_KEY", sftp.private_key_text())
    target = SftpTarget("s", SftpExportTarget(**options, private_key_env="WFM_SFTP_KEY"))
    assert target.put("q", [("x.csv", b"1\n")]) == [
        f"sftp://{USER}@127.0.0.1:{sftp.port}/inbox/x.csv"
    ]
    assert (sftp.root / "inbox" / "x.csv").read_bytes() == b"1\n"
    monkeypatch.delenv("WFM_SFTP_KEY")
    with pytest.raises(DeliveryRefused, match="environment variable WFM_SFTP_KEY is not set"):
        target.put("q", [("x.csv", b"1\n")])


def test_sftp_symlinks_planted_at_the_final_or_temporary_name_are_not_followed(tmp_path, sftp):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    inbox = sftp.root / "inbox"
    inbox.mkdir()
    (inbox / "x.csv").symlink_to(victim)
    (inbox / "planted.tmp").symlink_to(victim)
    options = SftpExportTarget(**sftp_target(tmp_path, sftp))
    # At the final name: the rename replaces the link itself.
    SftpTarget("s", options).put("q", [("x.csv", b"data\n")])
    assert not (inbox / "x.csv").is_symlink() and (inbox / "x.csv").read_bytes() == b"data\n"
    # At the temporary name (made predictable here): the exclusive open fails.
    predictable = SftpTarget("s", options, tmp_name=lambda name: "planted.tmp")
    [outcome] = deliver([predictable], "q", [("y.csv", b"evil\n")],
                        ExportDelivery(attempts=2, backoff_seconds=0))  # fmt: skip
    assert not outcome.ok and outcome.attempts == 2
    assert victim.read_text() == "precious\n"
    assert not (inbox / "y.csv").exists()


def test_a_target_that_is_down_does_not_stop_the_others_and_is_retried(db, tmp_path, sftp):
    down = sftp_target(tmp_path, sftp, port=1)  # nothing listens on port 1
    cfg = config(tmp_path,
                 export_targets={"local": {"kind": "local_folder", "path": str(tmp_path / "out")},
                                 "down": down},
                 export_delivery={"attempts": 3, "backoff_seconds": 2, "max_backoff_seconds": 3},
                 export_profiles=[{"name": "q", "format": "calabrio_queue_log",
                                   "target": ["down", "local"]}])  # fmt: skip
    window = reconcile(db, cfg, ctrs=[ctr("V1", "14:02:00", enqueue="14:00:30", duration=30)])
    waits: list[float] = []
    from wfm_connector.exports import publish

    result = publish.export_profile(db, cfg, window, "q", sleep=waits.append)
    assert not result.ok and [d.target for d in result.failed] == ["down"]
    assert waits == [2, 3]  # 2 s, then doubled but capped at 3 s: three attempts
    assert result.failed[0].attempts == 3
    assert (tmp_path / "out" / FILE).exists()
    assert db.execute(
        "SELECT target, outcome, attempts FROM wfm.export_delivery ORDER BY target"
    ).fetchall() == [("down", "failed", 3), ("local", "delivered", 1)]


def test_export_command_exits_1_when_a_delivery_fails(db, tmp_path, sftp, database_url):
    import yaml
    from typer.testing import CliRunner

    from wfm_connector.cli import app

    down = sftp_target(tmp_path, sftp, port=1)
    cfg_dict = {
        "connect": {"instance_arn": config(tmp_path).connect.instance_arn},
        "timezone": "America/New_York",
        "sources": {"contact_records": {"kind": "local_folder", "path": str(tmp_path)}},
        "export_targets": {"local": {"kind": "local_folder", "path": str(tmp_path / "out")},
                           "down": down},
        "export_delivery": {"attempts": 1},
        "export_profiles": [{"name": "q", "format": "calabrio_queue_log",
                             "target": ["local", "down"]}],
    }  # fmt: skip
    path = tmp_path / "wfm.yaml"
    path.write_text(yaml.safe_dump(cfg_dict))
    runner = CliRunner()
    env = {"WFM_DATABASE_URL": database_url}
    out = runner.invoke(app, ["export", "--profile", "q", "--day", "2026-11-02", "-c", str(path)],
                        env=env)  # fmt: skip
    assert out.exit_code == 1, out.output
    assert "delivered to local" in out.output and "failed to down" in out.output
    ok = runner.invoke(app, ["export", "--profile", "q", "--day", "2026-11-02", "-c", str(path),
                             "--to", "local"], env=env)  # fmt: skip
    assert ok.exit_code == 0, ok.output
    bad_day = runner.invoke(app, ["export", "--profile", "q", "--day", "2026-13-01", "-c",
                                  str(path)], env=env)  # fmt: skip
    assert bad_day.exit_code == 2 and "--day" in bad_day.output


def test_s3_readers_only_ever_see_whole_objects(moto_endpoint, unique):
    from wfm_connector.config import S3ExportTarget
    from wfm_connector.exports.targets import S3Target

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=unique)
    target = S3Target("s3", S3ExportTarget(bucket=unique), s3)
    versions = [bytes([97 + i]) * (4 * 1024 * 1024) for i in range(3)]
    reader = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")

    def read() -> bytes | None:
        with contextlib.suppress(reader.exceptions.NoSuchKey):
            return reader.get_object(Bucket=unique, Key="q/big.csv")["Body"].read()
        return None

    seen = seen_while_writing(read, lambda data: target.put("q", [("big.csv", data)]), versions)
    assert seen and seen <= set(versions)
    assert s3.get_object(Bucket=unique, Key="q/big.csv")["Body"].read() == versions[-1]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=unique)["Contents"]] == ["q/big.csv"]


def test_a_target_that_cannot_even_be_built_fails_alone(db, tmp_path):
    # An S3 target whose role must be assumed through an STS endpoint that is not a URL:
    # building its client fails; that is its failed delivery, the local target still gets the
    # file, and both outcomes are recorded.
    cfg = config(tmp_path,
                 export_targets={"local": {"kind": "local_folder", "path": str(tmp_path / "out")},
                                 "s3": {"kind": "s3", "bucket": "bucket", "aws": {
                                     "role_arn": "arn:aws:iam::111122223333:role/wfm",
                                     "sts_endpoint_url": "not a url"}}},
                 export_delivery={"attempts": 2, "backoff_seconds": 0},
                 export_profiles=[{"name": "q", "format": "calabrio_queue_log",
                                   "target": ["s3", "local"]}])  # fmt: skip
    window = reconcile(db, cfg, ctrs=[ctr("V1", "14:02:00", enqueue="14:00:30", duration=30)])
    [result] = pipeline.export_day(db, cfg, window)
    assert [d.target for d in result.failed] == ["s3"] and result.failed[0].attempts == 2
    assert (tmp_path / "out" / FILE).exists()
    assert db.execute(
        "SELECT target, outcome FROM wfm.export_delivery ORDER BY target"
    ).fetchall() == [("local", "delivered"), ("s3", "failed")]


def test_sftp_temporaries_left_by_a_dropped_connection_are_removed_later(tmp_path, sftp):
    inbox = sftp.root / "inbox"
    inbox.mkdir()
    old, young = inbox / f".x.csv.{'a' * 32}.tmp", inbox / f".x.csv.{'b' * 32}.tmp"
    old.write_bytes(b"half")
    young.write_bytes(b"half")
    os.utime(old, (1, 1))
    SftpTarget("s", SftpExportTarget(**sftp_target(tmp_path, sftp))).put("q", [("x.csv", b"1\n")])
    assert sorted(p.name for p in inbox.iterdir()) == [young.name, "x.csv"]
