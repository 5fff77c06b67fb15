"""`manage.py sync_vobiz`: inline syncs, a summary, a progress line, clear errors."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from billing.models import BalanceSnapshot, Cdr, CdrDailyRollup

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    """Output that says it is a terminal, as an interactive shell's is."""

    def isatty(self) -> bool:
        return True


def run(*args, stdout=None):
    out, err = stdout or io.StringIO(), io.StringIO()
    call_command("sync_vobiz", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_without_an_account_it_says_so(db):
    with pytest.raises(CommandError, match="No Vobiz account"):
        run()


def test_one_kind_prints_its_summary(sim_provider):
    out, _ = run("--only", "balance")
    assert BalanceSnapshot.objects.filter(provider_account=sim_provider).count() == 1
    line = out.strip().splitlines()[-1]
    assert line.startswith(f"{sim_provider.auth_id} balance") and " INR at " in line


def test_cdrs_since_a_day_with_a_progress_line_on_a_terminal(sim_provider):
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)
    run("--only", "sub_accounts")
    terminal = Terminal()
    out, _ = run("--only", "cdrs", "--since", since.isoformat(), stdout=terminal)
    assert Cdr.objects.filter(provider_account=sim_provider).exists()
    assert "\r  cdrs: " in out and " rows" in out
    summary = out.rsplit("\r", 1)[-1].strip()
    assert summary.startswith(f"{sim_provider.auth_id} cdrs")
    assert f"from={since.isoformat()}" in summary


def test_no_progress_line_when_not_on_a_terminal(sim_provider):
    today = dt.datetime.now(dt.UTC).date()
    out, _ = run("--only", "cdrs", "--since", today.isoformat())
    assert "\r" not in out


def test_a_failed_sync_is_reported_and_fails_the_command(sim, sim_provider):
    sim.control.fail(status=401, count=50, path_prefix="/api/v1/")
    err = io.StringIO()
    with pytest.raises(CommandError, match="Some syncs failed"):
        call_command(
            "sync_vobiz", "--only", "balance", stdout=io.StringIO(), stderr=err
        )
    assert "balance: failed" in err.getvalue()
    assert not BalanceSnapshot.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "everything"], "invalid choice"),
        (["--since", "yesterday"], "since"),
        (["--since", "2999-01-01"], "must not be in the future"),
    ],
)
def test_bad_arguments_get_a_clear_error_and_sync_nothing(sim_provider, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not BalanceSnapshot.objects.exists()


def test_the_rollup_check_repairs_from_the_day_given(sim_provider):
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)
    run("--only", "sub_accounts")
    run("--only", "cdrs", "--since", since.isoformat())
    day = CdrDailyRollup.objects.order_by("day").values_list("day", flat=True)[0]
    CdrDailyRollup.objects.filter(day=day).update(calls=F("calls") + 1)
    out, _ = run("--only", "rollups", "--since", since.isoformat())
    assert f"repaired_days=['{day.isoformat()}']" in out
    out, _ = run("--only", "rollups")
    assert "repaired_days=[]" in out
