"""The security posture: what in the current set-up goes against Vobiz's guidance.

Each check returns findings; each finding links to the page that fixes it. The
checks read the database only (a fixed number of queries) and never Vobiz.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.db.models import CharField, Exists, F, IntegerField, OuterRef, Value
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.choices import GlobalRole
from accounts.models import SubAccount, User, require_admin
from credentials.choices import SecretKind, SecretStatus
from credentials.selectors.common import AnyUser, url_or_blank
from credentials.selectors.inventory import system_inventory
from credentials.selectors.items import Inventory
from sync.models import ProviderEnvironment
from trunks.models import IpAclEntry

# Vobiz: whitelist single addresses or small ranges; anything wider than a /24
# lets far more machines than yours send traffic as you.
WIDEST_PREFIX = 24

SEVERITY_TONE = {"high": "red", "medium": "amber"}


@dataclass(frozen=True)
class Finding:
    """One thing to fix, with where to fix it."""

    check: str
    severity: str
    title: str
    detail: str
    fix_url: str
    fix_label: str

    @property
    def tone(self) -> str:
        return SEVERITY_TONE[self.severity]


def prefix_length(value: str) -> int | None:
    """Return the prefix length of an IPv4 address or CIDR (32 for an address)."""
    try:
        return ipaddress.ip_network(value.strip(), strict=False).prefixlen
    except ValueError:
        return None


def _trunk_url(trunk_id: int | None, sub_account: SubAccount | None) -> str:
    if trunk_id:
        found = url_or_blank("trunks:trunk_detail", trunk_id)
        if found:
            return found
    return sub_account.get_absolute_url() if sub_account else ""


@dataclass(frozen=True)
class Facts:
    """What the checks read besides the inventory: whitelist entries and admins."""

    entries: list[tuple[int, str, int | None, int | None, bool]]
    admins: list[tuple[int, str]]


def facts() -> Facts:
    """Read the present whitelist entries and the admins without a confirmed
    second factor, in one query (a UNION of two same-shaped selects).

    One query, not two: with the inventory's it keeps the page within the list
    views' query budget.
    """
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    no_id = Value(None, output_field=IntegerField())
    entries = (
        IpAclEntry.objects.present()
        .order_by()
        .annotate(
            src=Value("acl", output_field=CharField()),
            ref=F("pk"),
            label=F("ip_address"),
            team=F("sub_account_id"),
            trunk_ref=F("trunk_id"),
            on=F("enabled"),
        )
        .values_list("src", "ref", "label", "team", "trunk_ref", "on")
    )
    admins = (
        User.objects.filter(role=GlobalRole.ADMIN, is_active=True)
        .exclude(Exists(confirmed))
        .order_by()
        .annotate(
            src=Value("admin", output_field=CharField()),
            ref=F("pk"),
            label=F("email"),
            team=no_id,
            trunk_ref=no_id,
            on=F("is_active"),
        )
        .values_list("src", "ref", "label", "team", "trunk_ref", "on")
    )
    rows = list(entries.union(admins, all=True))
    return Facts(
        entries=sorted(
            (ref, label, team, trunk, bool(on))
            for src, ref, label, team, trunk, on in rows
            if src == "acl"
        ),
        admins=sorted(
            (ref, label) for src, ref, label, _t, _r, _o in rows if src == "admin"
        ),
    )


def password_trunks_with_static_sources(
    inventory: Inventory, found: Facts
) -> list[Finding]:
    """Production trunks on password auth whose team sends from fixed addresses.

    The evidence of static sources is the team's own IP whitelist: enabled
    entries of a /24 or narrower. Vobiz prefers IP authentication for such
    trunks. (Each credential's first trunk is checked.)
    """
    teams = {team.pk: team for team in inventory.teams}
    sources: dict[int, list[str]] = {}
    for _ref, address, team_id, _trunk, enabled in found.entries:
        length = prefix_length(address)
        if team_id and enabled and length is not None and length >= WIDEST_PREFIX:
            sources.setdefault(team_id, []).append(address)
    findings = []
    for credential in inventory.credentials:
        trunk_id = getattr(credential, "trunk_pk", None)
        team = teams.get(credential.sub_account_id or 0)
        production = (
            credential.provider_account.environment == ProviderEnvironment.PRODUCTION
        )
        has_ip = bool(getattr(credential, "trunk_ipacl", "")) or bool(
            getattr(credential, "trunk_whitelisted", False)
        )
        if not trunk_id or team is None or not production or has_ip:
            continue
        fixed = sorted(sources.get(team.pk, []))
        if not fixed:
            continue
        name = getattr(credential, "trunk_name", "") or credential.username
        shown = ", ".join(fixed[:3]) + ("…" if len(fixed) > 3 else "")
        findings.append(
            Finding(
                check="password_static_ip",
                severity="medium",
                title=f"Trunk “{name}” of {team} uses a password only",
                detail=(
                    f"{team} sends from fixed addresses ({shown}). Vobiz recommends "
                    "IP whitelisting for production trunks with static IPs: a "
                    "password can leak, an address cannot be borrowed."
                ),
                fix_url=_trunk_url(trunk_id, team),
                fix_label="Add the addresses to its whitelist",
            )
        )
    return findings


def overdue_rotations(inventory: Inventory) -> list[Finding]:
    """Secrets past their rotation date (encryption keys are checked apart)."""
    return [
        Finding(
            check="overdue",
            severity="high",
            title=f"{item.kind_label} “{item.name}” is overdue",
            detail=(
                f"{item.owner}: {item.status_label.lower()} ({item.period}-day policy)."
            ),
            fix_url=item.action_url,
            fix_label=item.action_label or "Rotate",
        )
        for item in inventory.items
        if item.status == SecretStatus.OVERDUE
        and item.kind != SecretKind.ENCRYPTION_KEY
    ]


def admins_without_second_factor(viewer: AnyUser, found: Facts) -> list[Finding]:
    """Active admins without a confirmed authenticator app."""
    findings = []
    for pk, email in found.admins:
        own = pk == getattr(viewer, "pk", None)
        findings.append(
            Finding(
                check="admin_2fa",
                severity="high",
                title=f"Admin {email} has no second factor",
                detail=(
                    "An admin can rotate and reveal every secret; a password "
                    "alone is not enough to guard that."
                ),
                fix_url=reverse("accounts:otp_manage")
                if own
                else reverse("accounts:user_detail", args=[pk]),
                fix_label="Set up two-factor" if own else "Open the user",
            )
        )
    return findings


def wide_ip_ranges(inventory: Inventory, found: Facts) -> list[Finding]:
    """Whitelist entries wider than a /24."""
    teams = {team.pk: team for team in inventory.teams}
    findings = []
    for _ref, address, team_id, trunk_id, _enabled in found.entries:
        length = prefix_length(address)
        if length is None or length >= WIDEST_PREFIX:
            continue
        team = teams.get(team_id or 0)
        owner = team.name if team else "the company"
        findings.append(
            Finding(
                check="wide_range",
                severity="high" if length < 16 else "medium",
                title=f"Whitelist entry {address} of {owner} is very wide",
                detail=(
                    f"A /{length} admits {2 ** (32 - length):,} addresses. "
                    "Whitelist the exact addresses your SIP servers send from."
                ),
                fix_url=_trunk_url(trunk_id, team),
                fix_label="Narrow the whitelist",
            )
        )
    return findings


def disabled_with_credentials(inventory: Inventory) -> list[Finding]:
    """Disabled sub-accounts whose auth token or SIP passwords are still live."""
    live_sip = {
        c.sub_account_id
        for c in inventory.credentials
        if c.enabled and c.sub_account_id
    }
    findings = []
    for team in inventory.teams:
        if team.enabled:
            continue
        held = [
            name
            for name, present in (
                ("auth token", bool(team.auth_token)),
                ("SIP passwords", team.pk in live_sip),
            )
            if present
        ]
        if not held:
            continue
        findings.append(
            Finding(
                check="disabled_credentialed",
                severity="medium",
                title=f"Disabled sub-account {team.name} still has credentials",
                detail=(
                    f"Its {' and '.join(held)} work again the moment it is "
                    "enabled. Rotate them, so whoever held them cannot use them."
                ),
                fix_url=reverse("credentials:subaccount_drill", args=[team.pk]),
                fix_label="Rotate everything (drill)",
            )
        )
    return findings


def old_encryption_keys(inventory: Inventory) -> list[Finding]:
    """Field-encryption keys configured for longer than the allowed age."""
    limit = int(settings.ENCRYPTION_KEY_MAX_AGE_DAYS)
    return [
        Finding(
            check="old_key",
            severity="medium",
            title=f"Encryption key {item.name} is {item.age.age_days} days old",
            detail=(
                f"Keys older than {limit} days should be replaced: put a new key "
                "first in FIELD_ENCRYPTION_KEYS, run manage.py "
                "rotate_encryption_keys, then drop the old one."
            ),
            fix_url=reverse("credentials:inventory") + "#encryption-keys",
            fix_label="How to rotate keys",
        )
        for item in inventory.items
        if item.kind == SecretKind.ENCRYPTION_KEY
        and item.age is not None
        and item.age.age_days > limit
    ]


def posture(*, user: AnyUser) -> list[Finding]:
    """Return every finding, most severe first (admins only)."""
    require_admin(user)
    inventory = system_inventory()
    found = facts()
    findings = [
        *admins_without_second_factor(user, found),
        *overdue_rotations(inventory),
        *wide_ip_ranges(inventory, found),
        *password_trunks_with_static_sources(inventory, found),
        *disabled_with_credentials(inventory),
        *old_encryption_keys(inventory),
    ]
    order = {"high": 0, "medium": 1}
    return sorted(findings, key=lambda f: order[f.severity])
