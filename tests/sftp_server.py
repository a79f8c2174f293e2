"""A real SFTP server on a loopback port for delivery tests (asyncssh's server, in a thread).

It serves ``root`` (chrooted) to one user who authenticates with a generated ed25519 key; its
own host key is generated too. ``known_hosts`` lines for it are written by
:meth:`SftpServer.known_hosts_line`. Files written through it are plain files under ``root``,
so a test can watch them from the outside while a delivery runs.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncssh

USER = "wfm"


class SftpServer:
    """Start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncssh.SSHAcceptor | None = None

    def start(self) -> SftpServer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _listen(self) -> asyncssh.SSHAcceptor:
        authorized = asyncssh.import_authorized_keys(
            self.client_key.export_public_key().decode()
        )
        return await asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[self.host_key],
            authorized_client_keys=authorized,
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(self.root)),
            allow_scp=False,
        )

    def stop(self) -> None:
        if self._server is not None:  # closed on the server's own loop, never from this thread
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _close(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def known_hosts_line(self, key: asyncssh.SSHKey | None = None) -> str:
        """A known_hosts line for this server (with ``key`` instead of its own, to lie)."""
        public = (key or self.host_key).export_public_key().decode().strip()
        return f"[127.0.0.1]:{self.port} {public}\n"

    def private_key_text(self) -> str:
        """The user's private key in OpenSSH format."""
        return self.client_key.export_private_key().decode()
