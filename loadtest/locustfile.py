"""Locust users of the load test: one class per role, plus a closed-loop user.

The runner writes the plan (`LOADTEST_PLAN`, a JSON file of mode 0600 under
var/loadtest/): each role's sign-in accounts and the pages that role opens, by
path (resolved from URL names by the runner). Each simulated user signs in once
with its own account (admins pass their TOTP code), then opens its role's pages
at random, weighted, with a think time. Only 200 counts as success: a redirect
to the sign-in page would otherwise hide a broken session.

Never imported by the test suite: importing locust monkey-patches with gevent.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any, ClassVar

import gevent.event
from locust import HttpUser, between, constant, task

from loadtest.portal_session import sign_in

PLAN: dict[str, Any] = json.loads(open(os.environ["LOADTEST_PLAN"]).read())  # noqa: SIM115
_ACCOUNTS = {role: itertools.cycle(pool) for role, pool in PLAN["accounts"].items()}
# Signing in hashes a password (PBKDF2, a good part of a second of CPU), so the
# measured window starts only once every user has signed in: the last one resets
# the statistics (after saving the sign-in figures) and lets everybody browse.
_SIGNED_IN = {"count": 0}
_EVERYONE_IN = gevent.event.Event()
READY_TIMEOUT = 120


def _signed_in(environment: Any) -> None:
    _SIGNED_IN["count"] += 1
    if _SIGNED_IN["count"] < int(PLAN.get("expect_users", 1)):
        return
    entry = environment.stats.entries.get(("sign-in", "POST"))
    if entry is not None and PLAN.get("sign_in_out"):
        figures = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "max_ms": entry.max_response_time,
        }
        with open(PLAN["sign_in_out"], "w") as out:
            json.dump(figures, out)
    environment.stats.reset_all()
    _EVERYONE_IN.set()


class SignedInUser(HttpUser):
    """A person of one role who signs in once; no tasks of its own."""

    abstract = True
    role: ClassVar[str] = ""
    wait_time = between(*PLAN.get("wait", (0.5, 2.5)))

    def on_start(self) -> None:
        self.client.trust_env = False  # never a proxy: 127.0.0.1 only
        account = next(_ACCOUNTS[self.role])
        sign_in(
            lambda path: self.client.get(path, name="sign-in", allow_redirects=False),
            lambda path, data: self.client.post(
                path, data=data, name="sign-in", allow_redirects=False
            ),
            email=account["email"],
            password=account["password"],
            totp_key=account.get("totp_key"),
        )
        self.wait_for_everyone()

    def wait_for_everyone(self) -> None:
        """Count this user in, then wait until every user has signed in."""
        _signed_in(self.environment)
        _EVERYONE_IN.wait(timeout=READY_TIMEOUT)

    def open(self, page: dict[str, Any]) -> None:
        """GET one page; anything but 200 is a failure."""
        with self.client.get(
            page["path"],
            params=page["params"],
            headers=page["headers"],
            name=page["name"],
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                why = f": {response.error!r}" if response.error else ""
                response.failure(f"status {response.status_code}{why}")


class PortalUser(SignedInUser):
    """Browses its role's pages at random, weighted, with a think time."""

    abstract = True

    def on_start(self) -> None:
        self.pages = PLAN["pages"][self.role]
        self.weights = [page["weight"] for page in self.pages]
        super().on_start()

    @task
    def browse(self) -> None:
        if self.pages:
            self.open(random.choices(self.pages, self.weights)[0])  # noqa: S311


def _mixed(role: str) -> type[PortalUser]:
    count = int(PLAN.get("mix", {}).get(role, 0))
    return type(
        f"{role.capitalize()}User",
        (PortalUser,),
        {"role": role, "fixed_count": count, "abstract": False},
    )


AdminUser = _mixed("admin")
FinanceUser = _mixed("finance")
LeadUser = _mixed("lead")
ViewerUser = _mixed("viewer")


class ThroughputUser(SignedInUser):
    """No think time: as many requests to one page as the server will answer."""

    role = str((PLAN.get("throughput") or {}).get("role") or "admin")
    wait_time = constant(0)

    def on_start(self) -> None:
        target = PLAN["throughput"]
        self.page = {"params": {}, "headers": {}, **target}
        if target.get("sign_in"):
            super().on_start()
        else:
            self.client.trust_env = False
            self.wait_for_everyone()

    @task
    def hit(self) -> None:
        self.open(self.page)
