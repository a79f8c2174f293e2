"""Which reader reads which stream: built from the ``sources`` section of wfm.yaml."""

from __future__ import annotations

from wfm_connector.config import (
    KinesisSource,
    LocalFolderSource,
    S3Source,
    SqsSource,
    WfmConfig,
)
from wfm_connector.sources.aws import AwsClients
from wfm_connector.sources.base import Reader, Stream
from wfm_connector.sources.local_folder import LocalObjectStore
from wfm_connector.sources.objects import ObjectStoreReader
from wfm_connector.sources.parallel import default_workers
from wfm_connector.sources.s3 import S3ObjectStore

# The simulator's (and this connector's default) folder names for local folders.
DEFAULT_FOLDERS = {
    Stream.AGENT_EVENTS: "agent-events",
    Stream.CONTACT_EVENTS: "contact-events",
    Stream.CONTACT_RECORDS: "contact-records",
}


def build_reader(cfg: WfmConfig, stream: Stream) -> Reader | None:
    """The reader configured for ``stream``, or None when the stream has no source."""
    source = cfg.sources.get(stream.value)
    if source is None:
        return None
    workers = cfg.ingest.workers or default_workers()
    if isinstance(source, LocalFolderSource):
        folder = source.folder or DEFAULT_FOLDERS[stream]
        return ObjectStoreReader(
            LocalObjectStore(source.path), f"{folder}/", source.lookback_hours,
            source.lookahead_hours, workers=workers,
        )  # fmt: skip
    clients = AwsClients(cfg.aws_for(source))
    if isinstance(source, S3Source):
        store = S3ObjectStore(clients.client("s3"), source.bucket)
        return ObjectStoreReader(
            store, source.prefix, source.lookback_hours, source.lookahead_hours, workers=workers
        )
    if isinstance(source, KinesisSource):
        from wfm_connector.sources.kinesis import KinesisReader

        return KinesisReader(clients.client("kinesis"), source)
    if isinstance(source, SqsSource):
        from wfm_connector.sources.sqs import SqsReader

        return SqsReader(clients.client("sqs"), source)
    raise ValueError(f"unsupported source kind {source.kind!r}")  # pragma: no cover
