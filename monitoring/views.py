"""Monitoring pages: API health and request log, alerts, rules, channels,
deliveries, notifications, synthetic checks; and `/healthz` and `/metrics`."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from accounts.models import require_admin
from accounts.types import AuthedRequest
from core.htmx import redirect_after_write, render_page
from core.paging import keyset_page
from monitoring import selectors, services
from monitoring.choices import RULE_HELP, DeliveryStatus, RuleKind
from monitoring.forms import (
    ChannelCreateForm,
    ChannelEditForm,
    ConfirmForm,
    RuleCreateForm,
    RuleFieldsForm,
    SyncRequestForm,
)
from sync.models import ProviderAccount

PAGE_SIZE = 50
RULE_HELP_ROWS = [(RuleKind(kind).label, text) for kind, text in RULE_HELP.items()]
SECTION = "monitoring"


def _context(request: AuthedRequest, tab: str, **extra: object) -> dict[str, object]:
    return {"section": SECTION, "tab": tab, **extra}


# --- API health and request log -----------------------------------------------


@require_GET
def health(request: AuthedRequest) -> HttpResponse:
    """Show API success rates, latency, errors, breakers and sync lag (admins)."""
    window = request.GET.get("window", "1h")
    data = selectors.api_health(user=request.user, window=window)
    providers = [breaker.provider for breaker in data["breakers"]]
    card = _sync_card(data.pop("syncs"), providers=providers)
    context = _context(request, "health", **card, **data)
    return render_page(request, "monitoring/health.html", context, partial="stats")


@require_GET
def apicall_list(request: AuthedRequest) -> HttpResponse:
    """List every Vobiz API attempt with filters and keyset paging (admins)."""
    filterset = selectors.apicall_list(user=request.user, filters=request.GET)
    page = keyset_page(filterset.qs, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    context = _context(request, "requests", filter=filterset, page=page)
    return render_page(request, "monitoring/apicall_list.html", context, partial="rows")


def _sync_card(
    syncs: list[selectors.SyncView], providers: list[ProviderAccount] | None = None
) -> dict[str, object]:
    # What the syncs card needs, on the health page and in its polled partial.
    return {
        "syncs": syncs,
        "syncs_busy": any(view.busy for view in syncs),
        "sync_form": SyncRequestForm(providers=providers),
    }


@require_POST
def sync_request(request: AuthedRequest) -> HttpResponse:
    """Queue one sync now, or a call-record backfill from a day (admins)."""
    require_admin(request.user)
    form = SyncRequestForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {errors[0]}" if label else str(errors[0]))
        return redirect("monitoring:health")
    try:
        message = services.sync_request(actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, message)
    return redirect("monitoring:health")


@require_GET
def sync_status(request: AuthedRequest) -> HttpResponse:
    """The syncs card alone: htmx polls it while a sync runs or waits (admins)."""
    require_admin(request.user)
    context = _sync_card(selectors.sync_states())
    response = render(request, "monitoring/includes/sync_card.html", context)
    add_never_cache_headers(response)
    return response


# --- alerts and rules ---------------------------------------------------------


@require_GET
def alert_list(request: AuthedRequest) -> HttpResponse:
    """List alerts, firing and resolved, with filters (admins; finance reads)."""
    filterset = selectors.alert_list(user=request.user, filters=request.GET)
    cursor = request.GET.get("cursor")
    page = keyset_page(
        filterset.qs, cursor=cursor, size=PAGE_SIZE, time_field="fired_at"
    )
    context = _context(request, "alerts", filter=filterset, page=page)
    return render_page(request, "monitoring/alert_list.html", context, partial="rows")


@require_GET
def alert_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show one alert, its details and (admins) its deliveries."""
    alert = selectors.alert_get(user=request.user, alert_id=pk)
    deliveries = selectors.alert_deliveries(user=request.user, alert=alert)
    context = _context(request, "alerts", alert=alert, deliveries=deliveries)
    return render(request, "monitoring/alert_detail.html", context)


@require_GET
def rule_list(request: AuthedRequest) -> HttpResponse:
    """List the alert rules with their thresholds (admins)."""
    rules = selectors.rule_list(user=request.user)
    context = _context(request, "rules", rules=rules)
    return render_page(request, "monitoring/rule_list.html", context, partial="rows")


@require_http_methods(["GET", "POST"])
def rule_create(request: AuthedRequest) -> HttpResponse:
    """Add an alert rule, e.g. a stricter one for one team (admins)."""
    require_admin(request.user)
    form = RuleCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.rule_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Rule “{rule.name}” added.")
            return redirect_after_write(request, "monitoring:rule_list")
    context = _context(request, "rules", form=form, help=RULE_HELP_ROWS)
    return render_page(request, "monitoring/rule_form.html", context, partial="form")


@require_http_methods(["GET", "POST"])
def rule_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Change a rule's thresholds, window, cool-down or state (admins)."""
    rule = selectors.rule_get(user=request.user, rule_id=pk)
    initial = {f: getattr(rule, f) for f in services.EDITABLE_RULE_FIELDS}
    form = RuleFieldsForm(request.POST or None, initial=initial, kind=rule.kind)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(actor=request.user, rule=rule, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Rule “{form.cleaned_data['name']}” saved.")
            return redirect_after_write(request, "monitoring:rule_list")
    context = _context(request, "rules", form=form, rule=rule)
    return render_page(request, "monitoring/rule_form.html", context, partial="form")


# --- channels and deliveries --------------------------------------------------


@require_GET
def channel_list(request: AuthedRequest) -> HttpResponse:
    """List notification channels with their delivery counts (admins)."""
    context = _context(
        request, "channels", channels=selectors.channel_list(user=request.user)
    )
    return render_page(request, "monitoring/channel_list.html", context, partial="rows")


@require_http_methods(["GET", "POST"])
def channel_create(request: AuthedRequest) -> HttpResponse:
    """Add an e-mail or webhook channel; a webhook's secret is shown once (admins)."""
    require_admin(request.user)
    form = ChannelCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            channel, secret = services.channel_create(
                actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if secret is None:
                messages.success(request, f"Channel “{channel.name}” added.")
                return redirect_after_write(request, "monitoring:channel_list")
            context = _context(request, "channels", channel=channel, secret=secret)
            response = render(request, "monitoring/channel_created.html", context)
            # The secret must not be kept by the browser or any cache.
            add_never_cache_headers(response)
            return response
    context = _context(request, "channels", form=form)
    return render_page(request, "monitoring/channel_form.html", context, partial="form")


@require_http_methods(["GET", "POST"])
def channel_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Rename, re-target, enable or disable a channel (admins)."""
    channel = selectors.channel_get(user=request.user, channel_id=pk)
    initial = {
        "name": channel.name,
        "enabled": channel.enabled,
        "email_to": channel.email_to,
    }
    form = ChannelEditForm(request.POST or None, initial=initial, channel=channel)
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_update(
                actor=request.user, channel=channel, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Channel “{form.cleaned_data['name']}” saved.")
            return redirect_after_write(request, "monitoring:channel_list")
    context = _context(request, "channels", form=form, channel=channel)
    return render_page(request, "monitoring/channel_form.html", context, partial="form")


@require_http_methods(["GET", "POST"])
def channel_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    """Delete a channel after confirmation (admins)."""
    channel = selectors.channel_get(user=request.user, channel_id=pk)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.channel_delete(actor=request.user, channel=channel)
        messages.success(request, f"Channel “{channel.name}” deleted.")
        return redirect("monitoring:channel_list")
    context = _context(request, "channels", form=form, channel=channel)
    return render(request, "monitoring/channel_delete.html", context)


@require_POST
def channel_test(request: AuthedRequest, pk: int) -> HttpResponse:
    """Send a test message to a channel now and say how it went (admins)."""
    channel = selectors.channel_get(user=request.user, channel_id=pk)
    delivery = services.channel_send_test(channel=channel)
    if delivery.status == DeliveryStatus.SENT:
        messages.success(request, f"Test sent to “{channel.name}”.")
    else:
        messages.error(
            request, f"Test to “{channel.name}” failed: {delivery.last_error}"
        )
    return redirect("monitoring:channel_list")


@require_GET
def delivery_list(request: AuthedRequest) -> HttpResponse:
    """List alert deliveries with their attempts and errors (admins)."""
    filterset = selectors.delivery_list(user=request.user, filters=request.GET)
    page = keyset_page(filterset.qs, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    context = _context(request, "deliveries", filter=filterset, page=page)
    return render_page(
        request, "monitoring/delivery_list.html", context, partial="rows"
    )


# --- notifications and synthetic checks ---------------------------------------


@require_GET
def notification_list(request: AuthedRequest) -> HttpResponse:
    """List the signed-in user's own alert notifications (everyone)."""
    queryset = selectors.notification_list(user=request.user)
    page = keyset_page(queryset, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    context = {"section": "notifications", "page": page}
    return render_page(
        request, "monitoring/notification_list.html", context, partial="rows"
    )


@require_POST
def notification_read(request: AuthedRequest) -> HttpResponse:
    """Mark one of the user's notifications read (`id`), or all of them."""
    raw = request.POST.get("id", "")
    notification_id = None
    if raw:
        if not raw.isdigit():
            raise Http404
        notification = selectors.notification_get(
            user=request.user, notification_id=int(raw)
        )
        notification_id = notification.pk
    services.notifications_mark_read(user=request.user, notification_id=notification_id)
    return redirect_after_write(request, "monitoring:notification_list")


@require_GET
def synthetic_list(request: AuthedRequest) -> HttpResponse:
    """List synthetic test calls and what each step saw (admins)."""
    queryset = selectors.synthetic_list(user=request.user)
    cursor = request.GET.get("cursor")
    page = keyset_page(queryset, cursor=cursor, size=PAGE_SIZE, time_field="started_at")
    context = _context(request, "synthetic", page=page)
    return render_page(
        request, "monitoring/synthetic_list.html", context, partial="rows"
    )


ANSWER_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Response><Wait length="3"/><Hangup/></Response>\n'
)


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def synthetic_answer(request: HttpRequest) -> HttpResponse:
    """Answer a synthetic test call: wait three seconds, hang up.

    Vobiz fetches this without a session or CSRF token; it reads nothing and
    changes nothing, so it is safe to leave open.
    """
    return HttpResponse(ANSWER_XML, content_type="application/xml")


# --- probes -------------------------------------------------------------------


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Report database, cache and broker health as JSON: 200 if all ok, else 503."""
    healthy, body = selectors.health_report()
    return JsonResponse(body, status=200 if healthy else 503)


@login_not_required
@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Serve Prometheus metrics to a scraper holding `METRICS_TOKEN`.

    No token configured: 404, the endpoint does not exist. A wrong or missing
    token: 401. The comparison takes the same time whatever the token.
    """
    expected: str = getattr(settings, "METRICS_TOKEN", "")
    if not expected:
        raise Http404
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # Every metric name is a classic one, so the 0.0.4 text format is exact and
    # every Prometheus version reads it.
    return HttpResponse(
        selectors.metrics_render(), content_type=CONTENT_TYPE_PLAIN_0_0_4
    )
