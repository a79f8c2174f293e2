"""Assumed-role sessions talk to STS and refresh their credentials (moto server)."""

import pytest

from wfm_connector.config import AwsSettings
from wfm_connector.sources.aws import AwsClients

pytestmark = pytest.mark.integration


def test_role_is_assumed_lazily_through_sts_and_credentials_refresh(moto_endpoint, unique):
    settings = AwsSettings(
        region="us-east-1",
        endpoint_url=moto_endpoint,
        sts_endpoint_url=moto_endpoint,
        role_arn=f"arn:aws:iam::123456789012:role/{unique}",
    )
    clients = AwsClients(settings)
    assert "session" not in vars(clients)  # nothing called at construction
    creds = clients.session.get_credentials()
    assert creds.method == "sts-assume-role"
    first = creds.get_frozen_credentials().access_key
    assert first and first != "testing"  # not the base credentials of the environment
    s3 = clients.client("s3")
    s3.create_bucket(Bucket=unique)
    assert unique in [b["Name"] for b in s3.list_buckets()["Buckets"]]
