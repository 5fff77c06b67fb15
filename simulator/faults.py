"""Fault injection: forced statuses, random 5xx, 429s, latency, dropped sockets.

Rules are set through ``/__sim__/faults/...`` and consulted once per API request
(control requests are never faulted). Counted rules are consumed in the order
they were added.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(eq=False)  # rules are compared and hashed by identity
class Rule:
    """Match requests by path prefix and method; ``remaining`` None means always."""

    remaining: int | None = None
    path_prefix: str | None = None
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this rule applies to a request (ignoring its count)."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method and self.method.upper() != method:
            return False
        return not self.path_prefix or path.startswith(self.path_prefix)

    def consume(self) -> None:
        """Use up one of the rule's requests."""
        if self.remaining is not None:
            self.remaining -= 1


@dataclass(eq=False)
class StatusRule(Rule):
    """Answer with ``status`` instead of handling the request."""

    status: int = 500
    shape: str = "envelope"
    retry_after: int | None = None


@dataclass(eq=False)
class RandomRule(Rule):
    """Answer with one of ``statuses`` for a ``fraction`` of requests."""

    fraction: float = 0.0
    statuses: list[int] = field(default_factory=lambda: [500, 503])
    retry_after: int | None = None
    seed: int | None = None


@dataclass(eq=False)
class LatencyRule(Rule):
    """Sleep ``ms`` (plus up to ``jitter_ms``) before answering."""

    ms: int = 0
    jitter_ms: int = 0


@dataclass
class AfterCommit:
    """Land the next purchases, then fail their response (error or drop) or hold
    it back for ``hold_ms`` (a caller killed meanwhile never hears of it)."""

    remaining: int = 0
    mode: str = "error"
    status: int = 500
    hold_ms: int = 0


@dataclass
class Decision:
    """What to do with one request before handling it."""

    delay: float = 0.0
    drop: bool = False
    status: int | None = None
    shape: str = "envelope"
    retry_after: int | None = None


class Faults:
    """The current fault rules, shared by every request thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.injected = 0
        self.reset()

    def reset(self) -> None:
        """Remove every rule."""
        with self._lock:
            self.fail: list[StatusRule] = []
            self.throttle: list[RandomRule] = []
            self.drop: list[Rule] = []
            self.latency: list[LatencyRule] = []
            self.error_rate: RandomRule | None = None
            self.after_commit = AfterCommit()
            self._rngs: dict[RandomRule, random.Random] = {}

    def _rng(self, rule: RandomRule) -> random.Random:
        # One generator per rule so a seeded rule gives a reproducible sequence.
        if rule not in self._rngs:
            self._rngs[rule] = random.Random(rule.seed)  # noqa: S311 - fault dice
        return self._rngs[rule]

    def add_fail(self, rule: StatusRule) -> None:
        """Fail the next ``rule.remaining`` matching requests."""
        with self._lock:
            self.fail.append(rule)

    def add_throttle(self, rule: RandomRule) -> None:
        """Add a 429 rule (counted, or a fraction when ``remaining`` is None)."""
        with self._lock:
            self.throttle.append(rule)

    def add_drop(self, rule: Rule) -> None:
        """Close the socket without answering the next matching requests."""
        with self._lock:
            self.drop.append(rule)

    def add_latency(self, rule: LatencyRule) -> None:
        """Delay matching requests."""
        with self._lock:
            self.latency.append(rule)

    def set_error_rate(self, rule: RandomRule | None) -> None:
        """Fail a random fraction of requests with a 5xx (None turns it off)."""
        with self._lock:
            self.error_rate = rule if rule and rule.fraction > 0 else None

    def set_after_commit(self, rule: AfterCommit) -> None:
        """Fail the responses of the next purchases after they commit."""
        with self._lock:
            self.after_commit = rule

    def take_after_commit(self) -> AfterCommit | None:
        """Consume one "fail after commit" if one is armed."""
        with self._lock:
            if self.after_commit.remaining <= 0:
                return None
            self.after_commit.remaining -= 1
            self.injected += 1
            armed = self.after_commit
            return AfterCommit(1, armed.mode, armed.status, armed.hold_ms)

    def decide(self, method: str, path: str) -> Decision:
        """Return the injected behaviour for one request, consuming counts."""
        decision = Decision()
        with self._lock:
            for lat in self.latency:
                if lat.matches(method, path):
                    lat.consume()
                    jitter = random.random() * lat.jitter_ms  # noqa: S311 - jitter
                    decision.delay += (lat.ms + jitter) / 1000
            if self._first(self.drop, method, path):
                decision.drop = True
            elif rule := self._first(self.fail, method, path):
                decision.status, decision.shape = rule.status, rule.shape
                decision.retry_after = rule.retry_after
            elif throttle := self._roll(self.throttle, method, path):
                decision.status, decision.retry_after = 429, throttle.retry_after or 60
            elif self.error_rate and (
                hit := self._roll([self.error_rate], method, path)
            ):
                decision.status = self._rng(hit).choice(hit.statuses)
                decision.retry_after = hit.retry_after
            if decision.drop or decision.status:
                self.injected += 1
        return decision

    @staticmethod
    def _first(rules: list[Any], method: str, path: str) -> Any:
        for rule in rules:
            if rule.remaining is not None and rule.matches(method, path):
                rule.consume()
                return rule
        return None

    def _roll(
        self, rules: list[RandomRule], method: str, path: str
    ) -> RandomRule | None:
        for rule in rules:
            if not rule.matches(method, path):
                continue
            if rule.remaining is not None:
                rule.consume()
                return rule
            if self._rng(rule).random() < rule.fraction:
                return rule
        return None

    def describe(self) -> dict[str, Any]:
        """Return the active rules as JSON."""
        with self._lock:

            def live(rules: list[Any]) -> list[dict[str, Any]]:
                return [
                    asdict(r) for r in rules if r.remaining is None or r.remaining > 0
                ]

            return {
                "fail": live(self.fail),
                "rate_limit": live(self.throttle),
                "drop": live(self.drop),
                "latency": live(self.latency),
                "error_rate": asdict(self.error_rate) if self.error_rate else None,
                "fail_after_commit": asdict(self.after_commit),
                "injected": self.injected,
            }
