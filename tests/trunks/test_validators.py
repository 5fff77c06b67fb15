"""The pure validators: whitelist entries (a table of exact messages and a
hypothesis test), SIP usernames and generated passwords."""

from __future__ import annotations

import ipaddress
import string

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from trunks.validators import (
    PASSWORD_LENGTH,
    PASSWORD_SPECIALS,
    canonical,
    generate_sip_password,
    rotation_username,
    suggest_username,
    validate_acl_description,
    validate_ip_entry,
    validate_sip_password,
    validate_sip_username,
)

ACCEPTED = [
    # (input, canonical value, warning or "")
    ("8.8.4.4", "8.8.4.4", ""),
    ("  8.8.4.4 ", "8.8.4.4", ""),
    ("8.8.4.4/32", "8.8.4.4", "Saved as 8.8.4.4."),
    ("34.120.7.0/24", "34.120.7.0/24", ""),
    ("34.120.7.9/24", "34.120.7.0/24", "Saved as 34.120.7.0/24."),
    ("34.120.7.128/25", "34.120.7.128/25", ""),
    (
        "10.20.30.0/24",
        "10.20.30.0/24",
        "10.20.30.0/24 is a private range (RFC 1918). Vobiz sees your public "
        "address, so this only helps over a private interconnect.",
    ),
    (
        "192.168.1.10",
        "192.168.1.10",
        "192.168.1.10 is a private range (RFC 1918). Vobiz sees your public "
        "address, so this only helps over a private interconnect.",
    ),
    (
        "100.64.1.1",
        "100.64.1.1",
        "100.64.1.1 is carrier-grade NAT space (100.64.0.0/10); the address Vobiz "
        "sees is probably a different one.",
    ),
    (
        "127.0.0.1",
        "127.0.0.1",
        "127.0.0.1 is a loopback address; traffic from the internet never comes "
        "from it.",
    ),
]

REJECTED = [
    # (input, allow_wide, exact message)
    (
        "",
        False,
        "Enter an IPv4 address such as 8.8.4.4 or a range such as 10.20.30.0/24.",
    ),
    (
        "203.0.113.5",
        False,
        "203.0.113.5 is a documentation address; Vobiz rejects it.",
    ),
    ("192.0.2.0/24", False, "192.0.2.0/24 is a documentation range; Vobiz rejects it."),
    (
        "198.51.100.128/25",
        False,
        "198.51.100.128/25 is in the documentation range 198.51.100.0/24; Vobiz "
        "rejects it.",
    ),
    (
        "198.0.0.0/8",
        True,
        "198.0.0.0/8 includes the documentation range 198.51.100.0/24; Vobiz "
        "rejects it.",
    ),
    (
        "0.0.0.0/0",
        True,
        "0.0.0.0/0 would let the whole internet use this trunk; it is never accepted.",
    ),
    (
        "10.0.0.0/4",
        True,
        "0.0.0.0/4 covers 268,435,456 addresses; ranges wider than /8 are never "
        "accepted.",
    ),
    (
        "34.120.0.0/16",
        False,
        "34.120.0.0/16 covers 65,536 addresses. Ranges wider than /24 need an admin "
        "to tick “I confirm this wide range”.",
    ),
    (
        "2001:db8::1",
        False,
        "“2001:db8::1” looks like an IPv6 address; Vobiz accepts IPv4 only.",
    ),
    (
        "::ffff:8.8.8.8",
        False,
        "“::ffff:8.8.8.8” looks like an IPv6 address; Vobiz accepts IPv4 only.",
    ),
    (
        "300.1.2.3",
        False,
        "“300.1.2.3” is not an IPv4 address or range. Use four numbers from 0 to "
        "255 separated by dots, optionally followed by /24 to /32.",
    ),
    (
        "8.8.8",
        False,
        "“8.8.8” is not an IPv4 address or range. Use four numbers from 0 to 255 "
        "separated by dots, optionally followed by /24 to /32.",
    ),
    (
        "010.1.1.1",
        False,
        "“010.1.1.1” is not an IPv4 address or range. Use four numbers from 0 to "
        "255 separated by dots, optionally followed by /24 to /32.",
    ),
    (
        "8.8.8.8/33",
        False,
        "“8.8.8.8/33” is not an IPv4 address or range. Use four numbers from 0 to "
        "255 separated by dots, optionally followed by /24 to /32.",
    ),
    (
        "office",
        False,
        "“office” is not an IPv4 address or range. Use four numbers from 0 to 255 "
        "separated by dots, optionally followed by /24 to /32.",
    ),
    (
        "224.0.0.5",
        False,
        "224.0.0.5 is a multicast address; SIP traffic never comes from it.",
    ),
    (
        "169.254.1.1",
        False,
        "169.254.1.1 is a link-local address; SIP traffic never comes from it.",
    ),
    (
        "255.255.255.255",
        False,
        "255.255.255.255 is a reserved address; SIP traffic never comes from it.",
    ),
    ("1" * 50, False, "That is too long for an IPv4 address or range."),
]


@pytest.mark.parametrize(("raw", "value", "warning"), ACCEPTED)
def test_accepted_entries_are_canonical_with_their_warning(raw, value, warning):
    entry = validate_ip_entry(raw)
    assert entry.value == value
    assert entry.warning == warning


@pytest.mark.parametrize(("raw", "allow_wide", "message"), REJECTED)
def test_rejected_entries_say_exactly_why(raw, allow_wide, message):
    with pytest.raises(ValidationError) as caught:
        validate_ip_entry(raw, allow_wide=allow_wide)
    assert caught.value.messages == [message]


def test_a_wide_range_passes_once_an_admin_confirms_it():
    entry = validate_ip_entry("34.120.0.0/16", allow_wide=True)
    assert entry.value == "34.120.0.0/16"
    assert validate_ip_entry("34.0.0.0/8", allow_wide=True).value == "34.0.0.0/8"


def test_a_duplicate_in_the_same_sub_account_is_refused_in_any_spelling():
    with pytest.raises(ValidationError) as caught:
        validate_ip_entry("8.8.4.4/32", existing=["8.8.4.4"])
    assert caught.value.messages == [
        "8.8.4.4 is already on this sub-account's whitelist."
    ]
    with pytest.raises(ValidationError):
        validate_ip_entry("34.120.7.9/24", existing=["34.120.7.0/24"])


def test_an_address_inside_an_existing_range_is_accepted_with_a_note():
    entry = validate_ip_entry("34.120.7.9", existing=["34.120.7.0/24", "bogus"])
    assert entry.warning == "Already covered by 34.120.7.0/24."


OCTET = st.integers(0, 255)
IPV4 = st.tuples(OCTET, OCTET, OCTET, OCTET).map(lambda t: ".".join(map(str, t)))
CIDR = st.tuples(IPV4, st.integers(0, 40)).map(lambda t: f"{t[0]}/{t[1]}")
GARBAGE = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789./: x-", max_size=30),
    st.sampled_from(["0.0.0.0/0", "::", "1.2.3.4/", "/24", "1.2.3.4/-1", "\x00"]),
)


@settings(max_examples=500, deadline=None)
@given(raw=st.one_of(IPV4, CIDR, GARBAGE), allow_wide=st.booleans())
def test_the_validator_only_ever_raises_validation_error(raw, allow_wide):
    messages: list[str] = []
    try:
        entry = validate_ip_entry(raw, allow_wide=allow_wide)
    except ValidationError as exc:  # anything else fails the test
        messages = exc.messages
    if messages:
        assert all(m.strip() for m in messages)
        return
    network = ipaddress.IPv4Network(entry.value)
    assert entry.network == network
    assert canonical(network) == entry.value
    assert entry.value == str(
        ipaddress.ip_network(raw.strip(), strict=False)
    ).removesuffix("/32")
    assert network.prefixlen >= (8 if allow_wide else 24)
    # Normalising is idempotent: the stored form validates to itself.
    assert validate_ip_entry(entry.value, allow_wide=allow_wide).value == entry.value


@pytest.mark.parametrize(
    ("raw", "ok"),
    [("", True), ("Office PBX (Mumbai) #2", True), ("<b>x</b>", False), ("-x", False)],
)
def test_descriptions_have_safe_characters(raw, ok):
    if ok:
        assert validate_acl_description(raw) == raw
    else:
        with pytest.raises(ValidationError):
            validate_acl_description(raw)


def test_a_description_has_a_length_limit():
    with pytest.raises(ValidationError) as caught:
        validate_acl_description("a" * 101)
    assert "100 characters" in caught.value.messages[0]


@pytest.mark.parametrize("good", ["abc", "SalesTrunk01", "a" * 32])
def test_usernames_that_vobiz_accepts(good):
    assert validate_sip_username(good) == good


@pytest.mark.parametrize(
    "bad", ["ab", "sales_trunk", "sales-trunk", "a b", "a" * 33, "é1234"]
)
def test_usernames_that_vobiz_may_refuse(bad):
    with pytest.raises(ValidationError):
        validate_sip_username(bad)


def test_a_username_is_suggested_from_the_trunk_name_and_avoids_taken_ones():
    assert suggest_username("Sales Outbound (Mumbai)") == "salesoutboundmumbai"
    assert suggest_username("Sales Outbound", ["SalesOutbound"]) == "salesoutbound2"
    assert suggest_username("!!") == "trunk"
    assert validate_sip_username(suggest_username("x"))


def test_a_rotated_username_is_new_each_time_and_valid():
    first = rotation_username("salesout")
    second = rotation_username(first, [first])
    assert first != "salesout" and second != first
    assert second.startswith("salesoutr")  # the old suffix is replaced, not stacked
    validate_sip_username(second)


def test_generated_passwords_meet_vobiz_rules_and_are_not_repeated():
    seen = set()
    for _ in range(200):
        password = generate_sip_password()
        assert len(password) == PASSWORD_LENGTH == 20
        assert any(c in PASSWORD_SPECIALS for c in password)
        assert any(c in string.ascii_lowercase for c in password)
        assert any(c in string.ascii_uppercase for c in password)
        assert any(c in string.digits for c in password)
        assert validate_sip_password(password) == password
        seen.add(password)
    assert len(seen) == 200


def test_the_password_check_refuses_what_vobiz_would():
    for bad in ("Short1!", "NoSpecial12345", "x" * 21 + "1!", "pass word 1!"):
        with pytest.raises(ValidationError):
            validate_sip_password(bad)
