"""Tenant isolation over every URL the resolver knows (new URLs are covered too).

As team B's lead: every URL naming team A's objects answers 404 (team objects) or
403 (admin-only objects); no page lists team A; POSTs carrying team A's ids change
nothing of team A. As an admin: crawling every GET URL writes nothing.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.world import build_world, team_a_fingerprint

pytestmark = pytest.mark.django_db

# Families of team-owned objects: another team must get a 404, never a 403.
TEAM_FAMILIES = {
    *("subaccount", "cdr", "budget", "trunk", "credential", "acl", "ipacl"),
    *("number", "membership", "request", "rotationjob", "drill"),
}
# Families only staff reach: a 403 (or 404) for everyone else.
STAFF_FAMILIES = {"user", "otp", "audit", "alert", "rule", "channel"}
# URLs with keyword arguments that are not object ids.
NOT_OBJECT_URLS = {"accounts:password_set"}
# URLs whose id is of another family than their name says.
URL_FAMILY = {"accounts:membership_add": "user"}
# Second keyword arguments name their own family.
KWARG_FAMILY = {"entry_pk": "acl", "job_pk": "rotationjob", "drill_pk": "drill"}
# Reads that are audited by design (exports): they may write their audit event.
AUDITED_READS = {"billing:cdr_export", "billing:transaction_export"}
# Tables a GET may write: the session, the lockout log, and the provider request
# log (a page that searches Vobiz live records its call there).
WRITABLE_ON_GET = ("django_session", "axes_", "monitoring_apicall")


def url_patterns(patterns=None, prefix="", namespace=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from url_patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield ":".join(filter(None, [namespace, entry.name])), entry


def family(name: str) -> str:
    return URL_FAMILY.get(name) or name.split(":")[-1].split("_")[0]


def object_urls():
    return [
        (n, p)
        for n, p in url_patterns()
        if p.pattern.converters and n not in NOT_OBJECT_URLS
    ]


def plain_urls():
    return [(n, p) for n, p in url_patterns() if not p.pattern.converters]


@pytest.fixture
def world(provider, team_a, team_b, lead_a, lead_b, admin_user):
    return build_world(provider=provider, team_a=team_a, team_b=team_b, lead_a=lead_a,
                       lead_b=lead_b, admin_user=admin_user)  # fmt: skip


def url_for(name, pattern, world):
    kwargs = {}
    for kwarg in pattern.pattern.converters:
        fam = KWARG_FAMILY.get(kwarg) or family(name)
        if fam not in world.objects:
            return None
        kwargs[kwarg] = world.objects[fam]
    return reverse(name, kwargs=kwargs)


def test_every_object_url_has_a_known_family(world):
    unknown = sorted(
        n for n, _ in object_urls() if family(n) not in TEAM_FAMILIES | STAFF_FAMILIES
    )
    missing = sorted(n for n, p in object_urls() if url_for(n, p, world) is None)
    assert not unknown, f"place these URL families in the matrix: {unknown}"
    assert not missing, f"the world has no object for: {missing}"


@pytest.mark.parametrize("method", ["get", "post"])
def test_team_b_never_reaches_team_a_objects(world, as_lead_b, method):
    before = team_a_fingerprint(world)
    failures = []
    for name, pattern in object_urls():
        url = url_for(name, pattern, world)
        if url is None:
            continue
        status = getattr(as_lead_b, method)(url).status_code
        allowed = {404} if family(name) in TEAM_FAMILIES else {403, 404}
        if status == 405:
            continue  # the method is not served there at all
        if status not in allowed:
            failures.append(f"{method.upper()} {name} {url} → {status}")
    assert not failures, "\n".join(failures)
    assert team_a_fingerprint(world) == before


def test_no_page_shows_team_a_to_team_b(world, as_lead_b):
    leaks = []
    for name, _pattern in plain_urls():
        response = as_lead_b.get(reverse(name))
        if response.status_code != 200 or response.get("Content-Type", "").startswith(
            "text/csv"
        ):
            body = b"".join(response) if response.streaming else response.content
        else:
            body = response.content
        if world.team_a.name.encode() in body or world.team_a.auth_id.encode() in body:
            leaks.append(name)
    assert not leaks, f"team A shows up for team B on: {leaks}"


def test_forms_refuse_team_a_ids(world, as_lead_b):
    """POST team A's ids in every id-like field of every form; nothing of A changes."""
    before = team_a_fingerprint(world)
    payload = {key: str(value) for key, value in world.objects.items()}
    team = str(world.team_a.pk)
    payload |= {"sub_account": team, "sub_account_id": team, "confirm": "on"}
    payload["name"] = world.team_a.name
    for name, _pattern in plain_urls():
        response = as_lead_b.post(reverse(name), payload)
        assert response.status_code < 500, f"{name} → {response.status_code}"
    assert team_a_fingerprint(world) == before


def test_crawling_every_get_url_as_an_admin_writes_nothing(world, as_admin):
    urls = [(n, reverse(n)) for n, _ in plain_urls()]
    urls += [(n, u) for n, p in object_urls() if (u := url_for(n, p, world))]
    writes = []
    for name, url in urls:
        writable = WRITABLE_ON_GET + (
            ("accounts_auditevent",) if name in AUDITED_READS else ()
        )
        with CaptureQueriesContext(connection) as ctx:
            response = as_admin.get(url)
            if getattr(response, "streaming", False):
                b"".join(response)
        for query in ctx.captured_queries:
            sql = query["sql"].lstrip().upper()
            if re.match(r"(INSERT|UPDATE|DELETE)\b", sql) and not any(
                t.upper() in sql for t in writable
            ):
                writes.append(f"{url}: {query['sql'][:120]}")
    assert not writes, "\n".join(writes)
