"""Build and run a simulator: ``Simulator`` (the pieces) and ``start_in_thread``.

``start_in_thread`` is the helper tests and other code use::

    sim = start_in_thread(tmp_path, seed_days=3)
    requests.get(sim.base_url + "/auth/me", headers=sim.auth_headers(),
                 verify=sim.ca_bundle)
    sim.control.fail(status=503, count=2)
    sim.stop()
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.app import DropConnection, SimulatorApp
from simulator.clock import SimClock
from simulator.control_client import ControlClient
from simulator.credentials import (
    FILENAME,
    load_or_create,
    with_sub_account_tokens,
)
from simulator.seed import sub_account_ids
from simulator.snapshot import SnapshotWriter, load_state, read_snapshot
from simulator.state import SimState
from simulator.tls import ensure_certificate, server_context
from simulator.wsgi_server import SimHTTPServer

log = logging.getLogger("simulator")


class NonLoopbackBindError(ValueError):
    """Binding to a non-loopback address without ``public=True``."""


def is_loopback_host(host: str) -> bool:
    """Tell whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class Simulator:
    """A configured simulator: state, app, HTTPS server and snapshot writer."""

    def __init__(
        self,
        data_dir: Path | str,
        host: str = "127.0.0.1",
        port: int = 8443,
        seed_days: int = 90,
        seed: int = 1,
        public: bool = False,
    ) -> None:
        if not public and not is_loopback_host(host):
            raise NonLoopbackBindError(
                f"refusing to bind to {host}: not a loopback address (pass --public)"
            )
        started = time.perf_counter()
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        snapshot = read_snapshot(self.data_dir)
        if snapshot:
            meta = snapshot["meta"]
            if (int(meta["seed"]), int(meta["seed_days"])) != (seed, seed_days):
                log.warning(
                    "keeping the saved world (seed %s, %s days); delete %s or POST "
                    "/__sim__/reset to change it",
                    meta["seed"],
                    meta["seed_days"],
                    self.data_dir,
                )
            seed, seed_days, anchor = (
                int(meta["seed"]),
                int(meta["seed_days"]),
                meta["anchor"],
            )
        else:
            anchor = float(int(time.time()))
        creds = load_or_create(self.data_dir)
        creds = with_sub_account_tokens(self.data_dir, creds, sub_account_ids(seed))
        self.state = SimState(SimClock(), creds, seed, seed_days, anchor)
        if snapshot:
            load_state(self.state, snapshot)
        else:
            self.state.seed_world()
        self.app = SimulatorApp(self.state)
        self.ca_bundle, cert, key = ensure_certificate(self.data_dir)
        self.server = SimHTTPServer(
            (host, port),
            self.app,
            server_context(cert, key),
            on_connection=self.app.counters.connection,
            drop_exceptions=(DropConnection,),
        )
        self.port = int(self.server.server_address[1])
        self.root_url = f"https://{_url_host(host)}:{self.port}"
        self.base_url = f"{self.root_url}/api/v1"
        self.credentials_file = self.data_dir / FILENAME
        self.writer = SnapshotWriter(self.state, self.data_dir)
        self.app.info.update(
            base_url=self.base_url,
            ca_bundle=str(self.ca_bundle),
            credentials_file=str(self.credentials_file),
            snapshot_writer=self.writer,
        )
        self.startup_seconds = time.perf_counter() - started
        self._thread: threading.Thread | None = None
        self._stopped = False

    def start_line(self) -> str:
        """Return the one line printed on start (no secrets in it)."""
        return (
            f"Vobiz simulator listening: base URL {self.base_url} | "
            f"CA bundle {self.ca_bundle} | credentials {self.credentials_file}"
        )

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop`` (or an interrupt)."""
        self.writer.start()
        try:
            self.server.serve_forever(poll_interval=0.2)
        finally:
            self.close()

    def start(self) -> None:
        """Serve in a background thread."""
        self.writer.start()
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"vobiz-sim-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and write the final snapshot."""
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.close()

    def close(self) -> None:
        """Release the socket, cut open connections and save the state once."""
        if self._stopped:
            return
        self._stopped = True
        self.server.server_close()
        self.server.close_all_connections()
        self.writer.stop()


@dataclass
class SimulatorHandle:
    """A running simulator, as tests see it."""

    simulator: Simulator
    control: ControlClient = field(init=False)

    def __post_init__(self) -> None:
        self.control = ControlClient(self.root_url, self.ca_bundle)

    @property
    def base_url(self) -> str:
        """Return ``https://127.0.0.1:PORT/api/v1``."""
        return self.simulator.base_url

    @property
    def root_url(self) -> str:
        """Return ``https://127.0.0.1:PORT``."""
        return self.simulator.root_url

    @property
    def port(self) -> int:
        """Return the bound port."""
        return self.simulator.port

    @property
    def ca_bundle(self) -> str:
        """Return the path of the CA certificate to verify the server with."""
        return str(self.simulator.ca_bundle)

    @property
    def data_dir(self) -> Path:
        """Return the data directory."""
        return self.simulator.data_dir

    @property
    def credentials(self) -> dict[str, Any]:
        """Return the seed credentials (auth_id, auth_token, email, password, …)."""
        data: dict[str, Any] = json.loads(
            self.simulator.credentials_file.read_text(encoding="utf-8")
        )
        return data

    @property
    def auth_id(self) -> str:
        """Return the master account's auth id."""
        return str(self.credentials["auth_id"])

    def auth_headers(
        self, auth_id: str | None = None, token: str | None = None
    ) -> dict[str, str]:
        """Return X-Auth headers (the master's unless others are given)."""
        creds = self.credentials
        return {
            "X-Auth-ID": auth_id or creds["auth_id"],
            "X-Auth-Token": token or creds["auth_token"],
        }

    def stop(self) -> None:
        """Stop the simulator (the snapshot is written)."""
        self.control.close()
        self.simulator.stop()


def start_in_thread(
    data_dir: Path | str,
    host: str = "127.0.0.1",
    port: int = 0,
    seed_days: int = 7,
    seed: int = 1,
    public: bool = False,
) -> SimulatorHandle:
    """Start a simulator in a background thread and return its handle."""
    simulator = Simulator(data_dir, host, port, seed_days, seed, public)
    simulator.start()
    return SimulatorHandle(simulator)
