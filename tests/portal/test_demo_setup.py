"""`make demo` sets the portal up for real: simulator, database, sync, demo users.

`portal.demo.set_up` runs here as the demo runs it (the simulator as a process,
each step one of the portal's own commands), against a fresh SQLite file and a
temporary data directory, then the result is read back from the database.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from portal import demo
from portal.envfile import write_env

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines())
    return dict(pair for pair in pairs if len(pair) == 2)


@pytest.fixture
def demo_dirs(tmp_path, monkeypatch):
    """A data dir, an env file and a database of the test's own for the steps."""
    var, env_file, port = tmp_path / "var", tmp_path / ".env", free_port()
    # The steps run as subprocesses that read their settings from the
    # environment: give them the demo's generated secrets and a fresh database.
    write_env(env_file, {})
    for key, value in read_env(env_file).items():
        monkeypatch.setenv(key, value)
    for key, value in {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_IGNORE_DOTENV": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "VOBIZ_BASE_URL": f"https://127.0.0.1:{port}/api/v1",
        "VOBIZ_CA_BUNDLE": str(var / "sim" / "ca.pem"),
        "CDR_INITIAL_DAYS": "2",
        "VOBIZ_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    return var, env_file, port, tmp_path / "demo.sqlite3"


def run_set_up(var: Path, env_file: Path, port: int) -> None:
    processes: list[subprocess.Popen[bytes]] = []
    try:
        demo.set_up(processes, var=var, env_file=env_file, sim_port=port)
    finally:
        demo._stop_all(processes)


def counts(database: Path) -> dict[str, int]:
    queries = {
        "providers": "SELECT COUNT(*) FROM accounts_provideraccount",
        "teams_with_token": (
            "SELECT COUNT(*) FROM accounts_subaccount "
            "WHERE auth_id IS NOT NULL AND auth_token != ''"
        ),
        "trunks": "SELECT COUNT(*) FROM trunks_trunk",
        "numbers": "SELECT COUNT(*) FROM phone_numbers_phonenumber",
        "cdrs": "SELECT COUNT(*) FROM billing_cdr",
        "balance": "SELECT COUNT(*) FROM billing_balancesnapshot",
        "demo_users": (
            "SELECT COUNT(*) FROM accounts_user WHERE email LIKE '%@demo.example'"
        ),
        "sync_errors": (
            "SELECT COUNT(*) FROM monitoring_syncstate WHERE last_error != ''"
        ),
    }
    with sqlite3.connect(database) as db:
        return {name: db.execute(sql).fetchone()[0] for name, sql in queries.items()}


def test_the_demo_sets_up_a_synced_portal_and_a_second_run_adds_nothing(demo_dirs):
    var, env_file, port, database = demo_dirs
    run_set_up(var, env_file, port)

    written = read_env(env_file)
    assert written["VOBIZ_BASE_URL"] == f"https://127.0.0.1:{port}/api/v1"
    assert written["VOBIZ_CA_BUNDLE"] == str(var / "sim" / "ca.pem")
    assert (var / "sim" / "credentials.json").exists()
    first = counts(database)
    assert first["providers"] == 1
    # The simulator seeds six sub-accounts; the second connect stores their tokens.
    assert first["teams_with_token"] >= 6
    assert first["trunks"] > 0 and first["numbers"] > 0
    assert first["cdrs"] > 0 and first["balance"] >= 1
    assert first["demo_users"] == 5
    assert first["sync_errors"] == 0

    run_set_up(var, env_file, port)
    again = counts(database)
    assert again["providers"] == 1 and again["demo_users"] == 5
    assert again["teams_with_token"] == first["teams_with_token"]
    assert again["cdrs"] == first["cdrs"] and again["trunks"] == first["trunks"]
