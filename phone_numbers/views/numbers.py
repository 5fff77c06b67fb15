"""Owned numbers: inventory, detail, trunk routing, moves, release and its undo."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import require_admin
from accounts.types import AuthedRequest
from core.errors import ProviderError
from core.htmx import redirect_after_write, render_page
from core.templatetags.portal_tags import money
from phone_numbers import selectors, services
from phone_numbers.forms import AssignTrunkForm, MoveForm, ReleaseForm
from phone_numbers.models import PhoneNumber
from phone_numbers.templatetags.numbers_tags import e164_display

PAGE_SIZE = 50
DETAIL = "phone_numbers/number_detail.html"


def form_error(form: Any, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, field errors where they fit."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
        return
    form.add_error(None, exc)


def _when(value: Any) -> str:
    return date_format(timezone.localtime(value), "j M Y, H:i") if value else ""


@require_GET
def number_list(request: AuthedRequest) -> HttpResponse:
    """List the numbers the user may see, with filters and the busy ones flagged."""
    inventory = selectors.number_list(user=request.user, filters=request.GET)
    page = selectors.number_page(
        inventory.filterset.qs, number=request.GET.get("page"), size=PAGE_SIZE
    )
    usage = selectors.number_usage(numbers=[n.e164 for n in page.object_list])
    context = {
        "filter": inventory.filterset,
        "page": page,
        "rows": [(n, usage.get(n.e164, selectors.Usage())) for n in page.object_list],
        "limit": selectors.utilization_limit(),
        "can_request": inventory.can_request,
        "section": "numbers",
    }
    return render_page(
        request, "phone_numbers/number_list.html", context, partial="rows"
    )


def _detail_context(
    request: AuthedRequest, number: PhoneNumber, **forms: Any
) -> dict[str, Any]:
    undone = selectors.number_release_last_undone(number=number)
    trunk_initial = {"trunk": number.trunk_id}
    if number.trunk_id is None and undone is not None:
        # Vobiz drops the routing on undo: offer the trunk it had before.
        trunk_initial = {"trunk": undone.previous_trunk_id}
    trunks = selectors.number_trunk_choices(number=number)
    return {
        "number": number,
        "usage": selectors.number_usage(numbers=[number.e164]).get(
            number.e164, selectors.Usage()
        ),
        "limit": selectors.utilization_limit(),
        "release": selectors.number_release_current(number=number),
        "undone": undone,
        "purchase": number.purchases.select_related("request").first(),
        "trunk_form": forms.get("trunk_form")
        or AssignTrunkForm(initial=trunk_initial, trunks=trunks),
        "move_form": forms.get("move_form")
        or MoveForm(sub_accounts=selectors.number_move_choices(number=number)),
        "now": timezone.now(),
        "section": "numbers",
    }


@require_GET
def number_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show a number: routing, usage, DLT registration, release state."""
    number = selectors.number_get(user=request.user, number_id=pk)
    return render_page(
        request, DETAIL, _detail_context(request, number), partial="routing"
    )


@require_POST
def number_trunk(request: AuthedRequest, pk: int) -> HttpResponse:
    """Route a number to a trunk, or remove its routing (admins)."""
    number = selectors.number_get(user=request.user, number_id=pk)
    require_admin(request.user)
    trunks = selectors.number_trunk_choices(number=number)
    form = AssignTrunkForm(request.POST, trunks=trunks)
    if form.is_valid():
        trunk = form.cleaned_data["trunk"]
        try:
            services.number_assign_trunk(actor=request.user, number=number, trunk=trunk)
        except ProviderError as exc:
            exc.add_to_form(form)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            routed = f"routed to {trunk}" if trunk else "no longer routed to a trunk"
            messages.success(request, f"{e164_display(number.e164)} is {routed}.")
            return redirect_after_write(request, number)
    context = _detail_context(request, number, trunk_form=form)
    return render_page(request, DETAIL, context, partial="routing")


@require_POST
def number_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move a number to another sub-account or back to the master (admins)."""
    number = selectors.number_get(user=request.user, number_id=pk)
    require_admin(request.user)
    choices = selectors.number_move_choices(number=number)
    form = MoveForm(request.POST, sub_accounts=choices)
    if form.is_valid():
        target = form.cleaned_data["sub_account"]
        try:
            services.number_move(actor=request.user, number=number, sub_account=target)
        except ProviderError as exc:
            exc.add_to_form(form)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            where = target or "the master account"
            messages.success(request, f"{e164_display(number.e164)} moved to {where}.")
            return redirect_after_write(request, number)
    context = _detail_context(request, number, move_form=form)
    return render_page(request, DETAIL, context, partial="routing")


@require_http_methods(["GET", "POST"])
def number_release(request: AuthedRequest, pk: int) -> HttpResponse:
    """Confirm and start a release, showing the fee it will cost (admins)."""
    number = selectors.number_get(user=request.user, number_id=pk)
    require_admin(request.user)
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            release = services.number_release(
                actor=request.user, number=number, reason=form.cleaned_data["reason"]
            )
        except ProviderError as exc:
            exc.add_to_form(form)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            fee = money(release.fee, release.currency)
            messages.success(
                request,
                f"Release started; Vobiz charged {fee}. You can undo it until "
                f"{_when(release.cooldown_ends_at)}.",
            )
            return redirect_after_write(request, number)
    context = {
        "number": number,
        "form": form,
        "fee": selectors.release_fee_estimate(
            provider_account_id=number.provider_account_id
        ),
        "section": "numbers",
    }
    return render_page(
        request, "phone_numbers/number_release.html", context, partial="form"
    )


@require_POST
def number_release_undo(request: AuthedRequest, pk: int) -> HttpResponse:
    """Undo a pending release within its 24 hours (admins)."""
    number = selectors.number_get(user=request.user, number_id=pk)
    require_admin(request.user)
    try:
        release = services.number_release_cancel(actor=request.user, number=number)
    except ProviderError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        trunk = release.previous_trunk
        routing = (
            f"it was routed to {trunk}; assign it again below"
            if trunk
            else ("assign a trunk below if it needs one")
        )
        messages.success(
            request,
            "Release undone and the fee refunded. Vobiz does not restore trunk "
            f"routing: {routing}.",
        )
    return redirect_after_write(request, number)


@require_GET
def utilization(request: AuthedRequest) -> HttpResponse:
    """Show calls per number per day over the last week against Vobiz's guidance."""
    rows = selectors.utilization_list(user=request.user)
    limit = selectors.utilization_limit()
    context = {
        "rows": rows,
        "limit": limit,
        "over": sum(1 for _, usage in rows if usage.over_limit),
        "days": selectors.UTILIZATION_DAYS,
        "section": "numbers",
    }
    return render_page(
        request, "phone_numbers/utilization.html", context, partial="rows"
    )
