"""S3 as an object store: Firehose deliveries of CTRs (or any archived stream).

In: a bucket and the keys under an hour prefix, listed with ListObjectsV2 (paginated).
Out: objects in key order with their ETag and size; bodies are streamed (GetObject's body is
read in chunks by the framer, never loaded whole). Positions are ``s3://bucket/key:offset``.
"""

from __future__ import annotations

from typing import IO, Any

from wfm_connector.sources.objects import ObjectInfo


class S3ObjectStore:
    """Objects of one bucket."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket
        self.location = f"s3://{bucket}"

    def list(self, prefix: str) -> list[ObjectInfo]:
        """Every object under ``prefix``."""
        out = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                out.append(
                    ObjectInfo(key=item["Key"], etag=item["ETag"].strip('"'), size=item["Size"])
                )
        return sorted(out, key=lambda o: o.key)

    def open(self, key: str) -> IO[bytes]:
        """The object's body as a stream."""
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]

    def read_all(self, key: str) -> bytes:
        """The object's bytes."""
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def position(self, key: str, offset: int | str) -> str:
        """``s3://bucket/key:offset``."""
        return f"{self.location}/{key}:{offset}"
