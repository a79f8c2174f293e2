"""boto3 clients built lazily from :class:`~wfm_connector.config.AwsSettings`.

Credentials come from the standard boto3 chain only (environment, shared files, instance or
task role); ``role_arn`` is assumed through STS (its regional endpoint, or
``sts_endpoint_url``) on first use, never at import, and re-assumed before the temporary
credentials expire, so runs longer than the role's session keep going. Every client uses
botocore's standard retry mode, which backs off with jitter on throttling.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.session import get_session

from wfm_connector.config import AwsSettings

RETRIES = Config(retries={"max_attempts": 10, "mode": "standard"}, user_agent_extra="wfm-connector")


class AwsClients:
    """A session (optionally of an assumed role) and its clients, created when first needed."""

    def __init__(self, settings: AwsSettings) -> None:
        self.settings = settings
        self._clients: dict[str, Any] = {}

    @cached_property
    def session(self) -> boto3.Session:
        """The base session, or one whose assumed-role credentials refresh before they expire."""
        if not self.settings.role_arn:
            return boto3.Session(region_name=self.settings.region)
        sts = boto3.Session(region_name=self.settings.region).client(
            "sts", endpoint_url=self.settings.sts_endpoint_url, config=RETRIES
        )
        params = {"RoleArn": self.settings.role_arn, "RoleSessionName": "wfm-connector"}
        if self.settings.external_id:
            params["ExternalId"] = self.settings.external_id

        def assume() -> dict[str, str]:
            creds = sts.assume_role(**params)["Credentials"]
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": creds["Expiration"].isoformat(),
            }

        core = get_session()
        core._credentials = RefreshableCredentials.create_from_metadata(  # noqa: SLF001
            metadata=assume(), refresh_using=assume, method="sts-assume-role"
        )
        return boto3.Session(botocore_session=core, region_name=self.settings.region)

    def client(self, service: str) -> Any:
        """A cached client for ``service`` (``kinesis``, ``s3``, ``sqs``)."""
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, endpoint_url=self.settings.endpoint_url, config=RETRIES
            )
        return self._clients[service]
