"""Only faults that pass are retried: a missing bucket or missing credentials fail at once."""

from __future__ import annotations

import time

import dagster as dg
import psycopg
import pytest
import yaml
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from wfm_connector.sources.objects import ObjectsNotRead
from wfm_connector.transient import is_transient


def client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "GetObject")  # fmt: skip


@pytest.mark.unit
def test_which_faults_are_worth_another_try():
    passing = [client_error("SlowDown", 503), client_error("ThrottlingException", 400),
               client_error("ProvisionedThroughputExceededException", 400),
               client_error("Whatever", 500), client_error("ExpiredToken", 400),
               EndpointConnectionError(endpoint_url="https://s3"),
               ReadTimeoutError(endpoint_url="https://s3"), ObjectsNotRead("2 objects"),
               psycopg.OperationalError("server closed the connection"), TimeoutError()]  # fmt: skip
    lasting = [client_error("AccessDenied", 403), client_error("NoSuchBucket", 404),
               client_error("ResourceNotFoundException", 400),
               client_error("AWS.SimpleQueueService.NonExistentQueue", 400),
               NoCredentialsError(), PermissionError("/data"), ValueError("a defect")]  # fmt: skip
    # a listed object that cannot be read (access denied, KMS) will not be readable in a
    # minute either; one that timed out may be. Only a lost or restarting database passes.
    passing += [ObjectsNotRead("1", [client_error("SlowDown", 503)]),
                psycopg.errors.AdminShutdown("restarting"),
                psycopg.errors.DeadlockDetected("deadlock")]  # fmt: skip
    lasting += [ObjectsNotRead("1", [client_error("AccessDenied", 403)]),
                psycopg.errors.InvalidPassword("wrong password"),
                psycopg.errors.ProgramLimitExceeded("index row too big")]  # fmt: skip
    assert [is_transient(e) for e in passing] == [True] * len(passing)
    assert [is_transient(e) for e in lasting] == [False] * len(lasting)


@pytest.mark.integration
def test_dagster_does_not_retry_a_bucket_that_does_not_exist(tmp_path, database_url,
                                                             moto_endpoint):  # fmt: skip
    # the asset's retry policy would wait 30 s, 60 s and 120 s before reporting the same error
    from dagster_project.assets import contact_records_raw
    from dagster_project.definitions import build_resources
    from tests.conftest import PROJECT_ROOT

    config = yaml.safe_load((PROJECT_ROOT / "config" / "demo.yaml").read_text())
    config["aws"] = {"region": "us-east-1", "endpoint_url": moto_endpoint}
    config["sources"]["contact_records"] = {"kind": "s3", "bucket": "no-such-bucket-here"}
    (tmp_path / "wfm.yaml").write_text(yaml.safe_dump(config))
    started = time.monotonic()
    result = dg.materialize(
        [contact_records_raw], partition_key="2026-11-02",
        resources=build_resources(config_path=str(tmp_path / "wfm.yaml"),
                                  database_url=database_url),
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)  # fmt: skip
    assert not result.success and time.monotonic() - started < 20
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "NoSuchBucket" in failure.step_failure_data.user_failure_data.description
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
