"""The process around the API: TLS, restarts, files, binding, the CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from simulator.server import (
    NonLoopbackBindError,
    Simulator,
    SimulatorHandle,
    start_in_thread,
)
from tests.simulator.fixtures import Api

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_certificate_verifies_for_ip_and_localhost(simulator: SimulatorHandle) -> None:
    session = requests.Session()
    session.trust_env = False
    for host in ("127.0.0.1", "localhost"):
        url = f"https://{host}:{simulator.port}/api/v1/auth/me"
        response = session.get(
            url,
            verify=simulator.ca_bundle,
            headers=simulator.auth_headers(),
            timeout=10,
        )
        assert response.status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        session.get(simulator.base_url + "/auth/me", verify=True, timeout=10)


def test_secret_files_are_private(simulator: SimulatorHandle) -> None:
    simulator.control.snapshot()
    data = simulator.data_dir
    for name in ("credentials.json", "state.json", "server-key.pem"):
        assert _mode(data / name) == 0o600, name
    creds = json.loads((data / "credentials.json").read_text())
    assert creds["auth_id"].startswith("MA_") and len(creds["auth_token"]) >= 30
    assert {"email", "password", "sub_account_tokens"} <= set(creds)


def test_snapshot_holds_no_plain_secrets(simulator: SimulatorHandle) -> None:
    simulator.control.snapshot()
    text = (simulator.data_dir / "state.json").read_text()
    creds = simulator.credentials
    assert creds["auth_token"] not in text and creds["password"] not in text


def test_non_loopback_bind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NonLoopbackBindError):
        Simulator(tmp_path, host="0.0.0.0", port=0)  # noqa: S104 - the point of it
    assert not (tmp_path / "credentials.json").exists()


def test_restart_keeps_state_and_certificate(tmp_path: Path) -> None:
    first = start_in_thread(tmp_path, seed_days=1, seed=3)
    api = Api(first)
    sub = api.post("/accounts/{a}/sub-accounts", json={"name": "Survivor"}).json()
    trunk = api.post(
        "/Account/{a}/trunks",
        json={"name": "Kept", "trunk_type": "INBOUND", "max_concurrent_calls": 3},
    ).json()
    e164 = api.get("/Account/{a}/inventory/numbers").json()["items"][0]["e164"]
    api.post("/Account/{a}/numbers/purchase-from-inventory", json={"e164": e164})
    call = api.post(
        "/Account/{a}/Call/",
        json={
            "from": "+918012345678",
            "to": "+919800000000",
            "sim_outcome": "answered",
            "answer_url": "https://example.com/a",
        },
    ).json()
    first.control.advance(4000)
    first.control.seed_cdrs(500, start="2026-01-01", end="2026-01-02")
    total = api.get("/Account/{a}/cdr").json()["pagination"]["total"]
    balance = api.get("/account/{a}/balance/INR").json()["balance"]
    offset = first.control.clock()["offset_seconds"]
    cert = (tmp_path / "ca.pem").read_bytes()
    api.close()
    first.stop()

    second = start_in_thread(tmp_path, seed_days=1, seed=3)
    try:
        again = Api(second)
        sa_id = sub["sub_account"]["auth_id"]
        assert again.get(f"/accounts/{{a}}/sub-accounts/{sa_id}").status_code == 200
        assert (
            again.get(f"/Account/{{a}}/trunks/{trunk['trunk_id']}").status_code == 200
        )
        assert again.get("/Account/{a}/numbers", params={"search": e164}).json()[
            "total"
        ]
        assert (
            again.get(f"/Account/{{a}}/cdr/{call['request_uuid']}").status_code == 200
        )
        assert again.get("/Account/{a}/cdr").json()["pagination"]["total"] == total
        assert again.get("/account/{a}/balance/INR").json()["balance"] == balance
        assert second.control.clock()["offset_seconds"] >= offset
        assert (tmp_path / "ca.pem").read_bytes() == cert
        new_token = Api(second, sa_id, sub["auth_credentials"]["auth_token"])
        assert new_token.get("/Account/{a}/numbers").status_code == 200
    finally:
        second.stop()


def test_reset_restores_the_seeded_state(tmp_path: Path) -> None:
    handle = start_in_thread(tmp_path, seed_days=1, seed=5)
    try:
        api = Api(handle)
        seeded = handle.control.stats()
        api.post("/accounts/{a}/sub-accounts", json={"name": "Gone soon"})
        handle.control.seed_cdrs(100)
        assert handle.control.stats()["accounts"] == seeded["accounts"] + 1
        restored = handle.control.reset()
        assert restored["accounts"] == seeded["accounts"]
        assert restored["cdrs"] == seeded["cdrs"]
    finally:
        handle.stop()


def _non_loopback_address() -> str | None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # no packet is sent for UDP connect
        address: str = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_control_api_refuses_non_loopback_clients(tmp_path: Path) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("no non-loopback interface to test from")
    handle = start_in_thread(tmp_path, host="0.0.0.0", seed_days=1, public=True)  # noqa: S104
    try:
        session = requests.Session()
        session.trust_env = False
        # The certificate only names loopback, hence no verification here.
        url = f"https://{address}:{handle.port}/__sim__/counters"
        response = session.get(url, verify=False, timeout=10)
        assert response.status_code == 403
    finally:
        handle.stop()


def test_cli_prints_one_line_without_secrets(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
            "--seed-days",
            "1",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "https://127.0.0.1:" in line and "/api/v1" in line
        assert str(tmp_path / "ca.pem") in line and "credentials.json" in line
        base_url = line.split("base URL ")[1].split()[0]
        session = requests.Session()
        session.trust_env = False
        response = session.get(
            base_url + "/auth/me", verify=str(tmp_path / "ca.pem"), timeout=10
        )
        assert response.status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    output = line + stdout + stderr
    creds = json.loads((tmp_path / "credentials.json").read_text())
    for secret in [
        creds["auth_token"],
        creds["password"],
        *creds["sub_account_tokens"].values(),
    ]:
        assert secret not in output
    assert (tmp_path / "state.json").exists()


def test_cli_refuses_non_loopback_without_public(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "--host",
            "0.0.0.0",  # noqa: S104 - the refusal is what is tested
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "not a loopback address" in result.stderr
    assert time.perf_counter() - started < 30
