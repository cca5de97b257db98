"""A restartable subprocess with its log file: what the chaos and at-least-once tests start,
kill -9 and start again (collectors, agents, relays)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path


class LoggedProcess:
    def __init__(self, name: str, argv: list, log: Path):
        self.name, self.argv, self.log = name, [str(a) for a in argv], log
        self.proc: subprocess.Popen | None = None

    def start(self) -> LoggedProcess:
        self.proc = subprocess.Popen(
            self.argv,
            stdout=open(self.log, "ab"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if it has not ended within 20 s."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
