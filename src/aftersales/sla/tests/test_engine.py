"""The pure SLA decisions (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.sla import engine
from aftersales.sla.engine import (
    CaseFacts,
    ClockState,
    Level,
    LevelKind,
    PolicyCriteria,
    TargetSpec,
    match_policy,
)

H = timedelta(hours=1)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OFFICE = {
    "time_zone": "Europe/Madrid",
    "hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": [],
    "always_open": False,
}


def spec(**changes) -> TargetSpec:
    fields = {
        "name": "resolution",
        "duration": 10 * H,
        "business": False,
        "calendar_code": None,
        "calendar_spec": None,
        "levels": tuple(Level.from_json(raw) for raw in engine.default_levels(24 * H)),
    }
    return TargetSpec(**{**fields, **changes})


@pytest.mark.parametrize(
    "text,expected",
    [
        ("PT4H", 4 * H),
        ("P2D", timedelta(days=2)),
        ("P1W", timedelta(weeks=1)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("PT0.5S", timedelta(milliseconds=500)),
        ("pt15m", timedelta(minutes=15)),
    ],
)
def test_parse_duration(text, expected):
    assert engine.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "4h", "P1M", "P1Y", "P1DT", "-PT1H", "PT1H2D"])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError):
        engine.parse_duration(text)


def test_negative_durations_only_where_allowed():
    assert engine.parse_duration("-PT2H", allow_negative=True) == -2 * H


@given(st.integers(min_value=-(10**8), max_value=10**8))
def test_format_duration_round_trips(seconds):
    value = timedelta(seconds=seconds)
    assert engine.parse_duration(engine.format_duration(value), allow_negative=True) == value


def test_parse_instant():
    assert engine.parse_instant("2026-03-06T16:30:00+01:00") == datetime(
        2026, 3, 6, 15, 30, tzinfo=UTC
    )
    assert engine.parse_instant("2026-03-06T15:30:00Z") == datetime(2026, 3, 6, 15, 30, tzinfo=UTC)
    assert engine.parse_instant("2026-03-06T16:30:00 01:00") == datetime(
        2026, 3, 6, 15, 30, tzinfo=UTC
    )
    for bad in ("2026-03-06T16:30:00", "soon", "", None):
        with pytest.raises(ValueError):
            engine.parse_instant(bad)


def test_match_policy_first_by_precedence_then_default():
    facts = CaseFacts(type="complaint", priority="normal", tier="premium", country="ES")
    default = PolicyCriteria(id=1, precedence=0, is_default=True)
    complaints = PolicyCriteria(id=2, precedence=20, case_types=("complaint",))
    premium = PolicyCriteria(id=3, precedence=10, tiers=("premium",), countries=("ES",))
    inactive = PolicyCriteria(id=4, precedence=1, active=False)
    assert match_policy([default, complaints, premium, inactive], facts) == premium
    assert match_policy([default, complaints], facts) == complaints
    other = CaseFacts(type="repair", priority="normal", tier="standard", country="FR")
    assert match_policy([default, complaints, premium], other) == default
    assert match_policy([complaints], other) is None
    partner = PolicyCriteria(id=5, precedence=1, partners=("ASP-A",))
    assert match_policy([partner, default], CaseFacts("repair", "low", "standard", "ES", "ASP-A"))
    assert match_policy([partner, default], other) == default


def test_levels_fire_in_time_order_and_say_what_they_are():
    levels = (
        Level(actions=("notify_manager",), offset=24 * H),
        Level(actions=("notify_owner",), fraction=Fraction(4, 5)),
        Level(actions=("notify_supervisor",), fraction=Fraction(1)),
        Level(actions=("notify_owner",), offset=-2 * H),
    )
    target = spec(levels=levels)
    assert [lvl.amount(target.duration) for lvl in target.levels] == [8 * H, 8 * H, 10 * H, 34 * H]
    assert [lvl.kind(target.duration) for lvl in target.levels] == [
        LevelKind.WARNING,
        LevelKind.WARNING,
        LevelKind.BREACHED,
        LevelKind.ESCALATED,
    ]


def test_snapshot_round_trip_and_digest():
    target = spec(
        business=True,
        calendar_code="office",
        calendar_spec=OFFICE,
        compensation=engine.compensation_rule(
            {"amount_per_day": "10.00", "currency": "EUR", "cap": "100.00"}
        ),
        start_event="payment_recorded",
        stop_event="shipped",
    )
    again = TargetSpec.from_snapshot(target.to_snapshot())
    assert again == target
    assert again.digest() == target.digest()
    assert spec(duration=11 * H).digest() != spec().digest()


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"name": "Bad Name"}, "name"),
        ({"duration": timedelta(0)}, "duration"),
        ({"warn_fraction": Fraction(3, 2)}, "warn_fraction"),
        ({"business": True}, "calendar"),
        ({"start_event": "resolved"}, "start_event"),
        ({"stop_event": "case_opened"}, "stop_event"),
        ({"business": True, "calendar_spec": {**OFFICE, "time_zone": "Nowhere"}}, "calendar"),
    ],
)
def test_invalid_targets_name_the_field(changes, field):
    with pytest.raises(engine.SnapshotError) as caught:
        spec(**changes)
    assert caught.value.field == field


def test_business_schedule_and_pause_in_business_time():
    target = spec(business=True, calendar_code="office", calendar_spec=OFFICE, duration=8 * H)
    start = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)  # Friday 10:00 Madrid
    plan = engine.schedule(target, start, [], 0)
    assert plan.due_at == datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # Friday 18:00 Madrid
    pause = (datetime(2026, 3, 6, 16, 0, tzinfo=UTC), datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    # The pause covers Fri 17:00-18:00 and Mon 09:00-10:00 Madrid: two office hours, so the
    # last office hour runs on Monday 10:00-11:00 Madrid.
    paused = engine.schedule(target, start, [pause], 0)
    assert paused.due_at == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


def test_levels_due_and_next():
    target = spec()
    due, next_at = engine.levels_due(target, T0, [], 0, T0 + 9 * H)
    assert (due, next_at) == ([0], T0 + 10 * H)
    due, next_at = engine.levels_due(target, T0, [], 1, T0 + 40 * H)
    assert (due, next_at) == ([1, 2], None)


def test_stop_outcome_and_overdue_leave_pauses_out():
    target = spec()
    assert engine.stop_outcome(target, T0, T0 + 10 * H, []).state == ClockState.MET
    late = engine.stop_outcome(target, T0, T0 + 13 * H, [(T0 + 11 * H, T0 + 12 * H)])
    assert (late.state, late.due_at, late.overdue) == (ClockState.BREACHED, T0 + 10 * H, 2 * H)


def test_view_states():
    target = spec()
    common = {"paused_since": None, "pauses": [], "stopped_at": None, "warn_at": None}
    fresh = engine.view(
        target, state="running", started_at=T0, due_at=T0 + 10 * H, now=T0, **common
    )
    assert (fresh.state, fresh.remaining_seconds, fresh.breached) == ("running", 36000, False)
    late = engine.view(
        target, state="running", started_at=T0, due_at=T0 + 10 * H, now=T0 + 11 * H, **common
    )
    assert (late.state, late.overdue_seconds, late.breached) == ("breached", 3600, True)
    paused = engine.view(
        target,
        state="paused",
        started_at=T0,
        due_at=None,
        now=T0 + 20 * H,
        **{**common, "paused_since": T0 + 4 * H},
    )
    assert (paused.state, paused.remaining_seconds, paused.due_at) == ("paused", 6 * 3600, None)
    assert paused.paused_seconds == 16 * 3600
    pending = engine.view(target, state="pending", started_at=None, due_at=None, now=T0, **common)
    assert (pending.state, pending.due_at, pending.remaining_seconds) == ("pending", None, None)


def test_compensation_rule_json():
    rule = engine.compensation_rule({"amount_per_day": "10.00", "currency": "EUR", "cap": None})
    assert rule.amount_per_day == Decimal("10.00") and rule.cap is None
    assert engine.compensation_json(rule)["amount_per_day"] == "10.00"
    with pytest.raises(engine.SnapshotError):
        engine.compensation_rule({"amount_per_day": "ten", "currency": "EUR"})
    with pytest.raises(engine.SnapshotError):
        engine.compensation_rule({"amount_per_day": "1", "currency": "euro"})
