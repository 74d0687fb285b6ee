"""aftersales.notifications.rules: pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.notifications import rules
from aftersales.notifications.rules import BACKOFF, MAX_ATTEMPTS, Event, next_attempt_after

attempts = st.integers(min_value=1, max_value=1000)
schedules = st.lists(
    st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=2)), max_size=10
).map(sorted)


def test_the_schedule_of_the_issue():
    waits = [next_attempt_after(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert waits == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
        None,
    ]
    assert MAX_ATTEMPTS == 6


def test_attempts_start_at_one():
    with pytest.raises(ValueError):
        next_attempt_after(0)


@given(attempts)
def test_gives_up_exactly_after_the_last_attempt(n):
    assert (next_attempt_after(n) is None) == (n >= MAX_ATTEMPTS)


@given(attempts, attempts)
def test_waits_never_shrink(a, b):
    a, b = sorted((a, b))
    wait_a, wait_b = next_attempt_after(a), next_attempt_after(b)
    if wait_b is not None:
        assert wait_a is not None and wait_a <= wait_b


@given(attempts)
def test_waits_are_bounded(n):
    wait = next_attempt_after(n)
    assert wait is None or timedelta(minutes=1) <= wait <= timedelta(hours=12)


def test_giving_up_takes_under_a_day():
    assert timedelta(hours=14) < sum(BACKOFF, timedelta()) < timedelta(hours=15)


@given(schedules, attempts)
def test_any_sorted_schedule_is_monotonic_and_ends(schedule, n):
    wait = next_attempt_after(n, schedule)
    assert (wait is None) == (n > len(schedule))
    if wait is not None and n > 1:
        assert next_attempt_after(n - 1, schedule) <= wait


def test_retry_at():
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert rules.retry_at(2, at) == at + timedelta(minutes=5)
    assert rules.retry_at(MAX_ATTEMPTS, at) is None


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        (400, True),
        (404, True),
        (410, True),
        (408, False),
        (425, False),
        (429, False),
        (500, False),
        (503, False),
        (302, False),
    ],
)
def test_permanent_http_statuses(status, permanent):
    assert rules.is_permanent_http_status(status) is permanent


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("es", "es"),
        ("ES", "es"),
        ("es-ES", "es"),
        ("es_MX", "es"),
        ("en-GB", "en"),
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_pick_language(requested, expected):
    assert rules.pick_language(requested, ["en", "es"], "en") == expected


@given(st.one_of(st.none(), st.text(max_size=12)))
def test_pick_language_always_answers_a_supported_language(requested):
    picked = rules.pick_language(requested, ["en", "es"], "en")
    assert picked in ("en", "es")
    assert rules.pick_language(picked, ["en", "es"], "en") == picked


def test_template_names_best_first():
    assert rules.template_names("sla.warning", "es", "subject") == [
        "notifications/sla.warning/es.subject.txt",
        "notifications/sla.warning/en.subject.txt",
        "notifications/_generic/es.subject.txt",
        "notifications/_generic/en.subject.txt",
    ]
    assert rules.template_names("case.opened", "en", "body") == [
        "notifications/case.opened/en.body.txt",
        "notifications/_generic/en.body.txt",
    ]


@pytest.mark.parametrize("event", [e.value for e in Event] + ["claims.approved", "x"])
def test_event_names_accepted(event):
    assert rules.is_valid_event(event)


@pytest.mark.parametrize(
    "event", ["", "../secret", "sla/warning", "sla..warning", "SLA.Warning", ".x", "x.", "a b"]
)
def test_event_names_refused(event):
    assert not rules.is_valid_event(event)


@given(st.text(max_size=80))
def test_a_valid_event_never_leaves_the_folder(event):
    if rules.is_valid_event(event):
        assert "/" not in event and ".." not in event and "\\" not in event


@given(st.text(max_size=400), st.integers(min_value=2, max_value=300))
def test_one_line(text, limit):
    line = rules.one_line(text, limit)
    assert "\n" not in line and "\r" not in line
    assert len(line) <= limit


def test_error_text():
    assert rules.error_text(ConnectionRefusedError(111, "Connection refused")) == (
        "ConnectionRefusedError: [Errno 111] Connection refused"
    )
    assert len(rules.error_text(ValueError("x" * 5000))) == 2000
