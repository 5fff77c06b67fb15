"""`/healthz`: 200 when database, cache and broker answer, 503 when one does not,
never a secret or a host name in the body."""

from __future__ import annotations

import json
import secrets

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from sync.clients import breaker_key

pytestmark = pytest.mark.django_db
URL = "/healthz"


@pytest.fixture
def broker_dir(tmp_path, settings):
    folder = tmp_path / "queue"
    folder.mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
    }
    return folder


def get():
    response = Client().get(URL)
    return response, json.loads(response.content)


def test_all_checks_pass_without_signing_in(broker_dir, provider):
    response, body = get()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert {k: v["ok"] for k, v in body["checks"].items()} == {
        "database": True,
        "cache": True,
        "broker": True,
    }
    assert body["breakers"] == {provider.auth_id: "closed"}
    assert "no-cache" in response["Cache-Control"]


def test_an_unreachable_cache_is_503(broker_dir, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response, body = get()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_an_unreachable_broker_is_503_without_leaking_its_url(broker_dir, settings):
    password = secrets.token_urlsafe(12)
    settings.CELERY_BROKER_URL = f"redis://:{password}@127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response, body = get()
    assert response.status_code == 503
    assert body["checks"]["broker"]["ok"] is False
    text = response.content.decode()
    assert password not in text and "127.0.0.1" not in text
    assert body["checks"]["broker"]["error"].isidentifier()


def test_a_missing_filesystem_queue_is_503(broker_dir):
    broker_dir.rmdir()
    response, body = get()
    assert response.status_code == 503
    assert body["checks"]["broker"] == {
        "ok": False,
        "ms": body["checks"]["broker"]["ms"],
        "error": "unexpected answer",
    }


def test_an_open_breaker_is_reported_but_does_not_fail_the_probe(broker_dir, provider):
    cache.set(
        breaker_key(provider),
        {
            "state": "open",
            "failures": 0,
            "opened_at": timezone.now().timestamp(),
            "open_for": 30,
        },
        None,
    )
    response, body = get()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["breakers"] == {provider.auth_id: "open"}


def test_only_get_is_allowed(broker_dir):
    assert Client().post(URL).status_code == 405


def test_a_reachable_redis_broker_passes(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (set REDIS_URL)")
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response, body = get()
    assert body["checks"]["broker"]["ok"] is True
    assert response.status_code == 200
