"""Where export files go: a local folder, an S3 prefix, or a folder on an SFTP server.

In: a target's configuration (``export_targets`` in wfm.yaml), the profile's name and the
files to deliver, in order (the data file first, its manifest last, so a manifest is never
seen before its file). Out: the files at the target, each appearing whole or not at all, and
where each went.

- ``local_folder``: :func:`~wfm_connector.exports.files.atomic_write` (unguessable temporary
  name created ``O_EXCL|O_NOFOLLOW``, fsync, mode, rename).
- ``s3``: one ``PutObject`` per file under ``<prefix><profile>/``; S3 makes an object visible
  only once it is complete and replaces an older one whole, so there is no temporary key.
  S3 checks the SHA-256 we send, and encrypts as configured (``AES256`` or ``aws:kms``).
- ``sftp`` (asyncssh): the server's host key must be in ``known_hosts`` (on by default); the
  file is written to an unguessable temporary name opened with ``CREAT|EXCL`` (an existing
  name, a planted symlink included, makes the open fail instead of being followed), given the
  mode, flushed (``fsync@openssh.com`` where offered), then renamed over the final name
  with ``posix-rename@openssh.com`` (atomic replace).

Errors: :class:`DeliveryRefused` for what another try cannot fix (host key mismatch, refused
credentials, missing key file, access denied, no such bucket); anything else is taken as
transient and left to :mod:`wfm_connector.exports.delivery` to retry.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import posixpath
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import asyncssh
from botocore.exceptions import ClientError, NoCredentialsError, ParamValidationError

from wfm_connector.config import (
    LocalExportTarget,
    S3ExportTarget,
    SftpExportTarget,
    WfmConfig,
)
from wfm_connector.exports.files import (
    STALE_AFTER_S,
    atomic_write,
    is_our_temporary,
    temporary_name,
)
from wfm_connector.faults import crash_point

Files = Sequence[tuple[str, bytes]]


class DeliveryRefused(Exception):
    """A delivery error that retrying cannot fix (configuration, keys, permissions)."""


class Target(Protocol):
    """Somewhere export files are delivered."""

    name: str

    def put(self, profile: str, files: Files) -> list[str]:
        """Deliver ``files`` in order; return where each went."""
        ...

    def fetch(self, profile: str, name: str, limit: int) -> bytes | None:
        """A delivered file's first ``limit`` bytes, as a WFM system would pick it up.

        None when it is not there (a WFM system may have picked it up and moved it already).
        """
        ...


class FolderTarget:
    """A local or mounted folder (files directly in it)."""

    def __init__(self, name: str, config: LocalExportTarget, folder: Path | None = None) -> None:
        self.name = name
        self.folder = folder or config.path
        self.mode = config.mode

    def put(self, profile: str, files: Files) -> list[str]:
        """Write each file atomically."""
        try:
            out = []
            for i, (name, data) in enumerate(files):
                if i:
                    crash_point("export.between_file_and_manifest")
                out.append(str(atomic_write(self.folder, name, data, self.mode)))
            return out
        except PermissionError as exc:
            raise DeliveryRefused(f"target {self.name}: {exc}") from exc

    def fetch(self, profile: str, name: str, limit: int) -> bytes | None:
        """The file's first bytes from the folder."""
        try:
            with (self.folder / name).open("rb") as fh:
                return fh.read(limit)
        except FileNotFoundError:
            return None


# S3 answers that another try will not change
_S3_REFUSALS = {"AccessDenied", "NoSuchBucket", "InvalidArgument", "KMS.NotFoundException",
                "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled",
                "PermanentRedirect", "AuthorizationHeaderMalformed", "InvalidBucketName",
                "KMS.DisabledException", "KMS.AccessDeniedException"}  # fmt: skip


class S3Target:
    """``s3://<bucket>/<prefix><profile>/<file>``."""

    def __init__(self, name: str, config: S3ExportTarget, client: object) -> None:
        self.name = name
        self.config = config
        self.client = client

    def key(self, profile: str, file_name: str) -> str:
        """The object key of a profile's file."""
        return f"{self.config.prefix}{profile}/{file_name}"

    def put(self, profile: str, files: Files) -> list[str]:
        """One PutObject per file, checked by S3 against our SHA-256."""
        out = []
        for file_name, data in files:
            params = {
                "Bucket": self.config.bucket,
                "Key": self.key(profile, file_name),
                "Body": data,
                "ChecksumSHA256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
                "ContentType": "application/json" if file_name.endswith(".json") else "text/csv",
            }
            if self.config.server_side_encryption:
                params["ServerSideEncryption"] = self.config.server_side_encryption
            if self.config.kms_key_id:
                params["SSEKMSKeyId"] = self.config.kms_key_id
            try:
                self.client.put_object(**params)  # type: ignore[attr-defined]
            except (NoCredentialsError, ParamValidationError) as exc:
                raise DeliveryRefused(f"target {self.name}: {exc}") from exc
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code in _S3_REFUSALS:
                    raise DeliveryRefused(
                        f"target {self.name}: S3 refused s3://{self.config.bucket}/"
                        f"{params['Key']}: {code}"
                    ) from exc
                raise
            out.append(f"s3://{self.config.bucket}/{params['Key']}")
        return out

    def fetch(self, profile: str, name: str, limit: int) -> bytes | None:
        """A ranged GetObject of the object's first bytes."""
        try:
            return self.client.get_object(  # type: ignore[attr-defined]
                Bucket=self.config.bucket, Key=self.key(profile, name), Range=f"bytes=0-{limit - 1}"
            )["Body"].read(limit)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise


class SftpTarget:
    """``sftp://<user>@<host>:<port>/<path>/<file>``."""

    def __init__(
        self,
        name: str,
        config: SftpExportTarget,
        environ: dict[str, str] | None = None,
        tmp_name: Callable[[str], str] = temporary_name,
    ) -> None:
        self.name = name
        self.config = config
        self.environ = os.environ if environ is None else environ
        self.tmp_name = tmp_name

    def _where(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def _secret(self, variable: str | None) -> str | None:
        if variable is None:
            return None
        if variable not in self.environ:
            raise DeliveryRefused(
                f"target {self.name}: environment variable {variable} is not set"
            )
        return self.environ[variable]

    def _connect_options(self) -> dict[str, object]:
        c = self.config
        passphrase = self._secret(c.passphrase_env)
        options: dict[str, object] = {
            "port": c.port,
            "username": c.username,
            "connect_timeout": c.connect_timeout_seconds,
            "agent_path": None,  # only the configured key, never whatever agent is around
            "password": self._secret(c.password_env),
        }
        try:
            if c.private_key_file is not None:
                options["client_keys"] = [asyncssh.read_private_key(c.private_key_file, passphrase)]
            elif c.private_key_env is not None:
                key_text = self._secret(c.private_key_env) or ""
                options["client_keys"] = [asyncssh.import_private_key(key_text, passphrase)]
            else:
                options["client_keys"] = []
        except (OSError, asyncssh.KeyImportError, asyncssh.KeyEncryptionError) as exc:
            raise DeliveryRefused(
                f"target {self.name}: cannot read the private key: {exc}"
            ) from exc
        if c.host_key_checking:
            if not c.known_hosts.is_file():
                raise DeliveryRefused(
                    f"target {self.name}: known_hosts file {c.known_hosts} not found; add the "
                    f"host key of {self._where()} to it (ssh-keyscan), or point known_hosts at one"
                )
            options["known_hosts"] = str(c.known_hosts)
        else:
            options["known_hosts"] = None
        return options

    def put(self, profile: str, files: Files) -> list[str]:
        """Connect, write each file under a temporary name and rename it into place."""
        options = self._connect_options()
        try:
            return asyncio.run(self._put(files, options))
        except asyncssh.HostKeyNotVerifiable as exc:
            raise DeliveryRefused(
                f"target {self.name}: the host key of {self._where()} is not the one in "
                f"{self.config.known_hosts} ({exc.reason}); refusing to send files. If the "
                "server's key really changed, check its fingerprint and update known_hosts"
            ) from exc
        except asyncssh.PermissionDenied as exc:
            raise DeliveryRefused(
                f"target {self.name}: {self._where()} refused user {self.config.username}: "
                f"{exc.reason}"
            ) from exc
        except asyncssh.SFTPPermissionDenied as exc:
            raise DeliveryRefused(
                f"target {self.name}: permission denied on {self._where()}: {exc.reason}"
            ) from exc
        except (asyncssh.SFTPOpUnsupported, asyncssh.KeyExchangeFailed) as exc:
            # a server without posix-rename (no atomic replace), or no common algorithm
            raise DeliveryRefused(
                f"target {self.name}: {self._where()} cannot do what a safe delivery needs: "
                f"{exc.reason}"
            ) from exc

    def fetch(self, profile: str, name: str, limit: int) -> bytes | None:
        """Connect and read the file's first bytes."""
        return asyncio.run(self._get(name, limit, self._connect_options()))

    async def _get(self, name: str, limit: int, options: dict[str, object]) -> bytes | None:
        async with (
            asyncssh.connect(self.config.host, **options) as conn,  # type: ignore[arg-type]
            conn.start_sftp_client() as sftp,
        ):
            try:
                async with sftp.open(posixpath.join(self.config.path, name), "rb") as remote:
                    return await remote.read(limit)
            except asyncssh.SFTPNoSuchFile:
                return None

    async def _remove_stale(self, sftp: asyncssh.SFTPClient, names: list[str]) -> None:
        """Temporaries of these files left by a dropped connection, an hour old or more."""
        now = time.time()
        for entry in await sftp.readdir(self.config.path):
            name = entry.filename if isinstance(entry.filename, str) else entry.filename.decode()
            mtime = entry.attrs.mtime or now
            if any(is_our_temporary(name, n) for n in names) and now - mtime > STALE_AFTER_S:
                with contextlib.suppress(asyncssh.SFTPError):
                    await sftp.remove(posixpath.join(self.config.path, name))

    async def _put(self, files: Files, options: dict[str, object]) -> list[str]:
        c = self.config
        out = []
        async with (
            asyncssh.connect(c.host, **options) as conn,  # type: ignore[arg-type]
            conn.start_sftp_client() as sftp,
        ):
            await sftp.makedirs(c.path, exist_ok=True)
            await self._remove_stale(sftp, [n for n, _ in files])
            for file_name, data in files:
                final = posixpath.join(c.path, file_name)
                tmp = posixpath.join(c.path, self.tmp_name(file_name))
                flags = asyncssh.FXF_WRITE | asyncssh.FXF_CREAT | asyncssh.FXF_EXCL
                attrs = asyncssh.SFTPAttrs(permissions=c.mode)
                # an existing name (a planted symlink too) makes this open fail: nothing of
                # ours to clean up then, and whatever is there is left alone
                remote = await sftp.open(tmp, flags, attrs, encoding=None)
                try:
                    async with remote:
                        await remote.write(data)
                        # on the open handle (a path could have been swapped meanwhile): the
                        # server's umask may have narrowed the mode given at open
                        await remote.chmod(c.mode)
                        with contextlib.suppress(asyncssh.SFTPOpUnsupported):
                            await remote.fsync()
                    await sftp.posix_rename(tmp, final)
                except BaseException:
                    with contextlib.suppress(asyncssh.SFTPError, OSError):
                        await sftp.remove(tmp)
                    raise
                out.append(f"sftp://{c.username}@{self._where()}/{final.lstrip('/')}")
        return out


def build_target(
    cfg: WfmConfig, name: str, folders: dict[str, Path] | None = None
) -> Target:
    """The target called ``name`` in the configuration (``folders`` overrides local paths)."""
    config = cfg.export_targets[name]
    if isinstance(config, LocalExportTarget):
        return FolderTarget(name, config, (folders or {}).get(name))
    if isinstance(config, S3ExportTarget):
        from wfm_connector.sources.aws import AwsClients

        return S3Target(name, config, AwsClients(cfg.aws_for(config)).client("s3"))
    return SftpTarget(name, config)
