"""Connector configuration: one YAML file (``wfm.yaml``) plus ``WFM_*`` environment overrides.

In: the YAML file named by ``WFM_CONFIG`` (default ``wfm.yaml`` in the working directory, or
``config/demo.yaml`` when neither exists), and environment variables such as
``WFM_TIMEZONE=Europe/Berlin`` or ``WFM_INTERVAL_MINUTES=30``. A nested key is reached with
a double underscore: ``WFM_SOURCE__PATH=/data/connect``.

Out: a validated, frozen :class:`WfmConfig`. Any problem raises :class:`ConfigError` whose
message names the key (``interval_minutes``, ``status_categories.Break``...) and the reason,
so a bad file fails at start, never halfway through a run.

Database and credentials are deliberately absent: the database URL comes from
``WFM_DATABASE_URL`` (see :mod:`wfm_connector.db.engine`) and AWS credentials only from the
standard boto3 chain.
"""

from __future__ import annotations

import json
import os
import re
import string
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ENV_PREFIX = "WFM_"
CONFIG_ENV = "WFM_CONFIG"
# Environment variables that carry settings outside this model (WFM_TEST_* belong to the tests).
_NOT_CONFIG_KEYS = {"CONFIG", "DATABASE_URL", "DATA_DIR"}


DEFAULT_PARTITION_DAYS = 30  # partitions offered before today when no start date is set


class ConfigError(ValueError):
    """The configuration is invalid; the message names the key and the problem."""


class StatusCategory(StrEnum):
    """How WFM sees an Amazon Connect agent status."""

    PRODUCTIVE = "productive"
    NON_PRODUCTIVE = "non_productive"
    OFFLINE = "offline"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConnectInstance(_Model):
    """The Amazon Connect instance whose data is read."""

    instance_arn: str = Field(description="ARN of the Connect instance.")
    region: str = Field(default="us-east-1", description="AWS region of the instance.")

    @field_validator("instance_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not value.startswith("arn:") or ":instance/" not in value:
            raise ValueError("must be an ARN like arn:aws:connect:REGION:ACCOUNT:instance/ID")
        return value


class AwsSettings(_Model):
    """How to reach AWS. Credentials come only from the standard boto3 chain, never from here."""

    region: str | None = Field(default=None, description="Region; default: connect.region.")
    endpoint_url: str | None = Field(
        default=None, description="Custom endpoint (a VPC endpoint, or moto/LocalStack in tests)."
    )
    role_arn: str | None = Field(default=None, description="Role to assume before reading.")
    sts_endpoint_url: str | None = Field(
        default=None, description="STS endpoint for role_arn (default: the regional one)."
    )
    external_id: str | None = Field(default=None, description="External id for the role.")


_LOOKBACK_HELP = "Hour folders read before the day (UTC)."
_LOOKAHEAD_HELP = (
    "Hour folders read after the day: late events and contact records of contacts that ended "
    "after midnight arrive there."
)


class LocalFolderSource(_Model):
    """Files laid out as Firehose writes them to S3 (or as the simulator writes them).

    ``<path>/<folder>/YYYY/MM/DD/HH/<object>``; ``folder`` defaults to the stream's name in the
    simulator's layout (``agent-events``, ``contact-events``, ``contact-records``).
    """

    kind: Literal["local_folder"] = "local_folder"
    path: Path = Field(description="Root folder (the same for all streams in the demo).")
    folder: str | None = Field(default=None, description="Sub-folder of this stream.")
    lookback_hours: int = Field(default=1, ge=0, le=48, description=_LOOKBACK_HELP)
    lookahead_hours: int = Field(default=6, ge=0, le=24 * 14, description=_LOOKAHEAD_HELP)


class S3Source(_Model):
    """Firehose deliveries in S3: ``s3://<bucket>/<prefix>YYYY/MM/DD/HH/<object>``."""

    kind: Literal["s3"] = "s3"
    bucket: str = Field(min_length=3)
    prefix: str = Field(default="", description="Key prefix before the hour folders.")
    lookback_hours: int = Field(default=1, ge=0, le=48, description=_LOOKBACK_HELP)
    lookahead_hours: int = Field(default=6, ge=0, le=24 * 14, description=_LOOKAHEAD_HELP)
    aws: AwsSettings | None = None

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return value if not value or value.endswith("/") else value + "/"


class KinesisSource(_Model):
    """A Kinesis data stream (the agent event stream, or a CTR stream)."""

    kind: Literal["kinesis"] = "kinesis"
    stream_name: str | None = None
    stream_arn: str | None = None
    start_position: Literal["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] = Field(
        default="TRIM_HORIZON",
        description="Where a shard without a checkpoint starts (first run only); shards born "
        "from a split or merge always start at their beginning.",
    )
    start_timestamp: datetime | None = Field(default=None, description="For AT_TIMESTAMP.")
    max_records_per_call: int = Field(default=10_000, ge=1, le=10_000)
    max_seconds_per_run: int = Field(default=600, ge=1, description="Stop reading after this.")
    aws: AwsSettings | None = None

    @model_validator(mode="after")
    def _stream_and_start(self) -> KinesisSource:
        if not (self.stream_name or self.stream_arn):
            raise ValueError("a kinesis source needs stream_name or stream_arn")
        if self.start_position == "AT_TIMESTAMP" and self.start_timestamp is None:
            raise ValueError("start_position AT_TIMESTAMP needs start_timestamp")
        return self


class SqsSource(_Model):
    """An SQS queue that an EventBridge rule (or an EventBridge Pipe) delivers to."""

    kind: Literal["sqs"] = "sqs"
    queue_url: str = Field(pattern=r"^https?://")
    wait_time_seconds: int = Field(default=5, ge=0, le=20, description="Long polling wait.")
    visibility_timeout_seconds: int = Field(
        default=300, ge=5, le=43_200,
        description="Must exceed the time to load one batch; a crash leaves the messages it "
        "had received invisible this long.",
    )
    batch_messages: int = Field(default=500, ge=10, le=10_000, description="Messages per commit.")
    max_messages_per_run: int = Field(default=500_000, ge=10)
    max_seconds_per_run: int = Field(
        default=600, ge=1, description="Stop receiving after this, even if messages keep coming."
    )
    aws: AwsSettings | None = None


SourceConfig = Annotated[
    LocalFolderSource | S3Source | KinesisSource | SqsSource, Field(discriminator="kind")
]
AwsSourceConfig = S3Source | KinesisSource | SqsSource
STREAM_NAMES = ("agent_events", "contact_events", "contact_records")


# Amazon Connect's preset service-level thresholds (Administrator Guide, "Service level X").
SERVICE_LEVEL_PRESETS = (15, 20, 25, 30, 45, 60, 90, 120, 180, 240, 300, 600)


class QueueLogOptions(_Model):
    """Thresholds used by the queue statistics."""

    service_level_seconds: int = Field(
        default=20, ge=1, le=604_800, description="The threshold the Calabrio queue log reports."
    )
    service_level_thresholds: tuple[int, ...] = Field(
        default=SERVICE_LEVEL_PRESETS,
        description="Every X whose service level is stored (service_level_seconds is added).",
    )
    service_level_comparison: Literal["LT", "LTE"] = Field(
        default="LT",
        description="How Queue.Duration is compared with X: LT (less than, Connect's default "
        "comparison for SERVICE_LEVEL) or LTE (less than or equal, offered by GetMetricDataV2).",
    )
    short_abandon_seconds: int = Field(default=5, ge=0, le=600)

    @field_validator("service_level_thresholds")
    @classmethod
    def _thresholds(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value:
            raise ValueError("list at least one threshold")
        if any(not 1 <= x <= 604_800 for x in value):
            raise ValueError("thresholds are whole seconds from 1 to 604800 (7 days)")
        return tuple(sorted(set(value)))

    @property
    def thresholds(self) -> tuple[int, ...]:
        """The stored thresholds, the Calabrio one included, ascending."""
        return tuple(sorted({*self.service_level_thresholds, self.service_level_seconds}))


class ScheduleFolderSource(_Model):
    """Schedule files in a local folder (read in name order), or one file."""

    kind: Literal["local_folder"] = "local_folder"
    path: Path = Field(description="Folder of .csv/.json schedule files, or one such file.")


class ScheduleS3Source(_Model):
    """Schedule files under an S3 prefix (read in key order)."""

    kind: Literal["s3"] = "s3"
    bucket: str = Field(min_length=3)
    prefix: str = Field(default="", description="Key prefix of the schedule files.")
    aws: AwsSettings | None = None


ScheduleSource = Annotated[ScheduleFolderSource | ScheduleS3Source, Field(discriminator="kind")]


class ScheduleOptions(_Model):
    """How imported schedules are handled."""

    source: ScheduleSource | None = Field(
        default=None,
        description="Where the WFM system drops schedule files; each new file is loaded as a "
        "schedule version by the schedule_versions asset.",
    )

    recompute_days: int = Field(
        default=30,
        ge=0,
        le=366,
        description="A new schedule version makes the adherence of past days this far back be "
        "computed again (Amazon Connect recomputes up to 30 days).",
    )
    exception_min_seconds: int = Field(
        default=60,
        ge=0,
        le=86_400,
        description="A non-adherent span this long or longer is listed as an exception.",
    )
    agent_names_in_dagster: bool = Field(
        default=False,
        description="Name agents by username in the adherence heatmap and its worst-agents "
        "list in the Dagster UI (per-employee performance is personal data: by default the "
        "numeric agent id, as the exports use, is shown).",
    )


CUSTOM_ONLY = ("table", "columns", "file_name", "period", "header", "date_format", "time_format",
               "timestamp_format", "duration_format", "decimal_places", "decimal_separator",
               "timezone", "queue_ids", "agent_ids")  # fmt: skip


def _file_name_problem(template: str) -> str | None:
    """Why a file name template cannot name one file per profile and day, or None."""
    try:
        fields = [f for _, f, spec, _ in string.Formatter().parse(template) if f is not None]
        specs = {f: spec for _, f, spec, _ in string.Formatter().parse(template) if f}
    except ValueError as exc:
        return f"{template!r} is not a valid template ({exc})"
    unknown = sorted(set(fields) - {"profile", "day"})
    if unknown:
        return f"unknown field(s) {unknown}; allowed: {{profile}}, {{day:FORMAT}}"
    spec = specs.get("day")
    if spec is None:
        return "must contain {day:FORMAT} so each day has its own file"
    has_year = "%Y" in spec or "%y" in spec
    has_day = "%j" in spec or ("%d" in spec and any(m in spec for m in ("%m", "%b", "%B")))
    if spec and not (has_year and has_day):
        return (f"{{day:{spec}}} does not tell days apart (it needs a year and a month and day, "
                "or a year and %j)")  # fmt: skip
    name = template.format(profile="p", day=date(2031, 12, 31))
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*", name) or name.endswith(".manifest.json"):
        return f"gives {name!r}, which is not a plain file name"
    return None


class ExportProfile(_Model):
    """One export file family, e.g. the Calabrio queue log."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9_]{1,60}$",
        description="Letters, digits and _: it names the files, the Dagster asset "
        "(export_<name>) and the export command's --profile.",
    )
    format: Literal[
        "calabrio_queue_log",
        "calabrio_agent_log",
        "connect_forecast_import",
        "iex_agent_activity",
        "custom_csv",
    ]
    attribution: Literal["enqueue", "disconnect"] = Field(
        default="enqueue",
        description="Interval a contact counts in: when it entered the queue (Calabrio) or "
        "when it disconnected (Amazon Connect historical reports).",
    )
    delimiter: Literal[";", ",", "|", "\t"] | None = Field(
        default=None,
        description="Field separator; default: ';' for Calabrio, ',' for the Connect import "
        "and custom_csv, '|' for IEX.",
    )
    target: str | list[str] = Field(
        default="local",
        description="Name of an export target, or a list of them: the files go to each.",
    )
    default_queue_id: int = Field(
        default=0,
        ge=0,
        le=2**31 - 1,
        description="calabrio_agent_log only: the queue id of an agent's time on no queue "
        "(logged in, paused, waiting) and of contacts that reached the agent directly.",
    )
    agent_names: bool = Field(
        default=False,
        description="calabrio_agent_log only: write the agent's username in agent_name (personal "
        "data, off by default: the numeric agent id is written there instead).",
    )
    grain: Literal["15mins", "30mins", "daily"] | None = Field(
        default=None,
        description="connect_forecast_import only: the IntervalDuration of its rows (15mins or "
        "30mins for short-term forecasts, daily for long-term ones); default: the interval.",
    )
    neutralise_formulas: bool = Field(
        default=True,
        description="Prefix text starting with =, +, - or @ with an apostrophe so a spreadsheet "
        "does not run it (OWASP CSV injection); off only for an importer needing raw names.",
    )

    # custom_csv and iex_agent_activity
    table: str | None = Field(
        default=None,
        description="custom_csv / iex_agent_activity: the reconciled table the rows come from "
        "(agent_interval_activity, queue_interval, agent_queue_interval, adherence_interval, "
        "adherence_day, adherence_exception).",
    )
    columns: list[str] | None = Field(
        default=None, description="custom_csv / iex_agent_activity: the columns, in file order."
    )
    period: Literal["interval", "day"] | None = Field(
        default=None,
        description="One row per interval, or per day (interval tables summed); default: "
        "interval for custom_csv, day for iex_agent_activity.",
    )
    header: Literal["none", "names", "#fields"] | None = Field(
        default=None,
        description="First line: nothing, the column names, or IEX's '#fields' line; default: "
        "names for custom_csv, #fields for iex_agent_activity.",
    )
    date_format: str | None = Field(
        default=None,
        description="strftime format of dates; default %Y-%m-%d (IEX: %m%d%Y).",
    )
    time_format: str = Field(default="%H:%M", description="strftime format of times.")
    timestamp_format: str = Field(
        default="%Y-%m-%d %H:%M:%S", description="strftime format of date-times (local)."
    )
    duration_format: Literal["seconds", "minutes", "hh:mm:ss"] = Field(
        default="seconds", description="How durations are written."
    )
    decimal_places: int = Field(default=2, ge=0, le=6, description="Digits after the point.")
    decimal_separator: Literal[".", ","] = "."
    timezone: str | None = Field(
        default=None, description="Time zone of dates and times (default: the configured one)."
    )
    queue_ids: dict[str, int] = Field(
        default_factory=dict, description="Queue ARN -> id, over the configured queue_ids."
    )
    agent_ids: dict[str, int] = Field(
        default_factory=dict, description="Agent ARN -> id, over the configured agent_ids."
    )
    file_name: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_{}%:.\-]+$",  # checked further by _file_name_problem
        description="custom_csv / iex_agent_activity: file name with {profile} and {day:FORMAT} "
        "(e.g. 'agents_{day:%m%d%y}_0000.txt'); it must name one file per day.",
    )

    @model_validator(mode="before")
    @classmethod
    def _format_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        defaults = {
            "calabrio_queue_log": {"delimiter": ";"},
            "calabrio_agent_log": {"delimiter": ";"},
            "connect_forecast_import": {"delimiter": ","},
            "custom_csv": {"delimiter": ",", "period": "interval", "header": "names",
                           "date_format": "%Y-%m-%d"},
            "iex_agent_activity": {
                "delimiter": "|", "period": "day", "header": "#fields", "date_format": "%m%d%Y",
                "table": "agent_interval_activity",
                "columns": ["agent_id", "date", "online_s", "on_contact_s", "idle_s", "npt_s",
                            "acw_s", "contacts_routed"],
            },
        }.get(data.get("format"), {})  # fmt: skip
        return {**defaults, **{k: v for k, v in data.items() if v is not None}}

    @model_validator(mode="after")
    def _custom_columns(self) -> ExportProfile:
        from wfm_connector.exports.columns import check_columns

        custom = self.format in ("custom_csv", "iex_agent_activity")
        # a key another format ignores would be a silent surprise: refuse it
        only = {**dict.fromkeys(CUSTOM_ONLY, "custom_csv and iex_agent_activity"),
                "default_queue_id": "calabrio_agent_log", "agent_names": "calabrio_agent_log",
                "grain": "connect_forecast_import"}  # fmt: skip
        misplaced = sorted(
            key for key in self.model_fields_set & only.keys()
            if self.format not in only[key]
        )  # fmt: skip
        if misplaced:
            where = "; ".join(f"{k} is only for {only[k]}" for k in misplaced)
            raise ValueError(f"{', '.join(misplaced)}: not used by {self.format} ({where})")
        if self.format == "connect_forecast_import" and self.delimiter != ",":
            raise ValueError("delimiter: Connect's forecasting import takes ',' only")
        if not custom:
            return self
        if self.table is None or not self.columns:
            raise ValueError(f"{self.format} needs table and columns")
        problem = check_columns(self.table, self.columns, self.period or "interval")
        if problem:
            raise ValueError(f"columns: {problem}")
        if self.decimal_separator == self.delimiter:
            raise ValueError("decimal_separator must differ from the delimiter")
        if self.timezone is not None:
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"timezone: unknown IANA time zone {self.timezone!r}") from None
        if self.file_name is not None:
            problem = _file_name_problem(self.file_name)
            if problem:
                raise ValueError(f"file_name: {problem}")
        return self

    def sample_file_name(self) -> str | None:
        """``file_name`` for a sample day (to compare profiles' names), or None."""
        if self.file_name is None:
            return None
        return self.file_name.format(profile=self.name, day=date(2031, 12, 31))

    @field_validator("target")
    @classmethod
    def _targets(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and (not value or len(set(value)) != len(value)):
            raise ValueError("list each target once, at least one")
        return value

    @property
    def targets(self) -> tuple[str, ...]:
        """The names of the targets the profile's files go to."""
        return (self.target,) if isinstance(self.target, str) else tuple(self.target)


class _FileMode(_Model):
    file_mode: str = Field(
        default="0640",
        pattern=r"^0?[0-7]{3}$",
        description="Permissions of the files written, in octal (default 0640: owner "
        "read-write, group read, others nothing).",
    )

    @field_validator("file_mode", mode="before")
    @classmethod
    def _octal(cls, value: Any) -> Any:
        # YAML reads an unquoted 0640 as the octal number 416
        return format(value, "o").zfill(4) if isinstance(value, int) else value

    @property
    def mode(self) -> int:
        """``file_mode`` as a number."""
        return int(self.file_mode, 8)


class LocalExportTarget(_FileMode):
    """A local (or mounted) folder the WFM system picks files up from."""

    kind: Literal["local_folder"] = "local_folder"
    path: Path


class S3ExportTarget(_Model):
    """An S3 bucket; each profile's files go under ``<prefix><profile>/``."""

    kind: Literal["s3"] = "s3"
    bucket: str = Field(min_length=3)
    prefix: str = Field(default="", description="Key prefix before the profile's folder.")
    server_side_encryption: Literal["AES256", "aws:kms"] | None = Field(
        default=None,
        description="Ask S3 to encrypt the objects with S3-managed keys (AES256) or KMS "
        "(aws:kms, with kms_key_id or the account's default key); default: the bucket's "
        "own default encryption.",
    )
    kms_key_id: str | None = Field(default=None, description="KMS key for aws:kms.")
    aws: AwsSettings | None = None

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return value if not value or value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _kms(self) -> S3ExportTarget:
        if self.kms_key_id and self.server_side_encryption != "aws:kms":
            raise ValueError("kms_key_id needs server_side_encryption: aws:kms")
        return self


class SftpExportTarget(_FileMode):
    """A folder on an SFTP server.

    Reached with a key (or a password) from a file or the environment; the server's host key
    must be in ``known_hosts`` unless checking is switched off.
    """

    kind: Literal["sftp"] = "sftp"
    host: str = Field(min_length=1)
    port: int = Field(default=22, ge=1, le=65535)
    username: str = Field(min_length=1)
    path: str = Field(default=".", description="Remote folder (created if missing).")
    private_key_file: Path | None = Field(default=None, description="OpenSSH private key file.")
    private_key_env: str | None = Field(
        default=None, description="Name of an environment variable holding the private key."
    )
    passphrase_env: str | None = Field(
        default=None, description="Name of an environment variable holding the key's passphrase."
    )
    password_env: str | None = Field(
        default=None, description="Name of an environment variable holding a password."
    )
    known_hosts: Path = Field(
        default=Path("~/.ssh/known_hosts"),
        description="OpenSSH known_hosts file listing the server's host key.",
    )
    host_key_checking: bool = Field(
        default=True,
        description="Refuse a server whose host key is not in known_hosts (turn off only for a "
        "throw-away test server).",
    )
    connect_timeout_seconds: float = Field(default=20, gt=0, le=600)

    @model_validator(mode="after")
    def _credentials(self) -> SftpExportTarget:
        if not (self.private_key_file or self.private_key_env or self.password_env):
            raise ValueError("give private_key_file, private_key_env or password_env")
        if self.private_key_file and self.private_key_env:
            raise ValueError("give private_key_file or private_key_env, not both")
        return self


ExportTarget = Annotated[
    LocalExportTarget | S3ExportTarget | SftpExportTarget, Field(discriminator="kind")
]


class IngestOptions(_Model):
    """Limits of ingest."""

    max_record_bytes: int = Field(
        default=1 << 20,
        ge=64 << 10,
        le=64 << 20,
        description="A record larger than this is quarantined (with its first bytes); Amazon "
        "Connect's records are a few KB.",
    )
    workers: int | None = Field(
        default=None, ge=1, le=64,
        description="Worker processes that parse S3 and local-folder objects while this one "
        "loads them (used when a run has 8 objects or more). Default: the machine's cores, at "
        "most 4; 1 parses in the loading process.",
    )  # fmt: skip


class CheckOptions(_Model):
    """Thresholds of the Dagster asset checks."""

    max_quarantine_rate: float = Field(
        default=0.05, ge=0, le=1,
        description="Share of a run's records a stream may quarantine before its check fails "
        "and the day's reconcile and exports wait (blocking).",
    )  # fmt: skip
    max_watermark_delay_minutes: int = Field(
        default=60, ge=1,
        description="For today's partition: the newest agent event may trail the last closed "
        "interval by this much before the freshness check warns.",
    )  # fmt: skip
    contact_records_settle_minutes: int = Field(
        default=120, ge=0,
        description="The contact events and contact records of an interval are compared "
        "(queued, answered) once the interval ended this long ago: a contact's record comes "
        "only after it ends, after-contact work included.",
    )  # fmt: skip


class AutomationOptions(_Model):
    """Which schedules and sensors are on when Dagster first loads the project.

    Dagster remembers a schedule or sensor turned on or off in the UI; these set the state
    it starts in (the UI's toggle wins from then on).
    """

    refresh_today: bool = Field(default=False, description="Today's run every 15 minutes.")
    finalise_yesterday: bool = Field(default=False, description="Yesterday again at 02:30.")
    reexport_yesterday: bool = Field(default=False, description="Yesterday's exports at 05:30.")
    new_data_sensor: bool = Field(
        default=False, description="A run when a source has something new; late days again."
    )
    purge: bool = Field(default=False, description="Retention purge at 03:45.")


class PrivacyOptions(_Model):
    """Personal data kept from what Connect publishes (see wfm_connector/privacy.py)."""

    customer_endpoints: Literal["drop", "hash", "keep"] = Field(
        default="drop",
        description="Customers' phone numbers and addresses (CustomerEndpoint, "
        "TransferredToEndpoint): dropped, stored as an HMAC keyed from hmac_key_env, or kept.",
    )
    hmac_key_env: str = Field(
        default="WFM_PII_HMAC_KEY",
        description="Environment variable holding the HMAC key for customer_endpoints: hash.",
    )
    keep_attributes: list[str] = Field(
        default_factory=list,
        description="Contact attribute names kept in stored records; all others are dropped.",
    )
    keep_agent_names: bool = Field(
        default=False, description="Keep agents' first and last names from agent events."
    )


class RetentionDays(_Model):
    """How long each family of tables keeps its rows (days; null: for ever)."""

    raw: int | None = Field(
        default=90,
        ge=1,
        description="Raw agent events, contact events and contact records (by their time). A "
        "day whose raw data was purged keeps its reconciled tables and is not rebuilt.",
    )
    quarantine: int | None = Field(
        default=90, ge=1, description="Quarantined records (by when they were quarantined)."
    )
    reconciled: int | None = Field(
        default=None,
        ge=1,
        description="Agent, queue and adherence tables, exceptions and schedules (by day); "
        "WFM forecasting needs long history, so kept for ever unless set.",
    )

    @model_validator(mode="after")
    def _reconciled_outlives_raw(self) -> RetentionDays:
        # a day whose reconciled tables are gone but whose raw data is kept would be rebuilt
        # by the next late event and purged again, over and over
        raw, reconciled = self.raw, self.reconciled
        if reconciled is not None and (raw is None or reconciled < raw):
            raise ValueError(
                f"retention_days.reconciled ({reconciled}) must be at least retention_days.raw "
                f"({'null' if raw is None else raw}): reconciled tables are built from raw data"
            )
        return self


class ExportDelivery(_Model):
    """How failed deliveries are retried within one run (a later run retries again)."""

    attempts: int = Field(default=4, ge=1, le=20, description="Tries per target and run.")
    backoff_seconds: float = Field(
        default=5, ge=0, le=600, description="Wait before the second try; doubled each time."
    )
    max_backoff_seconds: float = Field(default=60, ge=0, le=3600)


class WfmConfig(_Model):
    """Everything the connector needs apart from credentials and the database URL."""

    connect: ConnectInstance
    timezone: str = Field(description="IANA time zone of the contact center's intervals.")
    interval_minutes: Literal[15, 30] = 15
    partitions_start_date: date | None = Field(
        default=None,
        description="First day the Dagster daily partitions offer (default: 30 days before "
        "today, so the UI does not list hundreds of days that can hold no data).",
    )
    max_event_gap_seconds: int = Field(
        default=300,
        ge=130,
        le=3600,
        description="An agent snapshot is trusted this long without a newer event. Heartbeats "
        "come every 120 s, so a longer silence means lost data, and that time is not counted.",
    )
    heartbeat_seconds: int = Field(
        default=120,
        ge=1,
        le=3600,
        description="How long the state after an agent's last event holds when no later event "
        "has arrived (Connect publishes a HEART_BEAT every 120 s).",
    )
    status_categories: dict[str, StatusCategory] = Field(
        default_factory=lambda: {
            "Available": StatusCategory.PRODUCTIVE,
            "Offline": StatusCategory.OFFLINE,
        },
        description="Connect agent status name -> category, used only for events whose "
        "AgentStatus has no Type (old payloads). Unlisted names are custom (non-productive).",
    )
    status_overrides: dict[str, StatusCategory] = Field(
        default_factory=dict,
        description="Status ARN or name -> category; wins over the status Type.",
    )
    queue_ids: dict[str, Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        default_factory=dict,
        description="Queue ARN -> the numeric id exports use (default: derived from the ARN).",
    )
    agent_ids: dict[str, Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        default_factory=dict,
        description="Agent ARN -> the numeric id exports use (default: derived from the ARN).",
    )
    queue_log: QueueLogOptions = QueueLogOptions()
    schedules: ScheduleOptions = ScheduleOptions()
    aws: AwsSettings = Field(default_factory=AwsSettings, description="Defaults for AWS sources.")
    sources: dict[str, SourceConfig] = Field(
        description="Where each stream comes from: agent_events, contact_events, contact_records."
    )
    export_profiles: list[ExportProfile] = Field(default_factory=list)
    export_targets: dict[str, ExportTarget] = Field(default_factory=dict)
    export_delivery: ExportDelivery = ExportDelivery()
    privacy: PrivacyOptions = PrivacyOptions()
    ingest: IngestOptions = IngestOptions()
    checks: CheckOptions = CheckOptions()
    automation: AutomationOptions = AutomationOptions()
    retention_days: RetentionDays = RetentionDays()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("status_categories")
    @classmethod
    def _statuses(cls, value: dict[str, StatusCategory]) -> dict[str, StatusCategory]:
        if value.get("Available", StatusCategory.PRODUCTIVE) != StatusCategory.PRODUCTIVE:
            raise ValueError("'Available' is Connect's only routable status; it must be productive")
        if value.get("Offline", StatusCategory.OFFLINE) != StatusCategory.OFFLINE:
            raise ValueError("'Offline' is Connect's signed-out status; it must be offline")
        # Connect's two system statuses are always known, whatever else the file lists.
        return {"Available": StatusCategory.PRODUCTIVE, "Offline": StatusCategory.OFFLINE, **value}

    @field_validator("sources")
    @classmethod
    def _sources(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(STREAM_NAMES))
        if unknown:
            raise ValueError(f"unknown stream(s) {unknown}; streams are {list(STREAM_NAMES)}")
        if not value:
            raise ValueError("configure at least one stream")
        return value

    def aws_for(
        self, source: AwsSourceConfig | ScheduleS3Source | S3ExportTarget
    ) -> AwsSettings:
        """The source's AWS settings over the file-wide ones, region defaulting to Connect's."""
        merged = self.aws.model_dump(exclude_none=True)
        if source.aws is not None:
            merged.update(source.aws.model_dump(exclude_none=True))
        merged.setdefault("region", self.connect.region)
        return AwsSettings(**merged)

    def model_post_init(self, __context: Any) -> None:
        """Cross-field checks: profile names unique, targets exist, grains fit the intervals."""
        names: set[str] = set()
        files: dict[tuple[str, str], str] = {}  # (target, sample file name) -> profile
        for i, profile in enumerate(self.export_profiles):
            sample = profile.sample_file_name()
            for target in profile.targets if sample else ():
                other = files.setdefault((target, sample or ""), profile.name)
                if other != profile.name:
                    raise ValueError(
                        f"export_profiles.{i}.file_name: gives the same file names as profile "
                        f"{other!r} on target {target!r}; they would overwrite each other"
                    )
            if profile.name in names:
                raise ValueError(
                    f"export_profiles.{i}.name: {profile.name!r} is already the name of another "
                    "profile (names must be unique: they name the files and the commands)"
                )
            names.add(profile.name)
            if profile.grain == "15mins" and self.interval_minutes != 15 and (
                profile.format == "connect_forecast_import"
            ):
                raise ValueError(
                    f"export_profiles.{i}.grain: 15mins needs interval_minutes 15 (it is "
                    f"{self.interval_minutes}); allowed: 30mins, daily"
                )
            for target in profile.targets:
                if target not in self.export_targets:
                    raise ValueError(
                        f"export_profiles.{i}.target: no export target named {target!r} "
                        f"(known: {sorted(self.export_targets)})"
                    )

    @property
    def tz(self) -> ZoneInfo:
        """The contact center's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def first_partition(self) -> date:
        """``partitions_start_date``, or 30 days before today in the contact center."""
        if self.partitions_start_date is not None:
            return self.partitions_start_date
        return datetime.now(self.tz).date() - timedelta(days=DEFAULT_PARTITION_DAYS)

    @field_validator("queue_ids", "agent_ids")
    @classmethod
    def _distinct_ids(cls, value: dict[str, int]) -> dict[str, int]:
        seen: dict[int, str] = {}
        for arn, number in sorted(value.items()):
            if number in seen:
                raise ValueError(f"id {number} is given to both {seen[number]} and {arn}")
            seen[number] = arn
        return value

    def id_override_params(self) -> dict[str, str]:
        """The configured ids as JSON query parameters ``queue_ids`` and ``agent_ids``."""
        return {
            "queue_ids": json.dumps(self.queue_ids, sort_keys=True),
            "agent_ids": json.dumps(self.agent_ids, sort_keys=True),
        }

    @model_validator(mode="after")
    def _heartbeat_within_gap(self) -> WfmConfig:
        if self.heartbeat_seconds > self.max_event_gap_seconds:
            raise ValueError(
                f"heartbeat_seconds ({self.heartbeat_seconds}) must not exceed "
                f"max_event_gap_seconds ({self.max_event_gap_seconds})"
            )
        return self


def default_config_path() -> Path:
    """Where the configuration is read from when no path is given."""
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    if Path("wfm.yaml").exists():
        return Path("wfm.yaml")
    return Path(__file__).resolve().parent.parent / "config" / "demo.yaml"


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """``WFM_A__B=v`` -> ``{"a": {"b": v}}`` (values parsed as YAML scalars).

    Only variables whose first part names a configuration section are read, so secrets the
    configuration points at (``WFM_PII_HMAC_KEY``, an SFTP key) are never taken for settings.
    """
    out: dict[str, Any] = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :]
        if key in _NOT_CONFIG_KEYS or key.startswith("TEST_") or not key:
            continue
        parts = [p.lower() for p in key.split("__")]
        if parts[0] not in WfmConfig.model_fields:
            continue  # another WFM_ variable (a secret named in the config, a test switch)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        try:
            node[parts[-1]] = yaml.safe_load(raw) if raw != "" else raw
        except yaml.YAMLError:
            node[parts[-1]] = raw
    return out


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep merge of ``override`` into ``base``.

    An override key matches an existing key case-insensitively: environment names are upper
    case, but status names such as ``Available`` are case-sensitive keys.
    """
    merged = dict(base)
    existing = {str(k).lower(): k for k in merged}
    for key, value in override.items():
        key = existing.get(str(key).lower(), key)
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError, origin: str) -> str:
    lines = [f"invalid configuration in {origin}:"]
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        msg = item["msg"].removeprefix("Value error, ")
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)


def parse_config(
    data: dict[str, Any], origin: str = "<dict>", base_dir: Path | None = None
) -> WfmConfig:
    """Validate a configuration mapping; relative paths are resolved against ``base_dir``."""
    try:
        cfg = WfmConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None
    except ValueError as exc:  # raised by model_post_init
        raise ConfigError(f"invalid configuration in {origin}:\n  {exc}") from None
    if base_dir is not None:
        cfg = _resolve_paths(cfg, base_dir)
    return cfg


def _resolve_paths(cfg: WfmConfig, base_dir: Path) -> WfmConfig:
    def absolute(p: Path) -> Path:
        return p if p.is_absolute() else (base_dir / p).resolve()

    sources = {
        name: src.model_copy(update={"path": absolute(src.path)})
        if isinstance(src, LocalFolderSource)
        else src
        for name, src in cfg.sources.items()
    }
    targets: dict[str, Any] = {}
    for name, t in cfg.export_targets.items():
        if isinstance(t, LocalExportTarget):
            t = t.model_copy(update={"path": absolute(t.path)})
        elif isinstance(t, SftpExportTarget):
            update = {"known_hosts": absolute(t.known_hosts.expanduser())}
            if t.private_key_file is not None:
                update["private_key_file"] = absolute(t.private_key_file.expanduser())
            t = t.model_copy(update=update)
        targets[name] = t
    schedules = cfg.schedules
    if isinstance(schedules.source, ScheduleFolderSource):
        source = schedules.source.model_copy(update={"path": absolute(schedules.source.path)})
        schedules = schedules.model_copy(update={"source": source})
    return cfg.model_copy(
        update={"sources": sources, "export_targets": targets, "schedules": schedules}
    )


def load_config(path: str | Path | None = None, environ: dict[str, str] | None = None) -> WfmConfig:
    """Read the YAML file, apply ``WFM_*`` overrides and validate.

    Relative paths inside the file are resolved against the project root when the file sits
    in ``config/``, otherwise against the file's folder.
    """
    cfg_path = Path(path) if path is not None else default_config_path()
    environ = dict(os.environ if environ is None else environ)
    try:
        data = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {cfg_path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration file {cfg_path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"configuration file {cfg_path} must hold a mapping at the top level")
    data = _merge(data, _env_overrides(environ))
    folder = cfg_path.resolve().parent
    base_dir = folder.parent if folder.name == "config" else folder
    return parse_config(data, origin=str(cfg_path), base_dir=base_dir)
