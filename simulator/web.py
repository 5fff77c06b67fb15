"""Request context, routes, and the small parsing helpers every handler uses."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from simulator.models import Account
from simulator.responses import ApiError, envelope, flat, validation

if TYPE_CHECKING:
    from simulator.app import SimulatorApp
    from simulator.state import SimState

Handler = Callable[..., Response]


@dataclass
class Ctx:
    """Everything a handler needs about the request it serves."""

    request: Request
    app: SimulatorApp
    request_id: str
    now: float
    account: Account | None = None
    # Seconds to hold the response back once the state lock is released.
    hold_seconds: float = 0.0
    _body: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def state(self) -> SimState:
        """Return the simulator state."""
        return self.app.state

    @property
    def caller(self) -> Account:
        """Return the authenticated account (routes with auth always have one)."""
        if self.account is None:
            raise envelope(401)
        return self.account

    def body(self) -> dict[str, Any]:
        """Return the JSON object body ({} when empty); 400 when malformed."""
        if self._body is None:
            raw = self.request.get_data(cache=True)
            if not raw.strip():
                self._body = {}
            else:
                try:
                    parsed = json.loads(raw)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise envelope(400, "BAD_REQUEST", "Malformed JSON body") from exc
                if not isinstance(parsed, dict):
                    raise envelope(400, "BAD_REQUEST", "JSON body must be an object")
                self._body = parsed
        return self._body

    def arg_int(
        self, name: str, default: int, minimum: int = 0, maximum: int | None = None
    ) -> int:
        """Return an integer query argument, clamped to ``maximum``; 400 if bad."""
        text = self.request.args.get(name)
        if text is None or text == "":
            return default
        try:
            value = int(text)
        except ValueError as exc:
            raise flat(400, "bad_request", f"{name} must be an integer") from exc
        if value < minimum:
            raise flat(400, "bad_request", f"{name} must be at least {minimum}")
        return min(value, maximum) if maximum is not None else value

    def arg_bool(self, name: str, default: bool = False) -> bool:
        """Return a boolean query argument (true/1/yes)."""
        text = self.request.args.get(name)
        if text is None:
            return default
        return text.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Route:
    """One API route; ``{Account}``/``{account}`` marks the documented casing."""

    methods: tuple[str, ...]
    path: str
    handler: Handler
    auth: str = "path"

    @property
    def template(self) -> str:
        """Return the documented path with ``{param}`` placeholders."""
        path = self.path.replace("{Account}", "Account").replace("{account}", "account")
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)

    def variants(self, strict: bool) -> list[str]:
        """Return the concrete rule strings this route answers to."""
        for marker, documented in (("{Account}", "Account"), ("{account}", "account")):
            if marker in self.path:
                if strict:
                    return [self.path.replace(marker, documented)]
                return [self.path.replace(marker, c) for c in ("Account", "account")]
        return [self.path]


class Router:
    """Match a path and method to a route, in strict or lenient casing."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self._maps = {strict: self._build(strict) for strict in (False, True)}

    def _build(self, strict: bool) -> Map:
        rules = [
            Rule(variant, endpoint=index, methods=list(route.methods))
            for index, route in enumerate(self.routes)
            for variant in route.variants(strict)
        ]
        return Map(rules, strict_slashes=False, merge_slashes=False)

    def match(
        self, path: str, method: str, strict: bool
    ) -> tuple[Route, dict[str, str]]:
        """Return the route and its path parameters, or raise a 404/405 error."""
        normalised = path.rstrip("/") or "/"
        adapter = self._maps[strict].bind("simulator", "/")
        try:
            index, params = adapter.match(normalised, method=method)
        except MethodNotAllowed as exc:
            raise envelope(
                405, details={"allowed": sorted(exc.valid_methods or [])}
            ) from exc
        except NotFound as exc:
            raise envelope(404, "NOT_FOUND", f"No route for {method} {path}") from exc
        return self.routes[int(index)], {k: str(v) for k, v in params.items()}

    def template_for(self, path: str, method: str, strict: bool) -> str:
        """Return the route template a request maps to (for counters)."""
        try:
            route, _ = self.match(path, method, strict)
        except ApiError:
            return "unmatched"
        return route.template


def require_master(ctx: Ctx) -> Account:
    """Return the caller if it is the master account; 403 otherwise."""
    caller = ctx.caller
    if not caller.is_master:
        raise flat(403, "forbidden", "only the master account can do this")
    return caller


def style_b(objects: list[dict[str, Any]], ctx: Ctx) -> dict[str, Any]:
    """Return a ``meta/objects`` page (limit ≤ 100, offset)."""
    limit = ctx.arg_int("limit", 20, minimum=1, maximum=100)
    offset = ctx.arg_int("offset", 0)
    return {
        "meta": {"limit": limit, "offset": offset, "total": len(objects)},
        "objects": objects[offset : offset + limit],
    }


def style_a(items: list[dict[str, Any]], ctx: Ctx) -> dict[str, Any]:
    """Return an ``items/page/per_page/total`` page (per_page ≤ 100)."""
    page = ctx.arg_int("page", 1, minimum=1)
    per_page = ctx.arg_int("per_page", 25, minimum=1, maximum=100)
    start = (page - 1) * per_page
    return {
        "items": items[start : start + per_page],
        "page": page,
        "per_page": per_page,
        "total": len(items),
    }


def text(
    body: dict[str, Any], name: str, *, required: bool = False, max_length: int = 255
) -> str | None:
    """Return a string field of a body, validated; 422 when wrong."""
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip() and required):
        if required:
            raise validation(name, f"{name} is required", "REQUIRED")
        return None
    if not isinstance(value, str):
        raise validation(name, f"{name} must be a string", "INVALID_FORMAT", value)
    if len(value) > max_length:
        raise validation(
            name,
            f"{name} must be at most {max_length} characters",
            "MAX_LENGTH",
            len(value),
        )
    return value


def integer(
    body: dict[str, Any],
    name: str,
    default: int | None,
    *,
    minimum: int = 0,
    maximum: int = 1_000_000,
) -> int | None:
    """Return an integer field of a body, validated; 422 when wrong."""
    value: Any = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise validation(name, f"{name} must be an integer", "INVALID_FORMAT", value)
    if not minimum <= value <= maximum:
        raise validation(
            name,
            f"{name} must be between {minimum} and {maximum}",
            "OUT_OF_RANGE",
            value,
        )
    return int(value)


def boolean(body: dict[str, Any], name: str, default: bool | None) -> bool | None:
    """Return a boolean field of a body, validated; 422 when wrong."""
    value = body.get(name, default)
    if value is None or isinstance(value, bool):
        return value
    raise validation(name, f"{name} must be a boolean", "INVALID_FORMAT", value)
