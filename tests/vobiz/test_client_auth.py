"""REST headers, console login, refresh ahead of expiry and on TOKEN_EXPIRED."""

from __future__ import annotations

import json
import secrets

import pytest
import responses

from vobiz import Tokens, VobizClient
from vobiz.errors import AuthError, ServerError, TokenExpired

BASE = "https://api.vobiz.test/api/v1"
AUTH_ID = "MA_TEST0001"
ME = f"{BASE}/auth/me"
LOGIN = f"{BASE}/auth/login"
REFRESH = f"{BASE}/auth/refresh"
EMAIL = "ops@example.com"
EXPIRED = {"status": "error", "error": {"code": "TOKEN_EXPIRED", "message": "expired"}}


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class MemoryTokenStore:
    def __init__(self, tokens=None):
        self.tokens = tokens
        self.saved = []

    def load(self):
        return self.tokens

    def save(self, tokens, /):
        self.saved.append(tokens)
        self.tokens = tokens


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def auth_token():
    return secrets.token_urlsafe()


@pytest.fixture
def password():
    return secrets.token_urlsafe()


@pytest.fixture
def observed():
    return []


@pytest.fixture
def make_client(clock, auth_token, password, observed):
    def make(**overrides):
        options = {
            "login_email": EMAIL,
            "login_password": password,
            "sleep": clock.advance,
            "clock": clock,
            "jitter": lambda: 0.0,
            "observer": observed.append,
        }
        options.update(overrides)
        return VobizClient(BASE, AUTH_ID, auth_token, **options)

    return make


def pair():
    return secrets.token_urlsafe(), secrets.token_urlsafe()


def token_body(access, refresh, expires_in=1800):
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": expires_in,
    }


def bearer(call):
    return call.request.headers.get("Authorization")


def test_rest_calls_send_x_auth_headers_and_no_bearer(api, make_client, auth_token):
    api.get(f"{BASE}/Account/{AUTH_ID}/trunks/t-1", json={})

    make_client().get_trunk("t-1")

    headers = api.calls[0].request.headers
    assert headers["X-Auth-ID"] == AUTH_ID
    assert headers["X-Auth-Token"] == auth_token
    assert "Authorization" not in headers


def test_get_account_uses_rest_headers_without_a_console_login(
    api, make_client, auth_token
):
    api.get(ME, json={})

    make_client(login_email=None, login_password=None).get_account()

    assert api.calls[0].request.headers["X-Auth-Token"] == auth_token
    assert bearer(api.calls[0]) is None


def test_login_posts_email_and_password_and_keeps_expiry_from_the_clock(
    api, make_client, clock, password
):
    access, refresh = pair()
    api.post(LOGIN, json=token_body(access, refresh))

    tokens = make_client().login()

    assert json.loads(api.calls[0].request.body) == {
        "email": EMAIL,
        "password": password,
    }
    assert "X-Auth-Token" not in api.calls[0].request.headers
    assert (tokens.access_token, tokens.refresh_token) == (access, refresh)
    assert tokens.access_expires_at == clock.now + 1800


def test_get_account_logs_in_and_uses_the_bearer_token(api, make_client):
    access, refresh = pair()
    api.post(LOGIN, json=token_body(access, refresh))
    api.get(ME, json={"auth_id": AUTH_ID})

    make_client().get_account()

    assert bearer(api.calls[1]) == f"Bearer {access}"
    assert "X-Auth-Token" not in api.calls[1].request.headers


def test_the_access_token_is_refreshed_when_under_five_minutes_remain(
    api, make_client, clock
):
    (access, refresh), (new_access, new_refresh) = pair(), pair()
    api.post(LOGIN, json=token_body(access, refresh))
    api.post(REFRESH, json=token_body(new_access, new_refresh))
    api.get(ME, json={})
    client = make_client()
    client.login()

    clock.advance(1800 - 299)
    client.get_account()

    assert [c.request.url for c in api.calls] == [LOGIN, REFRESH, ME]
    assert bearer(api.calls[1]) == f"Bearer {refresh}"
    assert api.calls[1].request.body is None
    assert bearer(api.calls[2]) == f"Bearer {new_access}"
    client.refresh()
    assert bearer(api.calls[3]) == f"Bearer {new_refresh}"  # it kept the new pair


def test_the_access_token_is_kept_while_five_minutes_remain(api, make_client, clock):
    access, refresh = pair()
    api.post(LOGIN, json=token_body(access, refresh))
    api.get(ME, json={})
    client = make_client()
    client.login()

    clock.advance(1800 - 300)
    client.get_account()

    assert [c.request.url for c in api.calls] == [LOGIN, ME]


def test_token_expired_triggers_one_refresh_and_one_retry(api, make_client, observed):
    (access, refresh), (new_access, new_refresh) = pair(), pair()
    api.post(LOGIN, json=token_body(access, refresh))
    api.get(ME, status=401, json=EXPIRED)
    api.post(REFRESH, json=token_body(new_access, new_refresh))
    api.get(ME, json={"auth_id": AUTH_ID})

    assert make_client().get_account() == {"auth_id": AUTH_ID}

    assert [c.request.url for c in api.calls] == [LOGIN, ME, REFRESH, ME]
    assert bearer(api.calls[3]) == f"Bearer {new_access}"
    me_attempts = [
        (a.attempt, a.outcome) for a in observed if a.path_template == "/auth/me"
    ]
    assert me_attempts == [(1, "token_refresh"), (2, "ok")]


def test_a_second_token_expired_is_raised_after_exactly_one_refresh(api, make_client):
    api.post(LOGIN, json=token_body(*pair()))
    api.get(ME, status=401, json=EXPIRED)
    api.post(REFRESH, json=token_body(*pair()))

    with pytest.raises(TokenExpired):
        make_client().get_account()

    assert [c.request.url for c in api.calls] == [LOGIN, ME, REFRESH, ME]


def test_other_401s_do_not_refresh(api, make_client):
    api.post(LOGIN, json=token_body(*pair()))
    api.get(
        ME, status=401, json={"error": "unauthorized", "message": "invalid credentials"}
    )

    with pytest.raises(AuthError):
        make_client().get_account()

    assert [c.request.url for c in api.calls] == [LOGIN, ME]


def test_wrong_login_credentials_raise_auth_error(api, make_client):
    body = {
        "status": "error",
        "error": {"code": "INVALID_CREDENTIALS", "message": "Invalid"},
    }
    api.post(LOGIN, status=401, json=body)

    with pytest.raises(AuthError) as info:
        make_client().login()

    assert info.value.code == "INVALID_CREDENTIALS"


def test_login_without_configured_credentials_is_an_auth_error(make_client):
    with pytest.raises(AuthError, match="not configured"):
        make_client(login_email=None, login_password=None).login()


def test_tokens_from_the_store_are_reused_without_logging_in(api, make_client, clock):
    access, refresh = pair()
    store = MemoryTokenStore(Tokens(access, refresh, clock.now + 1200))
    api.get(ME, json={})

    make_client(token_store=store, login_email=None, login_password=None).get_account()

    assert [c.request.url for c in api.calls] == [ME]
    assert bearer(api.calls[0]) == f"Bearer {access}"


def test_every_login_and_refresh_is_saved_to_the_store(api, make_client, clock):
    (access, refresh), (new_access, new_refresh) = pair(), pair()
    api.post(LOGIN, json=token_body(access, refresh))
    api.post(REFRESH, json=token_body(new_access, new_refresh, expires_in=600))
    store = MemoryTokenStore()
    client = make_client(token_store=store)

    client.login()
    client.refresh()

    assert [t.access_token for t in store.saved] == [access, new_access]
    assert store.saved[1].access_expires_at == clock.now + 600


def test_a_rejected_refresh_adopts_newer_tokens_another_process_saved(
    api, make_client, clock
):
    (old_access, old_refresh), (access, refresh) = pair(), pair()
    store = MemoryTokenStore(Tokens(old_access, old_refresh, clock.now + 60))
    client = make_client(token_store=store, login_email=None, login_password=None)

    def refresh_elsewhere(request):
        # Another worker refreshed first: our refresh token is spent.
        store.tokens = Tokens(access, refresh, clock.now + 1800)
        return 401, {}, json.dumps({"error": "unauthorized", "message": "spent"})

    api.add_callback(responses.POST, REFRESH, refresh_elsewhere)
    api.get(ME, json={})

    client.get_account()

    assert [c.request.url for c in api.calls] == [REFRESH, ME]
    assert bearer(api.calls[1]) == f"Bearer {access}"


def test_a_rejected_refresh_falls_back_to_logging_in(api, make_client, clock):
    access, refresh = pair()
    store = MemoryTokenStore(Tokens(*pair(), clock.now + 60))
    api.post(REFRESH, status=401, json={"error": "unauthorized"})
    api.post(LOGIN, json=token_body(access, refresh))
    api.get(ME, json={})

    make_client(token_store=store).get_account()

    assert [c.request.url for c in api.calls] == [REFRESH, LOGIN, ME]
    assert bearer(api.calls[2]) == f"Bearer {access}"


def test_rotating_the_auth_token_switches_to_the_new_one(api, make_client):
    rotated = secrets.token_urlsafe()
    api.post(f"{BASE}/auth-token/rotate", json={"auth_token": rotated})
    api.get(f"{BASE}/Account/{AUTH_ID}/trunks/t-1", json={})
    client = make_client()

    assert client.rotate_auth_token() == rotated
    client.get_trunk("t-1")

    assert api.calls[1].request.headers["X-Auth-Token"] == rotated


def test_a_rotation_with_an_unknown_outcome_is_not_resent(api, make_client, auth_token):
    # Resending would rotate again and lose the token the first call made.
    api.post(f"{BASE}/auth-token/rotate", status=503)
    client = make_client()

    with pytest.raises(ServerError):
        client.rotate_auth_token()

    assert len(api.calls) == 1


def test_a_sub_account_client_uses_its_own_credentials_and_shares_the_rest(
    api, make_client, auth_token
):
    sa_token = secrets.token_urlsafe()
    client = make_client()
    api.get(f"{BASE}/Account/SA_TEAM0001/numbers", json={"items": []})

    sub = client.for_sub_account("SA_TEAM0001", sa_token)
    list(sub.list_numbers())

    headers = api.calls[0].request.headers
    assert (headers["X-Auth-ID"], headers["X-Auth-Token"]) == ("SA_TEAM0001", sa_token)
    assert sub.breaker is client.breaker
    assert sub._transport.session is client._transport.session
    with pytest.raises(AuthError, match="not configured"):
        sub.login()


def test_a_refused_auth_token_fails_verification(api, make_client):
    api.get(ME, status=401, json={"error": "unauthorized"})
    with pytest.raises(AuthError):
        make_client().verify_auth_token()


def test_rotating_with_the_console_login_signs_with_the_bearer(api, make_client):
    access, refresh = pair()
    rotated = secrets.token_urlsafe()
    api.post(LOGIN, json=token_body(access, refresh))
    api.post(f"{BASE}/auth-token/rotate", json={"auth_token": rotated})

    assert make_client().rotate_auth_token(with_console_login=True) == rotated

    rotate = api.calls[1].request
    assert bearer(api.calls[1]) == f"Bearer {access}"
    assert "X-Auth-Token" not in rotate.headers


def test_a_password_change_is_sent_once_and_the_new_one_used_after(
    api, make_client, password
):
    change = f"{BASE}/auth/change-password"
    new = secrets.token_urlsafe()
    api.post(change, status=503)
    client = make_client()
    with pytest.raises(ServerError):
        client.change_console_password(current=password, new=new)
    assert len(api.calls) == 1  # not resent: it may have landed

    api.replace(responses.POST, change, json={"message": "changed"})
    client.change_console_password(current=password, new=new)
    assert json.loads(api.calls[1].request.body) == {
        "current_password": password,
        "new_password": new,
    }
    api.post(LOGIN, json=token_body(*pair()))
    client.login()
    assert json.loads(api.calls[2].request.body)["password"] == new
