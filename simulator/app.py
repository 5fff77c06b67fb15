"""The WSGI application: request ids, counters, faults, auth, rate limits, routes."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from simulator import (
    api_accounts,
    api_assign,
    api_auth,
    api_billing,
    api_calls,
    api_cdr,
    api_numbers,
    api_sip,
    api_trunks,
)
from simulator.control import handle_control
from simulator.faults import Decision, Faults
from simulator.models import Account
from simulator.ratelimit import RateLimiter
from simulator.responses import ApiError, envelope, flat, rate_limited
from simulator.state import SimState
from simulator.web import Ctx, Router

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger("simulator")


class DropConnection(Exception):
    """Tell the server to close the socket without sending a response."""


class Counters:
    """Requests, statuses and TCP connections seen, for ``GET /__sim__/counters``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self.requests = 0
            self.control_requests = 0
            self.connections = 0
            self.dropped = 0
            self.by_path: Counter[str] = Counter()
            self.by_status: Counter[int] = Counter()

    def request(self, method: str, template: str) -> None:
        """Count one API request by its route template."""
        with self._lock:
            self.requests += 1
            self.by_path[f"{method} {template}"] += 1

    def status(self, code: int) -> None:
        """Count one response status."""
        with self._lock:
            self.by_status[code] += 1

    def control(self) -> None:
        """Count one control-API request."""
        with self._lock:
            self.control_requests += 1

    def connection(self) -> None:
        """Count one accepted TCP connection (called by the server)."""
        with self._lock:
            self.connections += 1

    def drop(self) -> None:
        """Count one connection closed without a response."""
        with self._lock:
            self.dropped += 1

    def as_dict(self) -> dict[str, Any]:
        """Return the counters as JSON."""
        with self._lock:
            return {
                "requests": self.requests,
                "requests_by_path": dict(self.by_path),
                "responses_by_status": {str(k): v for k, v in self.by_status.items()},
                "connections_accepted": self.connections,
                "connections_dropped": self.dropped,
                "control_requests": self.control_requests,
            }


ROUTES = (
    api_auth.ROUTES
    + api_accounts.ROUTES
    + api_numbers.ROUTES
    + api_assign.ROUTES
    + api_trunks.ROUTES
    + api_sip.ROUTES
    + api_cdr.ROUTES
    + api_billing.ROUTES
    + api_calls.ROUTES
)


class SimulatorApp:
    """The Vobiz API simulator as a WSGI callable."""

    def __init__(self, state: SimState) -> None:
        self.state = state
        self.faults = Faults()
        self.limiter = RateLimiter()
        self.counters = Counters()
        self.router = Router(ROUTES)
        self.info: dict[str, Any] = {}

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Serve one request."""
        request = Request(environ)
        request_id = f"req_{secrets.token_hex(6)}"
        if request.path.startswith("/__sim__"):
            self.counters.control()
            response = handle_control(self, request, request_id)
        else:
            response = self._api(request, request_id)
        response.headers["X-Request-ID"] = request_id
        return response(environ, start_response)

    def _api(self, request: Request, request_id: str) -> Response:
        method, path = request.method, request.path
        strict = self.state.config.strict_casing
        self.counters.request(method, self.router.template_for(path, method, strict))
        decision = self.faults.decide(method, path)
        if decision.delay:
            time.sleep(decision.delay)
        if decision.drop:
            self.counters.drop()
            raise DropConnection
        if decision.status:
            response = self._injected(decision, request_id)
        else:
            response = self._dispatch(request, request_id, strict)
        self.counters.status(response.status_code)
        return response

    def _injected(self, decision: Decision, request_id: str) -> Response:
        status = decision.status or 500
        headers = (
            {"Retry-After": str(decision.retry_after)} if decision.retry_after else {}
        )
        if status == 429:
            error = rate_limited(
                decision.retry_after or 60, "Too many requests", limitType="api"
            )
        elif decision.shape == "flat":
            code = envelope(status).body["code"].lower()
            error = flat(status, code, "injected failure")
            error.headers.update(headers)
        else:
            error = envelope(status, headers=headers)
        return error.to_response(request_id, self.state.clock.now())

    def _dispatch(self, request: Request, request_id: str, strict: bool) -> Response:
        state = self.state
        ctx = Ctx(request, self, request_id, state.clock.now())
        try:
            route, params = self.router.match(request.path, request.method, strict)
            with state.lock:
                state.tick()
                if route.auth != "none":
                    path_id = params.get("auth_id") if route.auth == "path" else None
                    ctx.account = api_auth.authenticate(ctx, path_id)
                    self._rate_limit(ctx.account, ctx.now)
                    ctx.account.last_used = ctx.now
                response = route.handler(ctx, **params)
        except ApiError as error:
            return error.to_response(request_id, state.clock.now())
        except DropConnection:
            raise
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.path)
            return envelope(500).to_response(request_id, state.clock.now())
        if ctx.hold_seconds:
            # Outside the lock: other callers go on while this answer waits.
            time.sleep(ctx.hold_seconds)
        return response

    def _rate_limit(self, account: Account, now: float) -> None:
        config = self.state.config
        limit = config.master_rate_limit if account.is_master else account.rate_limit
        wait = self.limiter.hit(account.auth_id, limit, config.rate_limit_window, now)
        if wait is not None:
            raise rate_limited(
                wait,
                "API rate limit exceeded",
                limitType="api",
                limit=limit,
                window=config.rate_limit_window,
            )

    def after_commit_fault(self, ctx: Ctx) -> None:
        """Fail or hold a committed purchase's response if the control API asked."""
        fault = self.faults.take_after_commit()
        if fault is None:
            return
        if fault.mode == "hold":
            ctx.hold_seconds = fault.hold_ms / 1000
            return
        if fault.mode == "drop":
            self.counters.drop()
            raise DropConnection
        raise envelope(fault.status, message="Internal server error")
