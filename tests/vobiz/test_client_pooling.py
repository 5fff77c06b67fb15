"""Connection pooling seen from the server: TCP connections the simulator accepted.

The simulator speaks HTTP/1.1 keep-alive and counts every accepted connection
before reading a byte, so "one pooled session" can be checked on the wire. The
control client keeps its own connection open, so resetting and reading the
counters opens none.
"""

from __future__ import annotations

import threading

import pytest

from vobiz import VobizClient

pytestmark = pytest.mark.integration


def make_client(simulator, **options):
    creds = simulator.credentials
    return VobizClient(
        simulator.base_url,
        creds["auth_id"],
        creds["auth_token"],
        ca_bundle=simulator.ca_bundle,
        sleep=lambda seconds: None,
        jitter=lambda: 0.0,
        **options,
    )


def connections(simulator):
    return simulator.control.counters()["connections_accepted"]


def fifty_calls(client):
    # Three different routes, none cached (the client has no cache).
    for i in range(50):
        if i % 3 == 0:
            client.get_balance("INR")
        elif i % 3 == 1:
            client.get_account()
        else:
            list(client.list_trunks())


def test_fifty_calls_through_one_client_use_one_connection(simulator):
    client = make_client(simulator)
    simulator.control.reset_counters()

    fifty_calls(client)

    counters = simulator.control.counters()
    assert counters["requests"] == 50
    assert counters["connections_accepted"] == 1


def test_a_second_client_opens_its_own_connection(simulator):
    first, second = make_client(simulator), make_client(simulator)
    simulator.control.reset_counters()

    for _ in range(10):
        first.get_balance("INR")
        second.get_balance("INR")

    assert connections(simulator) == 2


def test_a_sub_account_client_rides_on_the_parent_connection(simulator, sub_account):
    parent = make_client(simulator)
    creds = sub_account["auth_credentials"]
    child = parent.for_sub_account(creds["auth_id"], creds["auth_token"])
    simulator.control.reset_counters()

    for _ in range(5):
        parent.get_balance("INR")
        list(child.list_trunks())

    assert connections(simulator) == 1


def test_concurrent_threads_reuse_at_most_one_connection_each(simulator):
    client = make_client(simulator, pool_size=4)
    simulator.control.reset_counters()
    failures = []

    def work():
        try:
            for _ in range(15):
                client.get_balance("INR")
        except Exception as exc:  # collected, so the main thread can fail the test
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert simulator.control.counters()["requests"] == 60
    assert 1 <= connections(simulator) <= 4


def test_a_dropped_connection_is_replaced_once_and_the_call_retried(simulator):
    client = make_client(simulator)
    client.get_balance("INR")
    simulator.control.reset_counters()
    simulator.control.drop(count=1, path_prefix="/api/v1/account")

    for _ in range(10):
        assert client.get_balance("INR")["currency"] == "INR"

    counters = simulator.control.counters()
    assert counters["connections_dropped"] == 1
    # The dropped socket is discarded; one fresh connection serves the rest.
    assert counters["connections_accepted"] == 1
    assert counters["requests"] == 11


def test_a_rotated_token_keeps_the_connection(simulator, sub_account):
    # Credentials change per request, not per connection: nothing to reconnect.
    creds = sub_account["auth_credentials"]
    child = make_client(simulator).for_sub_account(
        creds["auth_id"], creds["auth_token"]
    )
    list(child.list_trunks())
    simulator.control.reset_counters()

    new_token = child.rotate_auth_token()
    list(child.list_trunks())

    assert new_token != creds["auth_token"]
    assert connections(simulator) == 0
