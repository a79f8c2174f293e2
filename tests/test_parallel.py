"""Worker processes that parse objects: they never outlive the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from wfm_connector.sources.parallel import Workers

pytestmark = pytest.mark.unit

# Starts a pool of two, has each worker report its pid and sleep, then waits to be killed.
CHILD = textwrap.dedent(
    """
    import os, sys, time
    from wfm_connector.sources.parallel import Workers

    def pid_then_sleep(_):
        time.sleep(0.5)
        return os.getpid()

    if __name__ == "__main__":
        with Workers(2) as workers:
            futures = [workers.submit(pid_then_sleep, i) for i in range(4)]
            print(" ".join(str(p) for p in sorted({f.result() for f in futures})), flush=True)
            workers.submit(time.sleep, 600)
            time.sleep(600)
    """
)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_end_when_the_process_that_started_them_is_killed(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in child.stdout.readline().split()]
        assert len(pids) == 2 and child.pid not in pids  # two worker processes of its own
        assert all(alive(p) for p in pids)
        os.kill(child.pid, signal.SIGKILL)  # no clean-up can run
        child.wait(10)
        deadline = time.monotonic() + 15
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(p) for p in pids)
        # and nothing holds its output open any more (the fork server ended too)
        assert child.stdout.read() == ""
    finally:
        child.kill()


def test_one_worker_means_no_pool():
    with Workers(1) as workers:
        assert not workers.parallel
        with pytest.raises(RuntimeError, match="no worker pool"):
            workers.submit(print)
