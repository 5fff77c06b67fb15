"""Run the whole quick start: the Vobiz simulator, the portal and a Celery worker.

`make demo` calls `python -m portal.demo`. It writes `.env` on first run (with the
simulator as Vobiz), starts the simulator, migrates, connects the portal to the
simulator's account, runs the first sync, creates the demo users, then serves the
portal with one worker running beat. Ctrl-C stops every process it started; a
second run reuses the data under `var/`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from portal.envfile import write_env

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
SIM_PORT = int(os.environ.get("DEMO_SIM_PORT", "8443"))
WEB = os.environ.get("DEMO_ADDR", "127.0.0.1:8000")
PY = sys.executable


def simulator_args(sim_dir: Path, port: int) -> list[str]:
    """Return the command that runs the simulator on loopback with its data dir."""
    return [
        *(PY, "-m", "simulator", "--host", "127.0.0.1", "--port", str(port)),
        *("--data-dir", str(sim_dir), "--quiet"),
    ]


def worker_args(var: Path) -> list[str]:
    """Return the command that runs one Celery worker with embedded beat."""
    return [
        *(PY, "-m", "celery", "-A", "portal", "worker", "--beat"),
        *("--concurrency", "1", "--loglevel", "WARNING"),
        *("--schedule", str(var / "celerybeat-schedule")),
    ]


def _manage(*args: str) -> None:
    # Fixed argument lists of our own commands, never shell strings.
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)  # noqa: S603


def _wait_for_simulator(
    process: subprocess.Popen[bytes], sim_dir: Path, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("The simulator stopped; see its output above.")
        if (sim_dir / "credentials.json").exists() and (sim_dir / "ca.pem").exists():
            return
        time.sleep(0.2)
    raise SystemExit("The simulator did not start in time.")


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    # Own process group: Ctrl-C reaches this script, which stops the children.
    return subprocess.Popen(args, cwd=ROOT, start_new_session=True)  # noqa: S603


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    # A second Ctrl-C while stopping must not leave children behind.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def set_up(
    processes: list[subprocess.Popen[bytes]],
    *,
    var: Path = VAR,
    env_file: Path = ROOT / ".env",
    sim_port: int = SIM_PORT,
) -> None:
    """Write `.env`, start the simulator, then migrate, connect, sync and seed.

    The simulator joins `processes` (the caller stops it). Each step is one of
    the portal's own commands; a second run reuses what the first one made.
    """
    var.mkdir(exist_ok=True)
    sim_dir = var / "sim"
    write_env(
        env_file,
        {
            "VOBIZ_BASE_URL": f"https://127.0.0.1:{sim_port}/api/v1",
            "VOBIZ_CA_BUNDLE": str(sim_dir / "ca.pem"),
            "VOBIZ_LOG_LEVEL": "WARNING",
        },
    )
    sim = _start(simulator_args(sim_dir, sim_port))
    processes.append(sim)
    _wait_for_simulator(sim, sim_dir)
    _manage("migrate", "--noinput", "-v", "0")
    credentials = str(sim_dir / "credentials.json")
    _manage("connect_vobiz", "--credentials", credentials, "--label", "Simulator")
    # Sub-accounts first, so their tokens can be stored before the full sync
    # (each sub-account's trunks are read with its own token).
    _manage("sync_vobiz", "--only", "sub_accounts")
    _manage("connect_vobiz", "--credentials", credentials)
    _manage("sync_vobiz")
    _manage("seed_demo")


def main() -> int:
    """Start everything, wait for Ctrl-C, stop everything."""
    processes: list[subprocess.Popen[bytes]] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # SIGINT too: a shell that starts `make demo` in the background hands it down
    # ignored, and then Ctrl-C (or kill -INT) would stop nothing.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    try:
        set_up(processes)
        processes.append(_start(worker_args(VAR)))
        processes.append(_start([PY, "manage.py", "runserver", WEB, "--noreload"]))
        print(
            f"\nPortal on http://{WEB}/ (Ctrl-C stops portal, worker, simulator)\n",
            flush=True,  # a log or pipe shows it now, not at exit
        )
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("A process stopped; stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as error:
        print(f"Set-up step failed: {error}", file=sys.stderr)
        return 1
    finally:
        _stop_all(processes)


if __name__ == "__main__":
    raise SystemExit(main())
