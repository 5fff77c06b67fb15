"""Pages of the credentials app: inventory, rotations, drills and the posture.

Admins only. Objects of a team (a sub-account, its drills) are looked up in the
user's scope first, so another team's object is a 404 before the role check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import require_admin
from accounts.types import AuthedRequest
from core.htmx import render_page
from credentials import selectors, services
from credentials.forms import DrillStartForm, InventoryFilter, RotateConfirmForm
from credentials.models import Drill

SECTION = "security"


@require_GET
def inventory(request: AuthedRequest) -> HttpResponse:
    """List every secret with its age, policy, last rotation and status."""
    require_admin(request.user)
    found = selectors.inventory(user=request.user)
    filters = InventoryFilter(request.GET)
    context = {
        "filter": filters,
        "items": found.filtered(**filters.values),
        "counts": found.counts,
        "total": len(found.items),
        "section": SECTION,
    }
    return render_page(request, "credentials/inventory.html", context, partial="rows")


@require_GET
def posture_page(request: AuthedRequest) -> HttpResponse:
    """Show what goes against Vobiz's security guidance, each with its fix."""
    require_admin(request.user)
    findings = selectors.posture(user=request.user)
    context = {"findings": findings, "section": SECTION}
    return render_page(request, "credentials/posture.html", context, partial="findings")


# --- rotations -------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What a rotation page says: which secret, what happens, where to go back."""

    title: str
    what: str
    consequences: tuple[str, ...]
    button: str
    back_url: str
    webhook: bool = False


def _show_once(
    request: AuthedRequest, subject: Subject, secret: str, message: str, saved: bool
) -> HttpResponse:
    context = {
        "subject": subject,
        "secret": secret,
        "message": message,
        "saved": saved,
        "section": SECTION,
    }
    response = render(request, "credentials/secret_shown.html", context)
    # The secret must not be kept by the browser or any cache.
    add_never_cache_headers(response)
    return response


def _rotation_page(
    request: AuthedRequest,
    subject: Subject,
    rotate: Callable[[], services.RotationResult],
) -> HttpResponse:
    """Confirm, rotate, then show the new secret once (or say what went wrong)."""
    form = RotateConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = rotate()
        except services.RotationFailed as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        except services.SecretNotSaved as exc:
            return _show_once(request, subject, exc.secret, "", saved=False)
        else:
            return _show_once(request, subject, result.secret, result.message, True)
    context = {"form": form, "subject": subject, "section": SECTION}
    return render_page(
        request, "credentials/rotate_confirm.html", context, partial="form"
    )


@require_http_methods(["GET", "POST"])
def master_token_rotate(request: AuthedRequest) -> HttpResponse:
    """Rotate the master account's auth token (admins)."""
    provider = selectors.provider_for_admin(
        user=request.user, provider_id=request.GET.get("provider")
    )
    subject = Subject(
        title=f"Rotate the master auth token of {provider.label}",
        what=f"master auth token ({provider.auth_id})",
        consequences=(
            "Vobiz replaces the token at once: the current one stops working.",
            "The portal stores the new token and switches every sync to it.",
            "Anything else that uses this token (scripts, other tools) fails "
            "until it gets the new one, shown once after the rotation.",
        ),
        button="Rotate the master token",
        back_url=reverse("credentials:inventory"),
    )
    return _rotation_page(
        request,
        subject,
        lambda: services.master_token_rotate(actor=request.user, provider=provider),
    )


@require_http_methods(["GET", "POST"])
def subaccount_token_rotate(request: AuthedRequest, pk: int) -> HttpResponse:
    """Rotate a sub-account's auth token (admins; another team's is a 404)."""
    team = selectors.subaccount_for_admin(user=request.user, sub_account_id=pk)
    subject = Subject(
        title=f"Rotate the auth token of {team.name}",
        what=f"auth token of {team.name} ({team.auth_id})",
        consequences=(
            "Vobiz replaces the token at once: the current one stops working.",
            f"Applications of {team.name} that call Vobiz with it fail until "
            "they get the new token, shown once after the rotation.",
            "The portal stores the new token and uses it for this sub-account's "
            "trunks.",
        ),
        button=f"Rotate the token of {team.name}",
        back_url=team.get_absolute_url(),
    )
    return _rotation_page(
        request,
        subject,
        lambda: services.subaccount_token_rotate(actor=request.user, sub_account=team),
    )


@require_http_methods(["GET", "POST"])
def console_password_rotate(request: AuthedRequest) -> HttpResponse:
    """Change the Vobiz console password and void every refresh token (admins)."""
    provider = selectors.provider_for_admin(
        user=request.user, provider_id=request.GET.get("provider")
    )
    subject = Subject(
        title=f"Change the console password of {provider.label}",
        what="the console login",
        consequences=(
            "The portal chooses a new password and changes it at Vobiz.",
            "Vobiz signs out every session: all earlier access and refresh "
            "tokens stop working. The portal signs in again with the new one.",
            "People who use the Vobiz console with this login need the new "
            "password, shown once after the change.",
        ),
        button="Change the console password",
        back_url=reverse("credentials:inventory"),
    )
    return _rotation_page(
        request,
        subject,
        lambda: services.console_password_rotate(actor=request.user, provider=provider),
    )


@require_http_methods(["GET", "POST"])
def channel_secret_rotate(request: AuthedRequest, pk: int) -> HttpResponse:
    """Give a webhook channel a new signing secret with an overlap (admins)."""
    channel = selectors.channel_for_admin(user=request.user, channel_id=pk)
    hours = settings.WEBHOOK_SECRET_OVERLAP_HOURS
    subject = Subject(
        title=f"Rotate the signing secret of “{channel.name}”",
        what=f"signing secret of {channel.name}",
        consequences=(
            "Alerts are signed with a new secret from now on.",
            f"For {hours} hours every delivery also carries the signature made "
            "with the old secret (X-Portal-Signature-Previous), so the receiver "
            "keeps verifying until it has the new one.",
            "After that only the new signature is sent. A secret replaced by an "
            "earlier rotation and still in its window stops signing now.",
        ),
        button="Rotate the signing secret",
        back_url=reverse("monitoring:channel_list"),
        webhook=True,
    )
    return _rotation_page(
        request,
        subject,
        lambda: services.channel_secret_rotate(actor=request.user, channel=channel),
    )


@require_POST
def channel_overlap_end(request: AuthedRequest, pk: int) -> HttpResponse:
    """Stop signing with a channel's previous secret now (admins)."""
    channel = selectors.channel_for_admin(user=request.user, channel_id=pk)
    services.channel_overlap_end(actor=request.user, channel=channel)
    messages.success(request, f"“{channel.name}” now signs with the new secret only.")
    return redirect("credentials:inventory")


# --- drills ----------------------------------------------------------------------


@require_GET
def drill_list(request: AuthedRequest) -> HttpResponse:
    """List compromise drills, newest first (admins)."""
    drills_found = selectors.drill_list(user=request.user)[:50]
    context = {
        "drills": drills_found,
        "candidates": selectors.drill_candidates(user=request.user),
        "section": SECTION,
    }
    return render_page(request, "credentials/drill_list.html", context, partial="rows")


@require_http_methods(["GET", "POST"])
def drill_start(request: AuthedRequest, pk: int) -> HttpResponse:
    """Confirm (typed name) and run a compromise drill for one sub-account."""
    team = selectors.subaccount_for_admin(user=request.user, sub_account_id=pk)
    form = DrillStartForm(
        request.POST if request.method == "POST" else None, expected_name=team.name
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = services.drill_start(
                actor=request.user,
                sub_account=team,
                confirm_name=form.cleaned_data["confirm_name"],
                disable=form.cleaned_data["disable"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _drill_report(request, run)
    context = {
        "form": form,
        "team": team,
        "trunks": selectors.drill_trunks(team),
        "section": SECTION,
    }
    return render_page(request, "credentials/drill_start.html", context, partial="form")


def _drill_report(request: AuthedRequest, run: services.DrillRun) -> HttpResponse:
    """Render the report right after a run; a new token is shown this once."""
    response = render(request, "credentials/drill_detail.html", _report(run.drill, run))
    if run.token:
        add_never_cache_headers(response)
    return response


def _report(drill: Drill, run: services.DrillRun | None = None) -> dict[str, object]:
    steps = list(drill.steps.select_related("trunk").order_by("position"))
    return {
        "drill": drill,
        "steps": [(step, *selectors.next_action(step)) for step in steps],
        "token": run.token if run else "",
        "section": SECTION,
    }


@require_GET
def drill_detail(request: AuthedRequest, pk: int, drill_pk: int) -> HttpResponse:
    """Show a drill's report: rotated, failed, and what to do next."""
    drill = selectors.drill_get(user=request.user, sub_account_id=pk, drill_id=drill_pk)
    return render_page(
        request, "credentials/drill_detail.html", _report(drill), partial="steps"
    )


@require_POST
def drill_resume(request: AuthedRequest, pk: int, drill_pk: int) -> HttpResponse:
    """Continue a drill at its first unfinished step."""
    drill = selectors.drill_get(user=request.user, sub_account_id=pk, drill_id=drill_pk)
    try:
        run = services.drill_resume(actor=request.user, drill=drill)
    except (ValidationError, services.DrillBusy) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
        return redirect(drill)
    return _drill_report(request, run)
