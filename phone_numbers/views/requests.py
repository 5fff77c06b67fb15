"""Number requests: the form, the list, the approval queue, decisions, progress."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import require_admin
from accounts.types import AuthedRequest
from core.errors import ProviderError
from core.htmx import redirect_after_write, render_page
from phone_numbers import selectors, services
from phone_numbers.forms import (
    ApproveForm,
    InventorySearchForm,
    NumberRequestForm,
    RejectForm,
)
from phone_numbers.models import NumberRequest
from phone_numbers.views.numbers import form_error

PAGE_SIZE = 25
DETAIL = "phone_numbers/request_detail.html"
# The approve and reject forms share a page and both have a "comment".
REJECT_ID = "reject_%s"


@require_GET
def request_list(request: AuthedRequest) -> HttpResponse:
    """List the number requests the user may see, newest first."""
    filterset = selectors.request_list(user=request.user, filters=request.GET)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "can_request": selectors.requestable_sub_accounts(user=request.user).exists(),
        "section": "numbers",
    }
    return render_page(
        request, "phone_numbers/request_list.html", context, partial="rows"
    )


@require_GET
def request_queue(request: AuthedRequest) -> HttpResponse:
    """List the requests waiting for a decision, oldest first (admins)."""
    queue = selectors.request_queue(user=request.user)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "section": "numbers"}
    return render_page(
        request, "phone_numbers/request_queue.html", context, partial="rows"
    )


@require_http_methods(["GET", "POST"])
def request_create(request: AuthedRequest) -> HttpResponse:
    """Ask for numbers for a team the user leads (admins: any team)."""
    teams = selectors.requestable_sub_accounts(user=request.user)
    if not teams.exists():
        raise PermissionDenied("Only team leads can request numbers.")
    form = NumberRequestForm(
        request.POST or None,
        sub_accounts=teams,
        trunks=selectors.requestable_trunks(sub_accounts=teams),
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.number_request_create(
                actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Request sent; an admin will decide it.")
            return redirect_after_write(request, created)
    context = {"form": form, "section": "numbers"}
    return render_page(
        request, "phone_numbers/request_form.html", context, partial="form"
    )


def _may_decide(request: AuthedRequest, number_request: NumberRequest) -> bool:
    return (
        request.user.is_admin
        and number_request.requested_by_id != request.user.pk
        and number_request.status == "pending"
    )


def _context(
    request: AuthedRequest, number_request: NumberRequest, **extra: Any
) -> dict[str, Any]:
    return {
        "req": number_request,
        "purchases": selectors.request_purchases(number_request=number_request),
        "may_decide": _may_decide(request, number_request),
        "own_request": number_request.requested_by_id == request.user.pk,
        "approve_form": extra.pop("approve_form", None)
        or ApproveForm(number_request=number_request),
        "reject_form": extra.pop("reject_form", None) or RejectForm(auto_id=REJECT_ID),
        "search_form": extra.pop("search_form", None) or InventorySearchForm(),
        "section": "numbers",
        **extra,
    }


def _decider(request: AuthedRequest, pk: int) -> NumberRequest:
    """Return a request this admin may decide: 404 unseen, 403 not admin or own."""
    number_request = selectors.request_get(user=request.user, request_id=pk)
    require_admin(request.user)
    if number_request.requested_by_id == request.user.pk:
        raise PermissionDenied("Another admin must decide a request you filed.")
    return number_request


def _already_decided(request: AuthedRequest, number_request: NumberRequest) -> bool:
    if number_request.status == "pending":
        return False
    status = number_request.get_status_display()
    messages.error(request, f"This request was already decided (it is {status}).")
    return True


@require_GET
def request_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show a request, its decision and per-number progress (polled while busy)."""
    number_request = selectors.request_get(user=request.user, request_id=pk)
    context = _context(request, number_request)
    return render_page(request, DETAIL, context, partial="progress")


@require_GET
def request_inventory(request: AuthedRequest, pk: int) -> HttpResponse:
    """Search Vobiz's inventory for numbers to approve a request with (admins)."""
    number_request = _decider(request, pk)
    form = InventorySearchForm(request.GET)
    offers: list[services.InventoryNumber] = []
    error = ""
    if number_request.status != "pending":
        error = "This request was already decided."
    elif form.is_valid():
        try:
            offers = services.inventory_search(
                actor=request.user,
                number_request=number_request,
                search=form.cleaned_data["q"],
            )
        except ProviderError as exc:
            error = exc.message
    context = _context(
        request, number_request, search_form=form, offers=offers, searched=True
    )
    context["inventory_error"] = error
    return render_page(request, DETAIL, context, partial="inventory")


@require_POST
def request_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    """Approve a request, optionally with chosen numbers, and start buying."""
    number_request = _decider(request, pk)
    if _already_decided(request, number_request):
        return redirect_after_write(request, number_request)
    form = ApproveForm(request.POST, number_request=number_request)
    if form.is_valid():
        try:
            services.number_request_approve(
                actor=request.user, number_request=number_request, **form.cleaned_data
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Approved; the numbers are being bought.")
            return redirect_after_write(request, number_request)
    context = _context(request, number_request, approve_form=form)
    return render_page(request, DETAIL, context, partial="decision")


@require_POST
def request_reject(request: AuthedRequest, pk: int) -> HttpResponse:
    """Reject a request with a comment for the requester."""
    number_request = _decider(request, pk)
    if _already_decided(request, number_request):
        return redirect_after_write(request, number_request)
    form = RejectForm(request.POST, auto_id=REJECT_ID)
    if form.is_valid():
        try:
            services.number_request_reject(
                actor=request.user,
                number_request=number_request,
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Rejected; the requester is told why.")
            return redirect_after_write(request, number_request)
    context = _context(request, number_request, reject_form=form)
    return render_page(request, DETAIL, context, partial="decision")
