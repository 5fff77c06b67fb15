"""Pages for sub-accounts, users, memberships and the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import (
    ConfirmForm,
    MembershipForm,
    SubAccountCreateForm,
    SubAccountDeleteForm,
    SubAccountEditForm,
    UserCreateForm,
    UserForm,
)
from accounts.models import Membership, SubAccount, require_admin
from accounts.secrets_shown import SUBACCOUNT_TOKEN
from accounts.types import AuthedRequest
from core import show_once
from core.errors import ProviderError
from core.htmx import redirect_after_write, render_page
from core.paging import keyset_page
from sync.models import ProviderAccount

PAGE_SIZE = 25


def _page_of(request: HttpRequest, queryset: object) -> object:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]


@require_GET
def subaccount_list(request: AuthedRequest) -> HttpResponse:
    """List the sub-accounts the user may see, with search, filters and paging."""
    filterset = selectors.subaccount_list(user=request.user, filters=request.GET)
    context = {
        "filter": filterset,
        "page": _page_of(request, filterset.qs),
        "section": "subaccounts",
    }
    return render_page(
        request, "accounts/subaccount_list.html", context, partial="rows"
    )


@require_GET
def subaccount_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show one sub-account, its members and its latest audit events."""
    sub_account = selectors.subaccount_get(user=request.user, sub_account_id=pk)
    context = {
        "sub_account": sub_account,
        "members": selectors.subaccount_members(
            user=request.user, sub_account=sub_account
        ),
        "events": selectors.audit_events_for(
            user=request.user, sub_account=sub_account
        ),
        "section": "subaccounts",
    }
    return render(request, "accounts/subaccount_detail.html", context)


@require_http_methods(["GET", "POST"])
def subaccount_create(request: AuthedRequest) -> HttpResponse:
    """Create a sub-account at Vobiz (admins) and show its auth token once."""
    require_admin(request.user)
    form = SubAccountCreateForm(request.POST or None)
    if not ProviderAccount.objects.exists():
        messages.error(request, "Add the company's Vobiz account first.")
    if request.method == "POST" and form.is_valid():
        try:
            sub_account, _token = services.subaccount_provision(
                actor=request.user, **form.cleaned_data
            )
        except ProviderError as exc:
            exc.add_to_form(form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Sub-account “{sub_account.name}” created.")
            return redirect_after_write(request, _token_page(request, sub_account))
    context = {"form": form, "section": "subaccounts"}
    return render_page(
        request, "accounts/subaccount_form.html", context, partial="form"
    )


def _token_page(request: AuthedRequest, sub_account: SubAccount) -> str:
    """Return where to go after Vobiz issued a token: the show-once page."""
    if not sub_account.auth_token:
        return sub_account.get_absolute_url()
    return show_once.offer(request, kind=SUBACCOUNT_TOKEN, pk=sub_account.pk)


@require_http_methods(["GET", "POST"])
def subaccount_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Edit a sub-account's details, at Vobiz first (admins)."""
    sub_account = selectors.subaccount_get(user=request.user, sub_account_id=pk)
    require_admin(request.user)
    form = SubAccountEditForm(request.POST or None, instance=sub_account)
    if request.method == "POST" and form.is_valid():
        try:
            services.subaccount_update(
                actor=request.user, sub_account=sub_account, **form.cleaned_data
            )
        except ProviderError as exc:
            exc.add_to_form(form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Sub-account saved.")
            return redirect_after_write(request, sub_account)
    context = {"form": form, "sub_account": sub_account, "section": "subaccounts"}
    return render_page(
        request, "accounts/subaccount_form.html", context, partial="form"
    )


@require_http_methods(["GET", "POST"])
def subaccount_toggle(request: AuthedRequest, pk: int) -> HttpResponse:
    """Disable (after confirmation) or enable a sub-account at Vobiz (admins)."""
    sub_account = selectors.subaccount_get(user=request.user, sub_account_id=pk)
    require_admin(request.user)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and (sub_account.enabled is False or form.is_valid()):
        try:
            services.subaccount_set_enabled(
                actor=request.user,
                sub_account=sub_account,
                enabled=not sub_account.enabled,
            )
        except (ProviderError, ValidationError) as exc:
            messages.error(request, _error_text(exc))
        else:
            state = "disabled" if sub_account.enabled else "enabled"
            messages.success(request, f"Sub-account “{sub_account.name}” {state}.")
        return redirect(sub_account)
    context = {"form": form, "sub_account": sub_account, "section": "subaccounts"}
    return render(request, "accounts/subaccount_toggle.html", context)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ProviderError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@require_http_methods(["GET", "POST"])
def subaccount_push(request: AuthedRequest, pk: int) -> HttpResponse:
    """Create at Vobiz a sub-account known only to the portal (admins)."""
    sub_account = selectors.subaccount_get(user=request.user, sub_account_id=pk)
    require_admin(request.user)
    if request.method == "POST":
        try:
            sub_account, _token = services.subaccount_push(
                actor=request.user, sub_account=sub_account
            )
        except (ProviderError, ValidationError) as exc:
            messages.error(request, _error_text(exc))
            return redirect(sub_account)
        messages.success(request, f"“{sub_account.name}” created at Vobiz.")
        return redirect(_token_page(request, sub_account))
    context = {"sub_account": sub_account, "section": "subaccounts"}
    return render(request, "accounts/subaccount_push.html", context)


@require_http_methods(["GET", "POST"])
def subaccount_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    """Delete a sub-account at Vobiz after its name is typed in (admins)."""
    sub_account = selectors.subaccount_get(user=request.user, sub_account_id=pk)
    require_admin(request.user)
    form = SubAccountDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.subaccount_delete(
                actor=request.user,
                sub_account=sub_account,
                confirm_name=form.cleaned_data["confirm_name"],
            )
        except ProviderError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            kept = " Its history is kept." if outcome == "removed" else ""
            messages.success(
                request, f"Sub-account “{sub_account.name}” deleted.{kept}"
            )
            return redirect("accounts:subaccount_list")
    context = {"form": form, "sub_account": sub_account, "section": "subaccounts"}
    return render(request, "accounts/subaccount_delete.html", context)


@require_http_methods(["GET", "POST"])
def subaccount_token(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show a sub-account's stored auth token once more, audited (admins)."""
    sub_account = selectors.subaccount_get(user=request.user, sub_account_id=pk)
    require_admin(request.user)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.subaccount_token_reveal(
                actor=request.user, sub_account=sub_account
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(_token_page(request, sub_account))
    context = {"form": form, "sub_account": sub_account, "section": "subaccounts"}
    return render(request, "accounts/subaccount_token.html", context)


@require_GET
def user_list(request: AuthedRequest) -> HttpResponse:
    """List users with search and filters (admins)."""
    filterset = selectors.user_list(user=request.user, filters=request.GET)
    context = {
        "filter": filterset,
        "page": _page_of(request, filterset.qs),
        "section": "users",
    }
    return render_page(request, "accounts/user_list.html", context, partial="rows")


@require_http_methods(["GET", "POST"])
def user_create(request: AuthedRequest) -> HttpResponse:
    """Invite a user and show their one-time set-password link (admins)."""
    require_admin(request.user)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, link = services.user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            context = {"member": user, "link": link, "section": "users"}
            return render(request, "accounts/user_created.html", context)
    context = {"form": form, "section": "users"}
    return render_page(request, "accounts/user_form.html", context, partial="form")


@require_GET
def user_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show a user, their memberships and a form to add one (admins)."""
    member = selectors.user_get(user=request.user, user_id=pk)
    memberships = selectors.user_memberships(user=request.user, member=member)
    taken = memberships.values_list("sub_account_id", flat=True)
    choices = selectors.subaccount_list(user=request.user).qs.exclude(pk__in=taken)
    context = {
        "member": member,
        "memberships": memberships,
        "membership_form": MembershipForm(sub_accounts=choices),
        "section": "users",
    }
    return render(request, "accounts/user_detail.html", context)


@require_http_methods(["GET", "POST"])
def user_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Edit a user's name and role (admins)."""
    member = selectors.user_get(user=request.user, user_id=pk)
    initial = {"full_name": member.full_name, "role": member.role}
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=member, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{member.email} saved.")
            return redirect_after_write(request, member)
    context = {"form": form, "member": member, "section": "users"}
    return render_page(request, "accounts/user_form.html", context, partial="form")


@require_http_methods(["GET", "POST"])
def user_toggle_active(request: AuthedRequest, pk: int) -> HttpResponse:
    """Deactivate (after confirmation) or reactivate a user (admins)."""
    member = selectors.user_get(user=request.user, user_id=pk)
    form = ConfirmForm(request.POST or None)
    if request.method == "GET" or (member.is_active and not form.is_valid()):
        context = {"form": form, "member": member, "section": "users"}
        return render(request, "accounts/user_deactivate.html", context)
    try:
        services.user_set_active(
            actor=request.user, user=member, active=not member.is_active
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        state = "reactivated" if not member.is_active else "deactivated"
        messages.success(request, f"{member.email} {state}.")
    return redirect(member)


@require_POST
def user_link(request: AuthedRequest, pk: int) -> HttpResponse:
    """Issue a fresh one-time set-password link for a user (admins)."""
    member = selectors.user_get(user=request.user, user_id=pk)
    link = services.user_password_link(actor=request.user, user=member)
    context = {"member": member, "link": link, "section": "users"}
    return render(request, "accounts/user_created.html", context)


@require_POST
def membership_add(request: AuthedRequest, pk: int) -> HttpResponse:
    """Give a user a role in a sub-account (admins)."""
    member = selectors.user_get(user=request.user, user_id=pk)
    choices = selectors.subaccount_list(user=request.user).qs
    form = MembershipForm(request.POST, sub_accounts=choices)
    if form.is_valid():
        services.membership_set(actor=request.user, user=member, **form.cleaned_data)
        messages.success(
            request, f"{member.email} added to {form.cleaned_data['sub_account']}."
        )
    else:
        messages.error(request, "Choose a sub-account and a role.")
    return redirect(member)


@require_POST
def membership_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    """Remove a membership (admins)."""
    # Another team's membership is a 404 first; then only admins may remove.
    membership = get_object_or_404(
        Membership.objects.visible_to(request.user).select_related("user"), pk=pk
    )
    require_admin(request.user)
    services.membership_remove(actor=request.user, membership=membership)
    messages.success(
        request, f"Removed {membership.user.email} from {membership.sub_account}."
    )
    return redirect(membership.user)


@require_GET
def audit_list(request: AuthedRequest) -> HttpResponse:
    """List audit events with filters and keyset paging (admins and finance)."""
    filterset = selectors.audit_event_list(user=request.user, filters=request.GET)
    queryset = filterset.qs.select_related(None)
    page = keyset_page(queryset, cursor=request.GET.get("cursor"), size=50)
    context = {"filter": filterset, "page": page, "section": "audit"}
    return render_page(request, "accounts/audit_list.html", context, partial="rows")


@require_GET
def audit_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show one audit event with its before/after values (admins and finance)."""
    event = selectors.audit_event_get(user=request.user, event_id=pk)
    return render(
        request, "accounts/audit_detail.html", {"event": event, "section": "audit"}
    )
