"""Pages for trunks, their IP whitelists and password rotation.

The pattern of every view: a scoped selector (another team's trunk is a 404),
then the role check (admins manage, team leads may ask for a rotation, finance
has no trunk pages: 403), then one service call. A `ProviderError` (Vobiz
refused, worded by `sync.errors`) becomes a form error or a message, and
nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import ConfirmForm
from accounts.models import require_admin
from accounts.types import AuthedRequest
from core import show_once
from core.errors import ProviderError
from core.htmx import htmx_partial, redirect_after_write, render_page
from trunks import selectors, services
from trunks.choices import RotationReason
from trunks.forms import (
    IpEntryForm,
    RotateForm,
    RotationRequestForm,
    TrunkCreateForm,
    TrunkEditForm,
)
from trunks.models import RotationJob, Trunk
from trunks.secrets_shown import CREDENTIAL

PAGE_SIZE = 25
SECTION = "trunks"


def _page_of(request: AuthedRequest, queryset: Any) -> Any:
    from django.core.paginator import Paginator

    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@require_GET
def trunk_list(request: AuthedRequest) -> HttpResponse:
    """List the trunks the user may see, with status, auth type and filters."""
    filterset = selectors.trunk_list(user=request.user, filters=request.GET)
    context = {
        "filter": filterset,
        "page": _page_of(request, filterset.qs),
        "section": SECTION,
    }
    return render_page(request, "trunks/trunk_list.html", context, partial="rows")


def _detail_context(
    request: AuthedRequest, trunk: Trunk, **extra: Any
) -> dict[str, Any]:
    user = request.user
    context = {
        "trunk": trunk,
        "health": selectors.trunk_health(trunk),
        "whitelist": selectors.trunk_whitelist(trunk=trunk),
        "age": selectors.trunk_credential_age(trunk),
        "open_job": selectors.open_rotation(trunk=trunk),
        "rotations": selectors.recent_rotations(trunk=trunk),
        "request_open": selectors.open_request(trunk=trunk),
        "can_request": selectors.user_leads_trunk(user=user, trunk=trunk),
        "can_rotate": services.normal_rotation_allowed(trunk),
        "section": SECTION,
    }
    if user.is_admin and "ip_form" not in extra:
        context["ip_form"] = IpEntryForm(existing=[])
    context.update(extra)
    return context


@require_GET
def trunk_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show a trunk: status, limits, whitelist, password age and rotations."""
    trunk = selectors.trunk_get(user=request.user, trunk_id=pk)
    return render(request, "trunks/trunk_detail.html", _detail_context(request, trunk))


@require_http_methods(["GET", "POST"])
def trunk_create(request: AuthedRequest) -> HttpResponse:
    """Create a trunk in a sub-account at Vobiz (admins); show its password once."""
    require_admin(request.user)
    teams = selectors.manageable_teams(user=request.user)
    initial = {"sub_account": request.GET.get("sub_account")}
    form = TrunkCreateForm(request.POST or None, sub_accounts=teams, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("wide_confirm")
        data.pop("first_ip")
        try:
            trunk, password = services.trunk_create(
                actor=request.user, first_ip=form.ip_entry, **data
            )
        except ProviderError as exc:
            exc.add_to_form(form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Trunk “{trunk.name}” created at Vobiz.")
            if password and trunk.credential_id:
                url = show_once.offer(request, kind=CREDENTIAL, pk=trunk.credential_id)
                return redirect_after_write(request, url)
            return redirect_after_write(request, trunk)
    context = {"form": form, "teams": teams, "section": SECTION}
    return render_page(request, "trunks/trunk_form.html", context, partial="form")


@require_http_methods(["GET", "POST"])
def trunk_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Edit a trunk's name, direction, limits and enabled flag (admins)."""
    trunk = selectors.trunk_get(user=request.user, trunk_id=pk)
    require_admin(request.user)
    form = TrunkEditForm.for_trunk(trunk, request.POST or None)
    if request.method == "POST" and form.is_valid() and not trunk.removed_at:
        try:
            services.trunk_update(actor=request.user, trunk=trunk, **form.cleaned_data)
        except ProviderError as exc:
            exc.add_to_form(form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Trunk “{trunk.name}” saved at Vobiz.")
            return redirect_after_write(request, trunk)
    context = {"form": form, "trunk": trunk, "section": SECTION}
    return render_page(request, "trunks/trunk_form.html", context, partial="form")


@require_http_methods(["GET", "POST"])
def trunk_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    """Delete a trunk at Vobiz after a confirmation that states the cost (admins)."""
    trunk = selectors.trunk_get(user=request.user, trunk_id=pk)
    require_admin(request.user)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            warnings = services.trunk_delete(actor=request.user, trunk=trunk)
        except (ProviderError, ValidationError) as exc:
            form.add_error(None, _message(exc))
        else:
            messages.success(request, f"Trunk “{trunk.name}” deleted at Vobiz.")
            for warning in warnings:
                messages.warning(request, warning)
            return redirect("trunks:trunk_list")
    context = {
        "form": form,
        "trunk": trunk,
        "numbers": trunk.numbers.count(),
        "section": SECTION,
    }
    return render(request, "trunks/trunk_delete.html", context)


def _message(exc: Exception) -> str:
    if isinstance(exc, ProviderError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _whitelist_response(
    request: AuthedRequest, trunk: Trunk, form: IpEntryForm | None = None
) -> HttpResponse:
    """Answer an editor action: the whitelist fragment, or the whole page."""
    extra = {"ip_form": form} if form is not None else {}
    context = _detail_context(request, trunk, **extra)
    if htmx_partial(request):
        return render(request, "trunks/trunk_detail.html#whitelist", context)
    if form is not None and form.errors:
        return render(request, "trunks/trunk_detail.html", context, status=200)
    return redirect(trunk)


@require_POST
def whitelist_add(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add an address or range to a trunk's whitelist, in place (admins)."""
    trunk = selectors.trunk_get(user=request.user, trunk_id=pk)
    require_admin(request.user)
    form = IpEntryForm(request.POST, existing=services.whitelist_of(trunk))
    if form.is_valid() and form.entry is not None:
        try:
            services.ip_entry_add(
                actor=request.user,
                trunk=trunk,
                entry=form.entry,
                description=form.cleaned_data["description"],
                wide_confirmed=form.cleaned_data["wide_confirm"],
            )
        except ProviderError as exc:
            exc.add_to_form(form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{form.entry.value} whitelisted.")
            if form.entry.warning:
                messages.warning(request, form.entry.warning)
            form = IpEntryForm(existing=[])
    trunk.refresh_from_db()
    return _whitelist_response(request, trunk, form)


@require_POST
def whitelist_remove(request: AuthedRequest, pk: int, entry_pk: int) -> HttpResponse:
    """Remove an address or range from a trunk's whitelist, in place (admins)."""
    trunk = selectors.trunk_get(user=request.user, trunk_id=pk)
    require_admin(request.user)
    entry = selectors.whitelist_entry_get(trunk=trunk, entry_id=entry_pk)
    try:
        warning = services.ip_entry_remove(actor=request.user, entry=entry)
    except (ProviderError, ValidationError) as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, f"{entry.ip_address} removed from the whitelist.")
        if warning:
            messages.warning(request, warning)
    trunk.refresh_from_db()
    return _whitelist_response(request, trunk)


def _reason_for(request: AuthedRequest, trunk: Trunk) -> str:
    wanted = request.GET.get("reason") or request.POST.get("reason") or ""
    if wanted in (RotationReason.COMPROMISED, RotationReason.ADDED):
        return wanted
    if selectors.open_request(trunk=trunk):
        return RotationReason.REQUESTED
    return RotationReason.SCHEDULED


@require_http_methods(["GET", "POST"])
def rotation_start(request: AuthedRequest, pk: int) -> HttpResponse:
    """Confirm and run a password rotation, or add password auth (admins)."""
    trunk = selectors.trunk_get(user=request.user, trunk_id=pk)
    require_admin(request.user)
    reason = _reason_for(request, trunk)
    form = RotateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.rotation_start(
                actor=request.user,
                trunk=trunk,
                reason=reason,
                note=form.cleaned_data["note"],
            )
        except (ValidationError, services.RotationBusy) as exc:
            form.add_error(None, _message(exc))
        else:
            return _after_run(request, job)
    context = {
        "form": form,
        "trunk": trunk,
        "reason": reason,
        "age": selectors.trunk_credential_age(trunk),
        "section": SECTION,
    }
    return render(request, "trunks/rotation_start.html", context)


def _after_run(request: AuthedRequest, job: RotationJob) -> HttpResponse:
    """Show the new password once it works on the trunk, else the job's status."""
    if (
        job.new_password_in_use
        and job.password_shown_at is None
        and job.new_credential_id
    ):
        if job.is_open:
            messages.warning(request, job.last_error or "The rotation is not finished.")
        else:
            messages.success(request, f"Password of “{job.trunk.name}” rotated.")
        url = show_once.offer(
            request, kind=CREDENTIAL, pk=job.new_credential_id, job_id=job.pk
        )
        return redirect(url)
    if job.is_open:
        messages.error(request, job.last_error or "The rotation stopped.")
    return redirect(job)


@require_GET
def rotation_detail(request: AuthedRequest, pk: int, job_pk: int) -> HttpResponse:
    """Show where a rotation stands, with Resume after a failure (admins)."""
    job = selectors.rotation_job_get(user=request.user, trunk_id=pk, job_id=job_pk)
    context = {"job": job, "trunk": job.trunk, "section": SECTION}
    return render(request, "trunks/rotation_detail.html", context)


@require_POST
def rotation_resume(request: AuthedRequest, pk: int, job_pk: int) -> HttpResponse:
    """Continue a stopped rotation from its last completed step (admins)."""
    job = selectors.rotation_job_get(user=request.user, trunk_id=pk, job_id=job_pk)
    try:
        job = services.rotation_resume(actor=request.user, job=job)
    except (ValidationError, services.RotationBusy) as exc:
        messages.error(request, _message(exc))
        return redirect(job)
    return _after_run(request, job)


@require_POST
def rotation_cancel(request: AuthedRequest, pk: int, job_pk: int) -> HttpResponse:
    """Abandon a rotation whose new password is not in use yet (admins)."""
    job = selectors.rotation_job_get(user=request.user, trunk_id=pk, job_id=job_pk)
    try:
        services.rotation_cancel(actor=request.user, job=job)
    except (ProviderError, ValidationError, services.RotationBusy) as exc:
        messages.error(request, _message(exc))
        return redirect(job)
    messages.success(request, "Rotation cancelled; the old password stays in use.")
    return redirect(job.trunk)


@require_POST
def rotation_reveal(request: AuthedRequest, pk: int, job_pk: int) -> HttpResponse:
    """Show a rotation's new password, once, if it was never shown (admins)."""
    job = selectors.rotation_job_get(user=request.user, trunk_id=pk, job_id=job_pk)
    return _after_run(request, job)


@require_POST
def rotation_request(request: AuthedRequest, pk: int) -> HttpResponse:
    """Let a team lead ask the admins for a rotation."""
    trunk = selectors.trunk_get(user=request.user, trunk_id=pk)
    if not selectors.user_leads_trunk(user=request.user, trunk=trunk):
        raise PermissionDenied
    form = RotationRequestForm(request.POST)
    if form.is_valid():
        try:
            services.rotation_request_create(
                actor=request.user, trunk=trunk, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, "The admins have been asked to rotate it.")
    else:
        messages.error(request, "Keep the reason to 300 characters.")
    return redirect(trunk)


@require_GET
def secret_show(request: AuthedRequest) -> HttpResponse:
    """Show a secret exactly once; the ticket is gone after this page."""
    shown = show_once.take(request, request.GET.get("t", "")[:64])
    context = {"shown": shown, "section": SECTION}
    status = 200 if shown is not None else 410
    response = render(request, "trunks/secret_show.html", context, status=status)
    # no-store: the browser must not keep the page for Back or a reload.
    add_never_cache_headers(response)
    return response
