"""Settings come from the environment and refuse to start without their secrets."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings';"
    "from django.conf import settings;"
    "print(settings.DATABASES['default']['ENGINE']);"
    "print(settings.CACHES['default']['BACKEND']);"
    "print(settings.CELERY_BROKER_URL.split(':')[0]);"
    "print(settings.DEBUG)"
)


def run_settings(tmp_path, **env):
    """Import the settings in a clean process with only the given variables."""
    return run_code(tmp_path, PROBE, **env)


def run_code(tmp_path, code, **env):
    """Run `code` in a clean process with only the given variables."""
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    # An empty .env in another directory must not leak in: run from tmp_path with
    # the project on sys.path; settings read .env from the project root, so pass
    # every variable explicitly and blank the rest.
    for name in (
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "DEBUG",
        "REDIS_URL",
        "DATABASE_URL",
    ):
        base[name] = ""
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def fernet_key():
    return Fernet.generate_key().decode()


def test_missing_secret_key_stops_start_up_naming_it(tmp_path):
    result = run_settings(tmp_path, FIELD_ENCRYPTION_KEYS=fernet_key())
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_missing_encryption_keys_stop_start_up_naming_them(tmp_path):
    result = run_settings(tmp_path, SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS is not set" in result.stderr


def test_debug_is_off_by_default_and_sqlite_and_filesystem_broker_are_defaults(
    tmp_path,
):
    result = run_settings(
        tmp_path, SECRET_KEY="x" * 50, FIELD_ENCRYPTION_KEYS=fernet_key()
    )
    assert result.returncode == 0, result.stderr
    engine, cache, broker, debug = result.stdout.split()
    assert engine.endswith("sqlite3")
    assert cache.endswith("FileBasedCache")
    assert broker == "filesystem"
    assert debug == "False"


def test_without_redis_separate_processes_share_the_cache(tmp_path):
    """The web server, the worker and beat see one breaker, lease and progress."""
    key = f"share-{uuid.uuid4().hex}"
    setup = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings';"
        "django.setup(); from django.core.cache import cache;"
    )
    env = {"SECRET_KEY": "x" * 50, "FIELD_ENCRYPTION_KEYS": fernet_key()}
    write = run_code(tmp_path, setup + f"cache.add({key!r}, 'lease', 30)", **env)
    assert write.returncode == 0, write.stderr
    read = run_code(
        tmp_path,
        setup + f"print(cache.get({key!r})); print(cache.add({key!r}, 'x', 30));"
        f"cache.delete({key!r})",
        **env,
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.split() == ["lease", "False"]


def test_redis_url_selects_redis_for_cache_and_broker(tmp_path):
    result = run_settings(
        tmp_path,
        SECRET_KEY="x" * 50,
        FIELD_ENCRYPTION_KEYS=fernet_key(),
        REDIS_URL="redis://127.0.0.1:6379/9",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/whatever",
    )
    assert result.returncode == 0, result.stderr
    engine, cache, broker, _debug = result.stdout.split()
    assert engine.endswith("postgresql")
    assert cache.endswith("RedisCache")
    assert broker == "redis"


@pytest.mark.parametrize("value", ["not-a-key"])
def test_bad_encryption_key_is_reported_without_the_value(settings, value):
    from django.core.exceptions import ImproperlyConfigured

    from core import crypto

    settings.FIELD_ENCRYPTION_KEYS = [value]
    with pytest.raises(ImproperlyConfigured) as excinfo:
        crypto.encrypt("secret")
    assert value not in str(excinfo.value)
