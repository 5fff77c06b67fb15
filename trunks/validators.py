"""Pure validation for trunk input: whitelist entries, SIP usernames, passwords.

Nothing here touches the database or Vobiz, so every rule is easy to test (see
tests/trunks/test_validators.py, including a hypothesis test). Every failure is a
`django.core.exceptions.ValidationError` with a message a person can act on.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

# RFC 5737: Vobiz refuses these (docs/vobiz-api.md §8.2).
DOCUMENTATION_NETS = tuple(
    ipaddress.IPv4Network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
PRIVATE_NETS = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
CGNAT_NET = ipaddress.IPv4Network("100.64.0.0/10")
LOOPBACK_NET = ipaddress.IPv4Network("127.0.0.0/8")
# Never a source of SIP traffic from the internet, so never worth whitelisting.
UNUSABLE_NETS = (
    (ipaddress.IPv4Network("0.0.0.0/8"), "a “this network” address"),
    (ipaddress.IPv4Network("169.254.0.0/16"), "a link-local address"),
    (ipaddress.IPv4Network("224.0.0.0/4"), "a multicast address"),
    (ipaddress.IPv4Network("240.0.0.0/4"), "a reserved address"),
)
# Without the admin's explicit confirmation nothing wider than one /24.
NARROWEST_UNCONFIRMED_PREFIX = 24
# Even with confirmation: a /8 is 16.7 million addresses, wide enough.
WIDEST_PREFIX = 8
MAX_INPUT_LENGTH = 43

DESCRIPTION_MAX_LENGTH = 100
DESCRIPTION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._,()/:#&'-]*$")

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9]{3,32}$")
# docs/vobiz-api.md §8.1: the API wants at least 8 characters, the console allows
# 5–20 and asks for letters and digits plus one of these. Twenty characters
# satisfies both, so a password the portal makes also works in the console.
PASSWORD_SPECIALS = "~!@#$%^&*()_+"  # noqa: S105 (a character class, not a secret)
PASSWORD_LENGTH = 20


@dataclass(frozen=True)
class IpEntry:
    """An accepted whitelist entry in canonical form, with an optional warning."""

    value: str
    network: ipaddress.IPv4Network
    warning: str = ""


def canonical(network: ipaddress.IPv4Network) -> str:
    """Return a network as Vobiz stores it: a bare address for /32, else a CIDR."""
    if network.prefixlen == 32:
        return str(network.network_address)
    return str(network)


def _parse(raw: object) -> ipaddress.IPv4Network:
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError(
            "Enter an IPv4 address such as 8.8.4.4 or a range such as 10.20.30.0/24.",
            code="required",
        )
    text = raw.strip()
    if len(text) > MAX_INPUT_LENGTH:
        raise ValidationError(
            "That is too long for an IPv4 address or range.", code="too_long"
        )
    if ":" in text:
        raise ValidationError(
            f"“{text}” looks like an IPv6 address; Vobiz accepts IPv4 only.",
            code="ipv6",
        )
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValidationError(
            f"“{text}” is not an IPv4 address or range. Use four numbers from "
            "0 to 255 separated by dots, optionally followed by /24 to /32.",
            code="invalid",
        ) from None
    if not isinstance(network, ipaddress.IPv4Network):  # pragma: no cover
        raise ValidationError("Vobiz accepts IPv4 only.", code="ipv6")
    return network


def _check_documentation(network: ipaddress.IPv4Network) -> None:
    shown = canonical(network)
    for doc in DOCUMENTATION_NETS:
        if network.subnet_of(doc):
            if network.prefixlen == 32:
                what = "a documentation address"
            elif network == doc:
                what = "a documentation range"
            else:
                what = f"in the documentation range {doc}"
            raise ValidationError(
                f"{shown} is {what}; Vobiz rejects it.", code="documentation"
            )
        if doc.subnet_of(network):
            raise ValidationError(
                f"{shown} includes the documentation range {doc}; Vobiz rejects it.",
                code="documentation",
            )


def _check_usable(network: ipaddress.IPv4Network) -> None:
    for unusable, label in UNUSABLE_NETS:
        if network.subnet_of(unusable) or unusable.subnet_of(network):
            raise ValidationError(
                f"{canonical(network)} is {label}; SIP traffic never comes from it.",
                code="unusable",
            )


def _check_width(network: ipaddress.IPv4Network, allow_wide: bool) -> None:
    if network.prefixlen == 0:
        raise ValidationError(
            "0.0.0.0/0 would let the whole internet use this trunk; it is never "
            "accepted.",
            code="everything",
        )
    if network.prefixlen < WIDEST_PREFIX:
        raise ValidationError(
            f"{network} covers {network.num_addresses:,} addresses; ranges wider "
            f"than /{WIDEST_PREFIX} are never accepted.",
            code="too_wide",
        )
    if network.prefixlen < NARROWEST_UNCONFIRMED_PREFIX and not allow_wide:
        raise ValidationError(
            f"{network} covers {network.num_addresses:,} addresses. Ranges wider "
            f"than /{NARROWEST_UNCONFIRMED_PREFIX} need an admin to tick "
            "“I confirm this wide range”.",
            code="wide",
        )


def _warning(network: ipaddress.IPv4Network, original: str) -> str:
    shown = canonical(network)
    notes = []
    if original != shown:
        notes.append(f"Saved as {shown}.")
    if any(network.subnet_of(n) for n in PRIVATE_NETS):
        notes.append(
            f"{shown} is a private range (RFC 1918). Vobiz sees your public "
            "address, so this only helps over a private interconnect."
        )
    elif network.subnet_of(CGNAT_NET):
        notes.append(
            f"{shown} is carrier-grade NAT space (100.64.0.0/10); the address "
            "Vobiz sees is probably a different one."
        )
    elif network.subnet_of(LOOPBACK_NET):
        notes.append(
            f"{shown} is a loopback address; traffic from the internet never "
            "comes from it."
        )
    return " ".join(notes)


def validate_ip_entry(
    raw: object, *, allow_wide: bool = False, existing: Iterable[str] = ()
) -> IpEntry:
    """Validate one whitelist entry and return it in canonical form.

    Accepts an IPv4 address or CIDR range. Refuses IPv6, bad syntax, 0.0.0.0/0,
    ranges wider than /8, ranges wider than /24 unless `allow_wide`, RFC 5737
    documentation ranges, unusable (multicast, reserved, link-local) addresses
    and duplicates of `existing` (canonical values already on the whitelist).
    Private, CGNAT and loopback ranges are accepted with a warning.
    """
    network = _parse(raw)
    _check_width(network, allow_wide=True)
    _check_documentation(network)
    _check_usable(network)
    _check_width(network, allow_wide=allow_wide)
    value = canonical(network)
    taken = {_canonical_or_none(e) for e in existing} - {None}
    if value in taken:
        raise ValidationError(
            f"{value} is already on this sub-account's whitelist.", code="duplicate"
        )
    warning = _warning(network, str(raw).strip())
    covering = sorted(
        t for t in taken if t and network.subnet_of(ipaddress.IPv4Network(t))
    )
    if covering:
        warning = f"{warning} Already covered by {covering[0]}.".strip()
    return IpEntry(value=value, network=network, warning=warning)


def _canonical_or_none(value: str) -> str | None:
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except (ValueError, AttributeError):
        return None
    if not isinstance(network, ipaddress.IPv4Network):
        return None
    return canonical(network)


def validate_acl_description(raw: object) -> str:
    """Return a whitelist entry's description, trimmed; refuse unsafe text."""
    text = " ".join(str(raw or "").split())
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            f"Keep the description to {DESCRIPTION_MAX_LENGTH} characters "
            f"(it has {len(text)}).",
            code="max_length",
        )
    if text and not DESCRIPTION_PATTERN.match(text):
        raise ValidationError(
            "Use letters, digits, spaces and . , _ - ( ) / : # & ' only, starting "
            "with a letter or digit.",
            code="invalid_description",
        )
    return text


def validate_sip_username(raw: object) -> str:
    """Return a SIP username that follows Vobiz's rules: 3–32 letters or digits."""
    text = str(raw or "").strip()
    if not USERNAME_PATTERN.match(text):
        raise ValidationError(
            "Use 3–32 letters and digits only; Vobiz may refuse dashes, "
            "underscores and spaces.",
            code="invalid_username",
        )
    return text


def suggest_username(name: str, taken: Iterable[str] = ()) -> str:
    """Suggest a SIP username from a trunk name that is not in `taken`."""
    stem = "".join(
        ch for ch in name.lower() if ch in string.ascii_lowercase + "0123456789"
    )
    stem = stem[:24] or "trunk"
    if len(stem) < 3:
        stem = f"{stem}trunk"
    used = {t.lower() for t in taken}
    if stem not in used:
        return stem
    for n in range(2, 1000):
        candidate = f"{stem[:28]}{n}"
        if candidate not in used:
            return candidate
    return f"{stem[:24]}{secrets.token_hex(4)}"


def rotation_username(current: str, taken: Iterable[str] = ()) -> str:
    """Return a fresh username for a rotated credential (Vobiz's are immutable).

    The old credential keeps working until the new one is attached, so both
    exist for a moment and cannot share a username.
    """
    stem = re.sub(r"r[0-9a-f]{4}$", "", current)[:26] or "trunk"
    used = {t.lower() for t in taken}
    while True:
        candidate = f"{stem}r{secrets.token_hex(2)}"
        if candidate.lower() not in used:
            return candidate


def generate_sip_password(length: int = PASSWORD_LENGTH) -> str:
    """Generate a SIP password from `secrets` that meets Vobiz's rules.

    Letters and digits with at least one lower-case letter, one capital, one
    digit and one of ~!@#$%^&*()_+ (the console's rule), `length` characters.
    """
    if length < 8:
        raise ValueError("Vobiz needs at least 8 characters.")
    letters = string.ascii_letters + string.digits
    chars = [
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.digits),
        secrets.choice(PASSWORD_SPECIALS),
    ]
    chars += [secrets.choice(letters) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def validate_sip_password(password: str) -> str:
    """Check a password against Vobiz's rules (API and console); return it."""
    if not 8 <= len(password) <= PASSWORD_LENGTH:
        raise ValidationError("A SIP password has 8–20 characters.", code="length")
    allowed = set(string.ascii_letters + string.digits + PASSWORD_SPECIALS)
    if set(password) - allowed:
        raise ValidationError("Only letters, digits and ~!@#$%^&*()_+.", code="chars")
    if not any(c in PASSWORD_SPECIALS for c in password):
        raise ValidationError("Include one of ~!@#$%^&*()_+.", code="special")
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        raise ValidationError("Mix letters and digits.", code="mix")
    return password
