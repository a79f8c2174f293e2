"""Work spread over worker processes: results in order, a bounded number in flight.

In: a module-level function (it is pickled by name) and its arguments, one task at a time,
and how many worker processes to use. Out: a :class:`~concurrent.futures.Future` per task;
the caller takes results in the order it submitted them and submits only a few ahead, so
memory holds a few tasks' results, never a day's.

Workers are forked from a fork server that has imported the connector once, so a pool
starts in a fraction of a second and a worker never inherits the threads of the process
that asked for it (Dagster's run workers have some). A worker ends when the process that
started the pool ends, even killed: each watches a pipe only that process writes to, which
closes when it dies (a killed parent would otherwise leave its workers, and the fork server
holding its output, waiting forever). With one worker or none, in a process
that may not have children (a daemonic one), or where a pool cannot start, there is no pool
(:attr:`Workers.parallel` is false) and the caller does the work itself.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)
PRELOAD = ["wfm_connector.sources.objects"]  # what the fork server imports once


def _end_with(parent: Connection) -> None:
    """In a worker: end this process as soon as ``parent``'s end of the pipe closes."""

    def wait() -> None:
        with contextlib.suppress(EOFError, OSError):
            parent.recv()  # nothing is ever sent: returns only by EOF
        os._exit(1)

    threading.Thread(target=wait, name="end-with-parent", daemon=True).start()


def default_workers() -> int:
    """Worker processes when the configuration leaves it open: the cores, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


class Workers:
    """A pool of ``count`` worker processes (a context manager), or this process alone."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._pool: ProcessPoolExecutor | None = None
        self._alive: tuple[Connection, Connection] | None = None

    def __enter__(self) -> Workers:
        if self.count > 1 and not multiprocessing.current_process().daemon:
            try:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                reader, writer = context.Pipe(duplex=False)
                self._alive = (reader, writer)
                self._pool = ProcessPoolExecutor(
                    self.count, mp_context=context, initializer=_end_with, initargs=(reader,)
                )
                self._pool.submit(int).result(timeout=120)  # the pool starts now, or not at all
            except (OSError, ValueError, BrokenProcessPool, TimeoutError) as exc:
                # no fork server or no workers here: the caller does the work itself
                log.warning("parsing in this process: no worker pool (%s)", exc)
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
                self._close_pipe()
        return self

    def _close_pipe(self) -> None:
        if self._alive is not None:
            for end in self._alive:
                end.close()
            self._alive = None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            # on an error, tasks not started yet are dropped rather than waited for
            self._pool.shutdown(wait=True, cancel_futures=kind is not None)
            self._pool = None
        self._close_pipe()

    @property
    def parallel(self) -> bool:
        """Whether tasks run in worker processes."""
        return self._pool is not None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Start ``fn(*args)`` in a worker (only when :attr:`parallel`); its future."""
        if self._pool is None:
            raise RuntimeError("no worker pool: the caller does the work itself")
        return self._pool.submit(fn, *args)
