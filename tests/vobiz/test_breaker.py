"""The circuit breaker opens, fails fast, probes once, and backs off."""

from __future__ import annotations

import threading
import time

import pytest

from vobiz.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, MemoryStore
from vobiz.errors import CircuitOpen


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class GetSetStore:
    """A store with only get/set, like a cache without an atomic add."""

    def __init__(self):
        self.data = {}

    def get(self, key, /):
        return self.data.get(key)

    def set(self, key, value, ttl_seconds, /):
        self.data[key] = value


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def breaker(clock):
    return CircuitBreaker(MemoryStore(clock), clock=clock)


def fail(breaker, times):
    for _ in range(times):
        trial = breaker.before_call()
        breaker.record_failure(trial)


def open_then_wait(breaker, clock):
    fail(breaker, 5)
    clock.advance(30)


def test_four_failures_keep_it_closed(breaker):
    fail(breaker, 4)

    assert breaker.state()["state"] == CLOSED
    assert breaker.before_call() is False


def test_five_consecutive_failures_open_it_for_thirty_seconds(breaker, clock):
    fail(breaker, 5)

    with pytest.raises(CircuitOpen) as info:
        breaker.before_call()
    assert info.value.retry_after == 30
    assert info.value.transient
    clock.advance(29.9)
    with pytest.raises(CircuitOpen):
        breaker.before_call()


def test_a_success_resets_the_consecutive_count(breaker):
    fail(breaker, 4)
    breaker.record_success(breaker.before_call())
    fail(breaker, 4)

    assert breaker.state()["state"] == CLOSED


def test_after_the_open_period_exactly_one_trial_is_admitted(breaker, clock):
    open_then_wait(breaker, clock)

    assert breaker.before_call() is True
    assert breaker.state()["state"] == HALF_OPEN
    with pytest.raises(CircuitOpen):
        breaker.before_call()


def test_trial_success_closes_it(breaker, clock):
    open_then_wait(breaker, clock)

    breaker.record_success(breaker.before_call())

    assert breaker.state()["state"] == CLOSED
    assert breaker.before_call() is False


def test_trial_failure_reopens_for_twice_as_long_capped_at_ten_minutes(breaker, clock):
    fail(breaker, 5)
    periods = []
    for _ in range(7):
        clock.advance(breaker.state()["open_for"])
        fail(breaker, 1)  # the trial
        periods.append(breaker.state()["open_for"])

    assert periods == [60, 120, 240, 480, 600, 600, 600]
    clock.advance(599)
    with pytest.raises(CircuitOpen):
        breaker.before_call()


def test_close_resets_the_open_period_to_thirty_seconds(breaker, clock):
    open_then_wait(breaker, clock)
    fail(breaker, 1)
    clock.advance(60)
    breaker.record_success(breaker.before_call())

    fail(breaker, 5)

    assert breaker.state()["open_for"] == 30


def test_a_stale_trial_is_replaced_after_the_trial_timeout(breaker, clock):
    open_then_wait(breaker, clock)
    assert breaker.before_call() is True  # this trial never reports back

    clock.advance(59)
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.advance(1)
    assert breaker.before_call() is True


def test_processes_sharing_a_store_share_the_state(clock):
    store = MemoryStore(clock)
    web, worker = (CircuitBreaker(store, clock=clock) for _ in range(2))

    fail(web, 3)
    fail(worker, 2)

    with pytest.raises(CircuitOpen):
        web.before_call()


def test_atomic_add_lets_only_one_process_take_the_trial(clock):
    store = MemoryStore(clock)
    web, worker = (CircuitBreaker(store, clock=clock) for _ in range(2))
    open_then_wait(web, clock)

    # Both read the same expired "open" state before either writes half-open.
    state = web.state()
    web.state = worker.state = lambda: dict(state)

    assert web.before_call() is True
    with pytest.raises(CircuitOpen):
        worker.before_call()


def test_concurrent_threads_get_exactly_one_trial(breaker, clock):
    open_then_wait(breaker, clock)
    barrier = threading.Barrier(16)
    results = []

    def call():
        barrier.wait()
        try:
            results.append(breaker.before_call())
        except CircuitOpen:
            results.append("refused")

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(True) == 1
    assert results.count("refused") == 15


class SlowGetSetStore(GetSetStore):
    """Widen the read-then-write window that only the breaker's lock closes."""

    def get(self, key, /):
        value = super().get(key)
        time.sleep(0.005)
        return value


def test_threads_sharing_a_get_set_store_still_get_one_trial(clock):
    breaker = CircuitBreaker(SlowGetSetStore(), clock=clock)
    open_then_wait(breaker, clock)
    barrier = threading.Barrier(8)
    results = []

    def call():
        barrier.wait()
        try:
            results.append(breaker.before_call())
        except CircuitOpen:
            results.append("refused")

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(True) == 1


def test_a_get_set_store_works_without_add(clock):
    breaker = CircuitBreaker(GetSetStore(), clock=clock)
    open_then_wait(breaker, clock)

    assert breaker.before_call() is True
    with pytest.raises(CircuitOpen):
        breaker.before_call()


def test_state_is_a_plain_serialisable_dict(clock):
    store = GetSetStore()
    breaker = CircuitBreaker(store, key="k", clock=clock)

    fail(breaker, 5)

    assert store.data["k"] == {
        "state": OPEN,
        "failures": 0,
        "opened_at": clock.now,
        "open_for": 30.0,
        "trial_started_at": None,
    }


def test_a_straggler_failing_while_half_open_does_not_double_the_period(breaker, clock):
    open_then_wait(breaker, clock)
    trial = breaker.before_call()

    breaker.record_failure(False)  # a call admitted before the circuit opened
    breaker.record_success(trial)

    assert breaker.state()["state"] == CLOSED


def test_memory_store_expires_entries_on_its_clock(clock):
    store = MemoryStore(clock)
    store.set("a", 1, 10)

    assert store.add("a", 2, 10) is False
    clock.advance(10)
    assert store.get("a") is None
    assert store.add("a", 2, 10) is True
    store.delete("a")
    assert store.get("a") is None
