"""How a trunk credential's new SIP password is shown once (see core.show_once)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from core.show_once import Shown
from trunks.models import RotationJob, TrunkCredential

CREDENTIAL = "credential"


def credential_shown(pk: int, job_id: int | None) -> Shown | None:
    credential = TrunkCredential.objects.filter(pk=pk).first()
    if credential is None or not credential.password:
        return None
    trunk = credential.trunks.first()
    back = trunk.get_absolute_url() if trunk else reverse("trunks:trunk_list")
    note = ""
    if job_id is not None:
        # Exactly once across sessions too: the first page view claims it.
        claimed = RotationJob.objects.filter(
            pk=job_id, password_shown_at__isnull=True
        ).update(password_shown_at=timezone.now())
        if not claimed:
            return None
        job = RotationJob.objects.get(pk=job_id)
        if job.is_open:
            note = (
                "The new password is in use. The rotation has not finished "
                "(the old credential is still to be removed); see its status page."
            )
            back = job.get_absolute_url()
    return Shown(
        title=f"SIP password for {trunk.name if trunk else credential.username}",
        label="SIP password",
        value=credential.password.reveal(),
        username=credential.username,
        back_url=back,
        back_label="Done",
        note=note,
    )
