"""`make demo` stops every process it started, however it was started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs portal.demo.main with every set-up step stubbed and each child replaced by
# a sleeping process, whose pid goes to stdout so the test can look for it later.
DRIVER = """
import json, subprocess, sys
import portal.demo as demo

def start(args):
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True
    )
    print(json.dumps({"pid": child.pid}), flush=True)
    return child

demo.write_env = lambda *args, **kwargs: None
demo._wait_for_simulator = lambda process, sim_dir: None
demo._manage = lambda *args: None
demo._start = start
sys.exit(demo.main())
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that exited but was not reaped yet is a zombie: as good as gone.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def ignore_sigint() -> None:
    # What a non-interactive shell does to a command it starts with `&`.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_the_demo_and_all_its_children(signum):
    demo = subprocess.Popen(
        [sys.executable, "-c", DRIVER],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=ignore_sigint,
    )
    assert demo.stdout is not None
    # Never hang the suite if the banner does not come: kill the driver instead.
    guard = threading.Timer(60, demo.kill)
    guard.start()
    pids = []
    for line in demo.stdout:
        if line.startswith("{"):
            pids.append(json.loads(line)["pid"])
        if "Ctrl-C stops" in line:
            break
    assert len(pids) == 3  # simulator, worker, web server
    demo.send_signal(signum)
    assert demo.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    guard.cancel()
    assert not [pid for pid in pids if alive(pid)]
