"""The leak check run after every test (tests/conftest.py) really catches leaks."""

from __future__ import annotations

import secrets

from tests.conftest import SHOW_ONCE_MARK, find_leaks


def test_the_checker_finds_a_secret_in_each_place():
    token = secrets.token_urlsafe(24)
    page = f"<p>{token}</p>".encode()
    leaks = find_leaks(
        {token}, logs=f"x {token}", calls=token, audit=token, pages=[page]
    )
    assert sorted(leaks) == ["ApiCall", "audit", "logs", "page"]


def test_a_show_once_page_may_show_it_and_nothing_else_is_flagged():
    token = secrets.token_urlsafe(24)
    shown = SHOW_ONCE_MARK + f"<code>{token}</code>".encode()
    assert (
        find_leaks({token}, logs="", calls="", audit="", pages=[shown, b"<p>ok</p>"])
        == []
    )
