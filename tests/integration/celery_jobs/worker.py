"""A Celery worker in a subprocess, started through ``python -m loom.cli worker``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.celery_jobs.broker import consumer_count

ROOT = Path(__file__).resolve().parents[3]
READY_TIMEOUT = 30.0


class WorkerProcess:
    """One worker (solo pool) consuming one queue, its output in a log file.

    Args:
        config: The worker's YAML config.
        queue: The queue it consumes.
        broker_url: Where the test checks that it consumes.
        log: Its output (stdout and stderr).
    """

    def __init__(self, config: Path, queue: str, broker_url: str, log: Path) -> None:
        self.config = config
        self.queue = queue
        self.broker_url = broker_url
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        """Start the worker and wait (bounded) until it consumes its queue."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
        command = [
            sys.executable,
            "-m",
            "loom.cli",
            "worker",
            str(self.config),
            "--queues",
            self.queue,
            "--pool",
            "solo",
            "--without-mingle",
            "--without-gossip",
        ]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while consumer_count(self.broker_url, self.queue) < 1:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited early:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker did not consume in time:\n{self.output()}")
            time.sleep(0.05)
        return self

    def output(self) -> str:
        """What the worker printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-job, without acknowledging it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int | None:
        """SIGTERM and wait (warm shutdown); SIGKILL if it takes too long. The exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=10)
