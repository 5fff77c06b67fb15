"""Outgoing alert webhooks: where they may point, how they are signed and sent.

A webhook URL is a request the portal makes on an admin's behalf from inside the
network, so it must be https and every address its host resolves to must be a
public one: no private, loopback, link-local, shared, multicast or reserved
address (server-side request forgery). The check runs when a channel is saved
and again before every send, since DNS can change in between.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError

SIGNATURE_HEADER = "X-Portal-Signature"
# Sent only during the overlap window after a secret rotation: the signature made
# with the secret being replaced, so a receiver not yet switched keeps verifying.
PREVIOUS_SIGNATURE_HEADER = "X-Portal-Signature-Previous"
DELIVERY_HEADER = "X-Portal-Delivery"
EVENT_HEADER = "X-Portal-Event"
# Connect and read timeouts: a slow receiver must not hold a worker for long.
TIMEOUT = (3.05, 5.0)

Resolver = Callable[..., list[tuple[Any, ...]]]


def allow_private() -> bool:
    """Say whether private addresses are allowed (tests and closed networks)."""
    return bool(getattr(settings, "ALERT_WEBHOOK_ALLOW_PRIVATE", False))


def _addresses(host: str, port: int, resolve: Resolver) -> list[str]:
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(f"The host {host} could not be resolved.") from exc
    return sorted({str(info[4][0]) for info in infos})


def _forbidden(address: str) -> str | None:
    """Return why an address may not be called, or None if it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    ip = mapped or ip
    for attribute, label in (
        ("is_loopback", "a loopback"),
        ("is_link_local", "a link-local"),
        ("is_unspecified", "an unspecified"),
        ("is_multicast", "a multicast"),
        ("is_reserved", "a reserved"),
        ("is_private", "a private"),
    ):
        if getattr(ip, attribute):
            return label
    # Carrier-grade NAT (100.64/10) and the like are neither private nor global.
    return None if ip.is_global else "a non-public"


def validate_webhook_url(url: str, *, resolve: Resolver = socket.getaddrinfo) -> str:
    """Return the URL if alerts may be posted to it, else raise ValidationError."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https":
        raise ValidationError("Use an https:// URL: alerts are sent signed, over TLS.")
    if parts.username or parts.password:
        raise ValidationError("Leave credentials out of the URL.")
    host = parts.hostname
    if not host:
        raise ValidationError("The URL has no host name.")
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise ValidationError("The port in the URL is not a number.") from exc
    if allow_private():
        return url.strip()
    for address in _addresses(host, port, resolve):
        reason = _forbidden(address)
        if reason:
            raise ValidationError(
                f"{host} resolves to {address}, {reason} address; webhooks may "
                "only call public addresses."
            )
    return url.strip()


def sign(secret: str, body: bytes) -> str:
    """Return the signature header value: ``sha256=`` + HMAC-SHA256 of the body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, body: bytes, header: str) -> bool:
    """Check a signature header against the body (what a receiver does)."""
    return hmac.compare_digest(sign(secret, body), header or "")


def verify_any(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Check a delivery against the receiver's secret, whichever header carries it.

    What a receiver does around a rotation: during the overlap window the portal
    signs with the new secret (`X-Portal-Signature`) and the old one
    (`X-Portal-Signature-Previous`); a receiver that still has the old secret
    matches the second, one that has the new secret the first. After the window
    only the first is sent.
    """
    wanted = {name.lower(): value for name, value in headers.items()}
    candidates = [
        wanted.get(SIGNATURE_HEADER.lower(), ""),
        wanted.get(PREVIOUS_SIGNATURE_HEADER.lower(), ""),
    ]
    # Check both (no short-circuit), so the time taken says nothing about which.
    results = [verify(secret, body, value) for value in candidates if value]
    return any(results)


def signature_headers(
    secret: str, body: bytes, previous_secret: str | None = None
) -> dict[str, str]:
    """Return the signature header, plus the previous one inside an overlap window."""
    headers = {SIGNATURE_HEADER: sign(secret, body)}
    if previous_secret:
        headers[PREVIOUS_SIGNATURE_HEADER] = sign(previous_secret, body)
    return headers


@dataclass(frozen=True)
class PostResult:
    """What one webhook attempt got back."""

    status: int | None
    error: str
    duration_ms: float
    # Set when retrying cannot help (the URL is no longer allowed).
    final: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """A network error, a timeout, 408, 429 or a 5xx may pass on a retry."""
        if self.final:
            return False
        return self.status is None or self.status in (408, 429) or self.status >= 500


def post(
    url: str,
    body: bytes,
    *,
    secret: str,
    delivery_id: int,
    event: str,
    previous_secret: str | None = None,
) -> PostResult:
    """POST one signed JSON body; never follow redirects (they could go inward).

    `previous_secret` (inside a rotation's overlap window) adds a second
    signature made with the secret being replaced.
    """
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "vobiz-team-portal-alerts",
        **signature_headers(secret, body, previous_secret),
        DELIVERY_HEADER: str(delivery_id),
        EVENT_HEADER: event,
    }
    started = time.monotonic()
    try:
        validate_webhook_url(url)
        with requests.Session() as session:
            # No proxies or CA bundles from the environment: what is checked is
            # what is called.
            session.trust_env = False
            response = session.post(
                url,
                data=body,
                headers=headers,
                timeout=TIMEOUT,
                allow_redirects=False,
                verify=getattr(settings, "ALERT_WEBHOOK_CA_BUNDLE", "") or True,
            )
            response.close()
    except ValidationError as exc:
        return PostResult(None, "; ".join(exc.messages), _ms(started), final=True)
    except requests.RequestException as exc:
        return PostResult(None, type(exc).__name__, _ms(started))
    error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return PostResult(response.status_code, error, _ms(started))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
