"""Child processes of a load-test run: start them, wait for them, stop them all.

Every child gets its own process group, so stopping it stops whatever it forked
(gunicorn's workers, Celery's pool). `Processes` is a context manager: leaving it
by any path (success, an exception, Ctrl-C, SIGTERM) stops every child it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO


class StartError(RuntimeError):
    """A child did not come up (it exited, or did not answer in time)."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Say whether something accepts connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll `ready` until it is true; fail when `process` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StartError(f"{what} exited with status {process.returncode}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise StartError(f"{what} did not come up within {timeout:.0f} s")


class Processes:
    """The children of one run; all of them are stopped on exit."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Processes:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            self._previous[signum] = signal.signal(signum, _interrupt)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop_all()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def start(
        self, name: str, args: list[str], *, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start `args` (a fixed argument list, never a shell string), logging to
        `<log_dir>/<name>.log`."""
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 - our own fixed commands
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        self.children.append((name, process, log))
        return process

    def running(self) -> list[str]:
        """Return the names of the children still running."""
        return [name for name, p, _ in self.children if p.poll() is None]

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 15) -> None:
        """Stop one child's process group: SIGTERM, then SIGKILL after `timeout`."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        # A group leader that exited may leave members behind (gunicorn workers).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        """Stop every child, newest first; a second Ctrl-C does not interrupt it."""
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for _name, process, log in reversed(self.children):
                self.stop(process)
                log.close()
            self.children.clear()
        finally:
            signal.signal(signal.SIGINT, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM and SIGHUP take the same way out as Ctrl-C: through __exit__.
    raise KeyboardInterrupt
