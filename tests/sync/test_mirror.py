"""The one mirror loop: upsert on the provider id, drift hooks, vanished rows."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sync.mirror import Mirror, mirror
from tests.factories import ProviderAccountFactory
from trunks.models import IpAclEntry

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Entry:
    id: str
    ip: str
    note: str = ""


def spec(**hooks):
    return Mirror(
        model=IpAclEntry,
        key_field="remote_id",
        key=lambda entry: entry.id,
        fields=lambda entry: {"ip_address": entry.ip, "description": entry.note},
        **hooks,
    )


@pytest.fixture
def provider():
    return ProviderAccountFactory()


def test_new_objects_are_created_and_unchanged_ones_counted(provider):
    remotes = [Entry("a", "8.8.8.8"), Entry("b", "1.1.1.1"), Entry("", "9.9.9.9")]
    assert mirror(spec(), provider=provider, remotes=remotes) == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
    }
    again = mirror(spec(), provider=provider, remotes=remotes)
    assert again["unchanged"] == 2 and again["created"] == 0
    assert IpAclEntry.objects.filter(provider_account=provider).count() == 2


def test_a_change_calls_the_drift_hook_with_before_and_after(provider):
    mirror(spec(), provider=provider, remotes=[Entry("a", "8.8.8.8", "office")])
    seen = []
    hooks = {"changed": lambda row, before, after: seen.append((before, after))}
    counts = mirror(
        spec(**hooks), provider=provider, remotes=[Entry("a", "8.8.4.4", "office")]
    )
    assert counts["updated"] == 1
    ((before, after),) = seen
    assert before["ip_address"] == "8.8.8.8" and after["ip_address"] == "8.8.4.4"
    assert IpAclEntry.objects.get(remote_id="a").ip_address == "8.8.4.4"


def test_vanished_rows_are_marked_removed_not_deleted_and_come_back(provider):
    mirror(spec(), provider=provider, remotes=[Entry("a", "8.8.8.8")])
    counts = mirror(
        spec(removed_fields={"enabled": False}), provider=provider, remotes=[]
    )
    assert counts["removed"] == 1
    row = IpAclEntry.objects.get(remote_id="a")
    assert row.removed_at is not None and row.enabled is False
    mirror(spec(), provider=provider, remotes=[Entry("a", "8.8.8.8")])
    row.refresh_from_db()
    assert row.removed_at is None


def test_a_removed_hook_sees_each_vanished_row(provider):
    mirror(spec(), provider=provider, remotes=[Entry("a", "8.8.8.8")])
    gone = []
    counts = mirror(spec(removed=gone.append), provider=provider, remotes=[])
    assert counts["removed"] == 1 and [row.remote_id for row in gone] == ["a"]


def test_only_rows_in_scope_can_vanish(provider):
    mirror(spec(), provider=provider, remotes=[Entry("a", "8.8.8.8")])
    other = ProviderAccountFactory()
    mirror(spec(), provider=other, remotes=[Entry("z", "4.4.4.4")])
    counts = mirror(spec(), provider=provider, remotes=[])
    assert counts["removed"] == 1
    assert IpAclEntry.objects.get(remote_id="z").removed_at is None
    scoped = IpAclEntry.objects.filter(remote_id="nothing")
    assert mirror(spec(), provider=other, remotes=[], scope=scoped)["removed"] == 0


def test_settle_and_find_adopt_a_local_row_and_adjust_fields(provider):
    mine = IpAclEntry.objects.create(
        provider_account=provider, remote_id="local-1", ip_address="8.8.8.8"
    )
    created = []
    hooks = {
        "find": lambda key, fields: IpAclEntry.objects.filter(
            ip_address=fields["ip_address"]
        ).first(),
        "settle": lambda local, fields: {**fields, "description": "settled"},
        "created": created.append,
    }
    mirror(spec(**hooks), provider=provider, remotes=[Entry("remote-1", "8.8.8.8")])
    mine.refresh_from_db()
    assert (mine.remote_id, mine.description) == ("remote-1", "settled")
    assert not created


def test_a_new_object_costs_one_look_up_and_one_insert(provider):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    remotes = [Entry(f"id-{n}", f"8.8.8.{n}") for n in range(1, 11)]
    with CaptureQueriesContext(connection) as queries:
        mirror(spec(), provider=provider, remotes=remotes)
    per_object = [q["sql"] for q in queries.captured_queries if "remote_id" in q["sql"]]
    looks = [sql for sql in per_object if sql.lstrip().upper().startswith("SELECT")]
    inserts = [sql for sql in per_object if sql.lstrip().upper().startswith("INSERT")]
    assert len(looks) == 10 and len(inserts) == 10
