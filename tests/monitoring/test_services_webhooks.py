"""Webhook URLs: https only, and every address the host resolves to is public."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from monitoring.services.webhooks import sign, validate_webhook_url, verify


def resolver(*addresses):
    """A getaddrinfo stand-in that resolves any host to the given addresses."""

    def resolve(host, port, type=0):
        family = socket.AF_INET
        return [(family, type, 6, "", (a, port)) for a in addresses]

    return resolve


PUBLIC = resolver("93.184.215.14")


@pytest.mark.parametrize(
    ("url", "resolved", "reason"),
    [
        ("http://hooks.example.com/alerts", PUBLIC, "https://"),
        ("ftp://hooks.example.com/alerts", PUBLIC, "https://"),
        ("https://user:pw@hooks.example.com/", PUBLIC, "credentials"),
        ("https:///nohost", PUBLIC, "no host"),
        ("https://hooks.example.com:99999/", PUBLIC, "port"),
        ("https://intranet.example.com/", resolver("10.1.2.3"), "a private address"),
        ("https://router.example.com/", resolver("192.168.1.1"), "a private address"),
        ("https://docker.example.com/", resolver("172.17.0.1"), "a private address"),
        ("https://self.example.com/", resolver("127.0.0.1"), "a loopback address"),
        ("https://metadata.example.com/", resolver("169.254.169.254"), "a link-local"),
        ("https://cgnat.example.com/", resolver("100.64.0.9"), "a non-public"),
        ("https://zero.example.com/", resolver("0.0.0.0"), "an unspecified"),  # noqa: S104
        ("https://future.example.com/", resolver("240.0.0.1"), "a reserved"),
        ("https://multi.example.com/", resolver("224.0.0.251"), "a multicast"),
        ("https://v6.example.com/", resolver("::1"), "a loopback"),
        ("https://v6ll.example.com/", resolver("fe80::1"), "a link-local"),
        ("https://v6ula.example.com/", resolver("fd00::1"), "a private"),
        ("https://mapped.example.com/", resolver("::ffff:10.0.0.1"), "a private"),
        # One bad address among good ones is enough to refuse.
        (
            "https://mixed.example.com/",
            resolver("93.184.215.14", "10.0.0.7"),
            "10.0.0.7",
        ),
    ],
)
def test_refused_urls_say_why(url, resolved, reason):
    with pytest.raises(ValidationError) as exc:
        validate_webhook_url(url, resolve=resolved)
    assert reason in " ".join(exc.value.messages)


@pytest.mark.parametrize(
    "url",
    ["https://127.0.0.1/hook", "https://[::1]:8443/hook", "https://169.254.169.254/"],
)
def test_ip_literals_are_checked_without_dns(url):
    with pytest.raises(ValidationError):
        validate_webhook_url(url)


def test_an_unresolvable_host_is_refused():
    def fail(*args, **kwargs):
        raise socket.gaierror("no such host")

    with pytest.raises(ValidationError, match="could not be resolved"):
        validate_webhook_url("https://nowhere.example.com/", resolve=fail)


def test_a_public_https_url_is_accepted():
    url = "https://hooks.slack.com/services/T000/B000/XXXX"
    assert validate_webhook_url(f"  {url} ", resolve=PUBLIC) == url


def test_allowing_private_addresses_still_requires_https(settings):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    assert validate_webhook_url("https://127.0.0.1:9/x") == "https://127.0.0.1:9/x"
    with pytest.raises(ValidationError, match="https://"):
        validate_webhook_url("http://127.0.0.1:9/x")


@given(st.ip_addresses(network=ipaddress.ip_network("10.0.0.0/8")))
def test_every_address_of_a_private_network_is_refused(address):
    with pytest.raises(ValidationError):
        validate_webhook_url("https://h.example.com/", resolve=resolver(str(address)))


def test_the_signature_is_hmac_sha256_of_the_raw_body():
    secret, body = "s3cr3t-for-test", b'{"text":"hello"}'
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert sign(secret, body) == f"sha256={digest}"
    assert verify(secret, body, f"sha256={digest}")
    assert not verify(secret, body + b" ", f"sha256={digest}")
    assert not verify("other", body, f"sha256={digest}")
