"""Mirror the numbers the company owns at Vobiz: the field mapping and drift rule.

The loop, the row locks and the marking of numbers no longer owned are
`sync.mirror`'s. `number_fields` is the one mapping from a Vobiz number to a
`PhoneNumber`'s fields; the purchase writes the numbers it bought through it
too, so the next sync finds them as it would have written them.
"""

from __future__ import annotations

from collections.abc import Mapping

from accounts.audit import audit_record
from accounts.selectors import owner_map
from phone_numbers.models import PhoneNumber
from sync.clients import client_for
from sync.mirror import Fields, Mirror, mirror
from sync.models import ProviderAccount
from sync.runs import sync_run
from trunks.models import Trunk
from vobiz.payloads import Number

# A change of these that the portal did not make is "changed outside the portal".
DRIFT = ("status", "account_auth_id", "trunk_remote_id")


def number_fields(
    remote: Number, *, owners: Mapping[str, int], trunks: Mapping[str, int]
) -> Fields:
    """Return the PhoneNumber fields for a number as Vobiz lists it.

    `owners` maps account auth ids to sub-account ids (the master's maps to
    nothing), `trunks` Vobiz trunk ids to trunk ids.
    """
    return {
        "remote_id": remote.id,
        "country": remote.country,
        "region": remote.region,
        "status": remote.status,
        "setup_fee": remote.setup_fee,
        "monthly_fee": remote.monthly_fee,
        "currency": remote.currency,
        "account_auth_id": remote.account_auth_id,
        "sub_account_id": owners.get(remote.account_auth_id),
        "trunk_remote_id": remote.trunk_id,
        "trunk_id": trunks.get(remote.trunk_id),
        "purchased_at": remote.purchased_at,
        "released_at": remote.released_at,
        "remote_created_at": remote.created_at,
        "remote_updated_at": remote.updated_at,
    }


def numbers_sync(*, provider: ProviderAccount) -> dict[str, int]:
    """Upsert every owned number on its E.164 and mark numbers no longer owned."""
    with sync_run(provider, "numbers") as run:
        trunks = dict(
            Trunk.objects.filter(provider_account=provider).values_list(
                "remote_id", "pk"
            )
        )
        spec = numbers_mirror(owners=owner_map(provider), trunks=trunks)
        remotes = client_for(provider).typed.list_numbers()
        counts = mirror(spec, provider=provider, remotes=remotes)
        run.summary.update(counts)
    return counts


def numbers_mirror(
    *, owners: Mapping[str, int], trunks: Mapping[str, int]
) -> Mirror[Number]:
    """Describe how owned numbers are mirrored: on E.164, released when gone."""
    return Mirror(
        model=PhoneNumber,
        key_field="e164",
        key=lambda remote: remote.e164,
        fields=lambda remote: number_fields(remote, owners=owners, trunks=trunks),
        changed=_changed_outside,
        removed_fields={"status": "released"},
    )


def _changed_outside(number: PhoneNumber, before: Fields, after: Fields) -> None:
    drift = [k for k in DRIFT if before[k] != after[k]]
    if drift:
        audit_record(
            actor=None,
            action="number.changed_outside",
            obj=number,
            sub_account=number.sub_account,
            before={k: before[k] for k in drift},
            after={k: after[k] for k in drift},
        )
