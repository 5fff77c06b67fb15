"""Billing pages: balance and runway, ledger, CDR report and export, spend, budgets."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import require_admin_or_finance
from accounts.types import AuthedRequest
from billing import selectors, services
from billing.forms import BudgetForm, CdrReportForm
from billing.reports import charts
from core.htmx import htmx_partial, redirect_after_write, render_page

CDR_TEMPLATE = "billing/cdr_report.html"


def _context(request: AuthedRequest, tab: str, **extra: object) -> dict[str, object]:
    return {"section": "billing", "tab": tab, **extra}


@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    """Open the balance for admin and finance, the team's spend for everyone else."""
    if request.user.sees_all_teams:
        return redirect("billing:balance")
    return redirect("billing:spend")


@require_GET
def balance(request: AuthedRequest) -> HttpResponse:
    """Show balance, history, consumption rate and runway (admin and finance)."""
    accounts = [
        (account, charts.balance(account.history))
        for account in selectors.balance_overview(user=request.user)
    ]
    context = _context(request, "balance", accounts=accounts)
    return render(request, "billing/balance.html", context)


@require_GET
def transaction_list(request: AuthedRequest) -> HttpResponse:
    """List the ledger with filters and keyset paging (admin and finance)."""
    filterset = selectors.transaction_list(user=request.user, filters=request.GET)
    page = selectors.transaction_page(
        filterset=filterset, cursor=request.GET.get("cursor")
    )
    context = _context(request, "transactions", filter=filterset, page=page)
    return render_page(
        request, "billing/transaction_list.html", context, partial="rows"
    )


@require_GET
def transaction_export(request: AuthedRequest) -> HttpResponseBase:
    """Download the filtered ledger as CSV (admin and finance), audited."""
    filterset = selectors.transaction_list(user=request.user, filters=request.GET)
    if filterset.is_bound and not filterset.is_valid():
        # Plain text: the errors may quote what was typed.
        return HttpResponse(
            "Invalid filter:\n" + filterset.errors.as_text(),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    filters = {k: str(v) for k, v in request.GET.items() if k != "cursor" and v}
    services.transaction_export_record(actor=request.user, filters=filters)
    response = StreamingHttpResponse(
        selectors.transaction_export(filterset=filterset), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="transactions.csv"'
    return response


def _report_form(
    request: AuthedRequest,
) -> tuple[selectors.ReportScope, CdrReportForm]:
    scope = selectors.report_scope(user=request.user)
    form = CdrReportForm(request.GET, teams=scope.teams, trunks=scope.trunks)
    return scope, form


@require_GET
def cdr_report(request: AuthedRequest) -> HttpResponse:
    """Show CDR totals, charts and the raw list for a filter (scoped to the user)."""
    scope, form = _report_form(request)
    cursor = request.GET.get("cursor")
    # The pager swaps only the rows; every other htmx request swaps the report.
    rows_only = htmx_partial(request) and request.headers.get("HX-Target") == "rows"
    context = _context(request, "cdrs", form=form, report=None, page=None)
    if not form.is_valid():
        # htmx swaps only 2xx answers, so it gets the errors with a 200.
        status = 200 if htmx_partial(request) else 400
        return render_page(
            request, CDR_TEMPLATE, context, partial="report", status=status
        )
    if rows_only:
        context["page"] = selectors.cdr_page(
            scope=scope, criteria=form.criteria(), cursor=cursor
        )
        return render_page(request, CDR_TEMPLATE, context, partial="rows")
    report = selectors.cdr_report(scope=scope, criteria=form.criteria(), cursor=cursor)
    context.update(report=report, page=report.page, charts=_report_charts(report))
    return render_page(request, CDR_TEMPLATE, context, partial="report")


def _report_charts(report: selectors.CdrReport) -> dict[str, str]:
    return {
        "calls": charts.calls_and_asr(report.daily),
        "teams": charts.team_cost(report.team_cost, report.currency),
        "causes": charts.causes(report.causes),
    }


@require_GET
def cdr_export(request: AuthedRequest) -> HttpResponseBase:
    """Stream every CDR of the filter as CSV, in constant memory; audited."""
    scope, form = _report_form(request)
    if not form.is_valid():
        context = _context(request, "cdrs", form=form, report=None, page=None)
        return render(request, CDR_TEMPLATE, context, status=400)
    criteria = form.criteria()
    services.cdr_export_record(actor=request.user, criteria=criteria)
    response = StreamingHttpResponse(
        selectors.cdr_export(scope=scope, criteria=criteria),
        content_type="text/csv",
    )
    name = f"cdrs-{criteria.since}-{criteria.until}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def cdr_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show one call detail record (another team's is a 404)."""
    cdr = selectors.cdr_get(user=request.user, cdr_id=pk)
    return render(
        request, "billing/cdr_detail.html", _context(request, "cdrs", cdr=cdr)
    )


def _month(request: AuthedRequest) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        return None


@require_GET
def spend(request: AuthedRequest) -> HttpResponse:
    """Show this month's spend against budgets and spend per team per month."""
    month = _month(request)
    if request.GET.get("month") and month is None:
        messages.error(request, "Choose a month as YYYY-MM; showing this month.")
    context = _context(
        request,
        "spend",
        teams=selectors.team_spend(user=request.user, month=month),
        showback=selectors.showback(user=request.user, month=month),
        month=selectors.month_start(month),
    )
    return render(request, "billing/spend.html", context)


@require_http_methods(["GET", "POST"])
def budget_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Set or change a sub-account's monthly budget (admin and finance)."""
    sub_account = selectors.budget_sub_account_get(user=request.user, sub_account_id=pk)
    require_admin_or_finance(request.user)
    budget = getattr(sub_account, "budget", None)
    initial = {"monthly_amount": budget.monthly_amount if budget else None}
    form = BudgetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.budget_set(
                actor=request.user, sub_account=sub_account, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Budget of {sub_account.name} saved.")
            return redirect_after_write(request, "billing:spend")
    context = _context(
        request, "spend", form=form, sub_account=sub_account, budget=budget
    )
    status = 400 if form.errors and not htmx_partial(request) else 200
    return render_page(
        request, "billing/budget_form.html", context, partial="form", status=status
    )


@require_POST
def budget_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    """Remove a sub-account's monthly budget (admin and finance)."""
    sub_account = selectors.budget_sub_account_get(user=request.user, sub_account_id=pk)
    require_admin_or_finance(request.user)
    if services.budget_remove(actor=request.user, sub_account=sub_account):
        messages.success(request, f"Budget of {sub_account.name} removed.")
    else:
        messages.info(request, f"{sub_account.name} had no budget.")
    return redirect_after_write(request, "billing:spend")
