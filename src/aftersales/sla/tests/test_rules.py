"""Tests for aftersales.sla.rules (pure Python: no Django, no database).

Besides hand-checked tables, the properties compare every result to an independent oracle: a
reference implementation that hard-codes the EU and US daylight-saving rules instead of using
zoneinfo, maps a local time to "the first instant at which the wall clock reads it or later",
and works on a flat list of intervals with no week caching or skipping. Agreement is required
to the microsecond.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aftersales.sla.rules import (
    CALENDAR_TIME,
    Calendar,
    CalendarSpecError,
    CompensationRule,
    compensation_due,
    due_at,
    elapsed,
    escalation_fire_at,
    is_working,
    next_opening,
    warn_at,
    working_intervals,
)

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
DAY = timedelta(days=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

OFFICE = {day: [["09:00", "13:00"], ["14:00", "18:00"]] for day in WEEKDAYS}
MADRID_OFFICE = Calendar.from_spec("Europe/Madrid", OFFICE, ["2026-12-25"])
SPANISH_FIXED = "01-01 01-06 05-01 08-15 10-12 11-01 12-06 12-08 12-25".split()  # noqa: SIM905
SPANISH_HOLIDAYS = [
    *(f"{year}-{month_day}" for year in (2026, 2027, 2028) for month_day in SPANISH_FIXED),
    *("2026-04-02", "2026-04-03", "2027-03-25", "2027-03-26", "2028-04-13", "2028-04-14"),
    "2026-03-29",  # a DST Sunday as a holiday: the Sunday night shift must vanish that day
]
# Mon-Fri office plus a Sunday night shift that straddles both Madrid clock changes.
MADRID_NIGHT = Calendar.from_spec(
    "Europe/Madrid", OFFICE | {"sun": [["01:00", "04:00"]]}, SPANISH_HOLIDAYS
)
# A Sunday shift that starts inside the spring-forward gap and inside the fall-back fold.
MADRID_GAP = Calendar.from_spec("Europe/Madrid", {"sun": [["02:30", "05:00"]]}, [])
US_HOLIDAYS = (  # noqa: SIM905 - a date table reads better as text
    "2026-01-01 2026-01-19 2026-02-16 2026-05-25 2026-07-03 2026-09-07 2026-11-26 2026-12-25 "
    "2027-01-01 2027-01-18 2027-02-15 2027-05-31 2027-07-05 2027-09-06 2027-11-25 2027-12-24 "
    "2028-01-17 2028-02-21 2028-05-29 2028-07-04 2028-09-04 2028-11-23 2028-12-25"
).split()
NY_SPEC = {
    **{day: [["08:30", "12:00"], ["13:00", "17:30"]] for day in ("mon", "tue", "wed", "thu")},
    "fri": [["08:30", "12:00"], ["12:00", "17:30"]],  # touching intervals
    "sat": [["10:00", "24:00"]],  # runs into Sunday 00:00
    "sun": [["00:00", "01:15"], ["01:30", "02:15"], ["02:30", "05:00"]],  # gap and fold
}
NY_CAL = Calendar.from_spec("America/New_York", NY_SPEC, US_HOLIDAYS)
ALWAYS_MADRID = Calendar("Europe/Madrid", {}, frozenset({date(2026, 12, 25)}), always_open=True)

FIXED_CALENDARS = [MADRID_OFFICE, MADRID_NIGHT, MADRID_GAP, NY_CAL]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)


def us(value: datetime) -> int:
    return (value - EPOCH) // US


def at(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Table tests
# --------------------------------------------------------------------------------------------

CLOSES_AT_17 = Calendar.from_spec("Europe/Madrid", {d: [["09:00", "17:00"]] for d in WEEKDAYS}, [])


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "expected"),
    [
        pytest.param(
            MADRID_OFFICE, madrid(2026, 12, 4, 16, 30), 4 * H, madrid(2026, 12, 7, 11, 30), id="fri"
        ),
        pytest.param(
            MADRID_OFFICE, madrid(2026, 12, 5, 10), 1 * H, madrid(2026, 12, 7, 10), id="saturday"
        ),
        pytest.param(
            MADRID_OFFICE, madrid(2026, 12, 1, 13, 20), 2 * H, madrid(2026, 12, 1, 16), id="lunch"
        ),
        pytest.param(
            CLOSES_AT_17, madrid(2026, 12, 1, 16, 30), 1 * H, madrid(2026, 12, 2, 9, 30), id="17h"
        ),
        pytest.param(
            MADRID_OFFICE,
            madrid(2026, 12, 24, 16, 30),
            4 * H,
            madrid(2026, 12, 28, 11, 30),
            id="holiday",
        ),
        pytest.param(
            MADRID_OFFICE, madrid(2026, 12, 1, 9), 8 * H, madrid(2026, 12, 1, 18), id="to-close"
        ),
        pytest.param(
            MADRID_OFFICE, madrid(2026, 12, 1, 18), 1 * H, madrid(2026, 12, 2, 10), id="at-close"
        ),
        pytest.param(
            MADRID_OFFICE, madrid(2026, 12, 1, 12), 1 * H, madrid(2026, 12, 1, 13), id="pre-lunch"
        ),
        pytest.param(
            MADRID_OFFICE, madrid(2026, 12, 5, 10), timedelta(0), madrid(2026, 12, 5, 10), id="zero"
        ),
        pytest.param(
            MADRID_OFFICE,
            madrid(2026, 12, 7, 9),
            5 * DAY,  # 120 business hours = 15 working days; the 25th is a holiday
            madrid(2026, 12, 28, 18),
            id="five-days",
        ),
    ],
)
def test_due_at_table(calendar: Calendar, start: datetime, duration: timedelta, expected: datetime):
    result = due_at(start, duration, calendar)
    assert result == expected
    assert result.tzinfo is ZoneInfo(calendar.time_zone)
    assert elapsed(start, result, calendar) == duration


def test_saturday_counts_from_monday_opening():
    assert next_opening(madrid(2026, 12, 5, 10), MADRID_OFFICE) == madrid(2026, 12, 7, 9)
    assert not is_working(madrid(2026, 12, 5, 10), MADRID_OFFICE)
    assert elapsed(madrid(2026, 12, 5, 10), madrid(2026, 12, 7, 9), MADRID_OFFICE) == timedelta(0)


def test_open_and_close_boundaries():
    assert is_working(madrid(2026, 12, 1, 9), MADRID_OFFICE)
    assert not is_working(madrid(2026, 12, 1, 13), MADRID_OFFICE)
    assert is_working(madrid(2026, 12, 1, 12, 59, 59, 999999), MADRID_OFFICE)
    assert next_opening(madrid(2026, 12, 1, 13), MADRID_OFFICE) == madrid(2026, 12, 1, 14)
    assert next_opening(madrid(2026, 12, 1, 10), MADRID_OFFICE) == madrid(2026, 12, 1, 10)
    assert not is_working(madrid(2026, 12, 25, 10), MADRID_OFFICE)


def test_pauses_table():
    start = madrid(2026, 12, 1, 9)
    assert due_at(start, 4 * H, MADRID_OFFICE) == madrid(2026, 12, 1, 13)
    # One business hour on hold pushes due past lunch: 13:00 + 1 business hour = 15:00.
    pause = (madrid(2026, 12, 1, 10), madrid(2026, 12, 1, 11))
    assert due_at(start, 4 * H, MADRID_OFFICE, [pause]) == madrid(2026, 12, 1, 15)
    # Overlapping pauses are a union: 10:00-11:30 is 1.5 h, not 2 h.
    both = [pause, (madrid(2026, 12, 1, 10, 30), madrid(2026, 12, 1, 11, 30))]
    assert due_at(start, 4 * H, MADRID_OFFICE, both) == madrid(2026, 12, 1, 15, 30)
    assert elapsed(start, madrid(2026, 12, 1, 12), MADRID_OFFICE, both) == 90 * MIN
    # A pause over lunch holds nothing back.
    lunch = (madrid(2026, 12, 1, 13), madrid(2026, 12, 1, 14))
    assert due_at(start, 6 * H, MADRID_OFFICE, [lunch]) == madrid(2026, 12, 1, 16)
    # A pause that began before the clock started only holds the clock until it ends.
    early = (madrid(2026, 11, 30, 17), madrid(2026, 12, 1, 10))
    assert due_at(start, 1 * H, MADRID_OFFICE, [early]) == madrid(2026, 12, 1, 11)
    with pytest.raises(ValueError, match="ends before it starts"):
        due_at(start, H, MADRID_OFFICE, [(pause[1], pause[0])])


def test_madrid_spring_forward_sunday_is_two_real_hours():
    # 2026-03-29 02:00 CET -> 03:00 CEST. MADRID_NIGHT has that Sunday as a holiday, so use a
    # copy without holidays: 01:00 CET (00:00Z) .. 04:00 CEST (02:00Z) = 2 real hours.
    cal = Calendar("Europe/Madrid", MADRID_NIGHT.hours, frozenset())
    sat = madrid(2026, 3, 28, 12)
    assert list(working_intervals(sat, madrid(2026, 3, 30), cal)) == [
        (datetime(2026, 3, 29, 0, tzinfo=UTC), datetime(2026, 3, 29, 2, tzinfo=UTC))
    ]
    assert elapsed(sat, madrid(2026, 3, 30), cal) == 2 * H
    assert due_at(sat, 90 * MIN, cal) == madrid(2026, 3, 29, 3, 30)
    # With the holiday the shift disappears and the office opens on Monday.
    assert elapsed(sat, madrid(2026, 3, 30), MADRID_NIGHT) == timedelta(0)
    assert due_at(sat, 90 * MIN, MADRID_NIGHT) == madrid(2026, 3, 30, 10, 30)


def test_madrid_fall_back_sunday_is_four_real_hours():
    # 2026-10-25 03:00 CEST -> 02:00 CET: 01:00 CEST (23:00Z Sat) .. 04:00 CET (03:00Z).
    sat = madrid(2026, 10, 24, 12)
    assert list(working_intervals(sat, madrid(2026, 10, 26), MADRID_NIGHT)) == [
        (datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 25, 3, tzinfo=UTC))
    ]
    assert elapsed(sat, madrid(2026, 10, 26), MADRID_NIGHT) == 4 * H
    assert due_at(sat, 210 * MIN, MADRID_NIGHT) == madrid(2026, 10, 25, 3, 30)
    # 2.5 h in lands in the repeated hour: 02:30 CET, the *second* 02:30 on the wall.
    second = due_at(sat, 150 * MIN, MADRID_NIGHT)
    # Compare in UTC: PEP 495 makes == across zones False for any instant in a repeated hour.
    assert second.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert (second.hour, second.minute, second.fold, second.utcoffset()) == (2, 30, 1, H)


def test_local_times_in_gap_and_fold():
    # 02:30 does not exist on 2026-03-29: the shift opens when the clock jumps (01:00Z).
    assert next_opening(madrid(2026, 3, 28), MADRID_GAP) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert elapsed(madrid(2026, 3, 28), madrid(2026, 3, 30), MADRID_GAP) == 2 * H
    # 02:30 happens twice on 2026-10-25: the first one (CEST, 00:30Z) opens the shift,
    # which then runs to 05:00 CET (04:00Z): 3.5 real hours.
    opening = next_opening(madrid(2026, 10, 24), MADRID_GAP)
    assert opening.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert opening.fold == 0
    assert elapsed(madrid(2026, 10, 24), madrid(2026, 10, 26), MADRID_GAP) == 210 * MIN


def test_new_york_clock_changes():
    ny = NEW_YORK
    # Spring 2026-03-08 02:00 EST -> 03:00 EDT. Sat 10:00 EST runs into Sunday and merges.
    spring = list(
        working_intervals(datetime(2026, 3, 7, tzinfo=ny), datetime(2026, 3, 9, tzinfo=ny), NY_CAL)
    )
    assert spring == [
        (datetime(2026, 3, 7, 15, tzinfo=UTC), datetime(2026, 3, 8, 6, 15, tzinfo=UTC)),
        (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), datetime(2026, 3, 8, 9, tzinfo=UTC)),
    ]
    # Fall 2026-11-01 02:00 EDT -> 01:00 EST; 01:15 and 01:30 resolve to their EDT occurrence.
    fall = list(
        working_intervals(
            datetime(2026, 10, 31, tzinfo=ny), datetime(2026, 11, 2, tzinfo=ny), NY_CAL
        )
    )
    assert fall == [
        (datetime(2026, 10, 31, 14, tzinfo=UTC), datetime(2026, 11, 1, 5, 15, tzinfo=UTC)),
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 7, 15, tzinfo=UTC)),
        (datetime(2026, 11, 1, 7, 30, tzinfo=UTC), datetime(2026, 11, 1, 10, tzinfo=UTC)),
    ]
    due = due_at(datetime(2026, 11, 1, tzinfo=ny), 2 * H, NY_CAL)
    assert due.astimezone(UTC) == datetime(2026, 11, 1, 6, 15, tzinfo=UTC)
    assert (due.hour, due.minute, due.fold) == (1, 15, 1)  # the second 01:15, in EST
    # An ordinary NY working day, and a weekday target crossing a US holiday (Thanksgiving).
    start = datetime(2026, 11, 25, 16, 30, tzinfo=ny)
    assert due_at(start, 3 * H, NY_CAL) == datetime(2026, 11, 27, 10, 30, tzinfo=ny)


def test_a_year_of_holidays_is_skipped():
    every_day_of_2027 = frozenset(date(2027, 1, 1) + k * DAY for k in range(365))
    cal = Calendar("Europe/Madrid", MADRID_OFFICE.hours, every_day_of_2027)
    assert due_at(madrid(2026, 12, 31, 17), 2 * H, cal) == madrid(2028, 1, 3, 10)
    assert elapsed(madrid(2026, 12, 31), madrid(2028, 1, 1), cal) == 8 * H


def test_calendar_is_immutable_and_compares_by_value():
    hours = {0: [(time(9), time(10))], 6: []}
    cal = Calendar("UTC", hours)
    hours[1] = [(time(9), time(10))]
    assert cal.hours == {0: ((time(9), time(10)),)}
    assert cal == Calendar("UTC", {0: ((time(9), time(10)),)})
    assert len({cal, Calendar("UTC", {0: [(time(9), time(10))]})}) == 1
    with pytest.raises(AttributeError):
        cal.time_zone = "Europe/Madrid"  # type: ignore[misc]


def test_always_open_is_plain_timedelta_addition():
    start = madrid(2026, 10, 24, 12)
    assert due_at(start, 30 * H, ALWAYS_MADRID) == start.astimezone(UTC) + 30 * H
    # Holidays do not apply to 24x7 calendars.
    assert elapsed(madrid(2026, 12, 25), madrid(2026, 12, 26), ALWAYS_MADRID) == 24 * H
    assert is_working(madrid(2026, 12, 25, 3), ALWAYS_MADRID)


def test_calendar_time_adds_thirty_days_exactly():
    start = madrid(2026, 10, 10, 12)
    due = due_at(start, 30 * DAY, CALENDAR_TIME)
    assert due == start.astimezone(UTC) + 30 * DAY
    assert due.tzinfo is UTC or due.utcoffset() == timedelta(0)
    # 720 real hours: the wall clock in Madrid reads 11:00, because DST ended on the way.
    # (Aware `start + 30 days` is wall-clock arithmetic in Python and would be one hour late.)
    assert due.astimezone(MADRID) == madrid(2026, 11, 9, 11)
    assert due != start + 30 * DAY
    assert elapsed(start, due, CALENDAR_TIME) == 30 * DAY


def test_exact_to_the_microsecond():
    start = madrid(2026, 12, 1, 12, 59, 59, 999_999)
    assert due_at(start, 2 * US, MADRID_OFFICE) == madrid(2026, 12, 1, 14, 0, 0, 1)
    assert elapsed(start, madrid(2026, 12, 1, 14, 0, 0, 1), MADRID_OFFICE) == 2 * US


def test_naive_and_bad_arguments_are_rejected():
    naive = datetime(2026, 12, 1, 9)
    aware = madrid(2026, 12, 1, 9)
    for call in (
        lambda: due_at(naive, H, MADRID_OFFICE),
        lambda: elapsed(naive, aware, MADRID_OFFICE),
        lambda: elapsed(aware, naive, MADRID_OFFICE),
        lambda: working_intervals(aware, naive, MADRID_OFFICE),
        lambda: next_opening(naive, MADRID_OFFICE),
        lambda: is_working(naive, MADRID_OFFICE),
        lambda: due_at(aware, H, MADRID_OFFICE, [(naive, aware)]),
        lambda: due_at(aware, -H, MADRID_OFFICE),
        lambda: elapsed(aware, aware - H, MADRID_OFFICE),
    ):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(TypeError):
        due_at(aware, H, {"mon": []})  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Calendar specs
# --------------------------------------------------------------------------------------------


def test_from_spec_parses():
    cal = Calendar.from_spec(
        "Europe/Madrid",
        {"sat": [["14:00:30", "24:00"], ["09:00", "13:00"]], "sun": []},
        ["2026-12-25", "2026-12-25"],
    )
    assert cal.hours == {5: ((time(9), time(13)), (time(14, 0, 30), time(0)))}
    assert cal.holidays == frozenset({date(2026, 12, 25)})
    assert hash(cal) == hash(
        Calendar.from_spec(
            "Europe/Madrid", {"sat": [["09:00", "13:00"], ["14:00:30", "24:00"]]}, ["2026-12-25"]
        )
    )
    with pytest.raises(TypeError):
        cal.hours[0] = ()  # type: ignore[index]
    whole_day = Calendar.from_spec("UTC", {"mon": [["00:00", "24:00"]]}, [])
    assert (
        elapsed(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC), whole_day)
        == 24 * H
    )
    assert Calendar.from_spec("UTC", {}, [], always_open=True).always_open


@pytest.mark.parametrize(
    ("time_zone", "hours", "holidays", "field"),
    [
        ("Europe/Madrid", {"monday": [["09:00", "13:00"]]}, [], "hours.monday"),
        ("Europe/Madrid", {"mon": [["9:00", "13:00"]]}, [], "hours.mon[0] start"),
        ("Europe/Madrid", {"mon": [["09:00", "25:00"]]}, [], "hours.mon[0] end"),
        ("Europe/Madrid", {"mon": [["09:60", "13:00"]]}, [], "hours.mon[0] start"),
        ("Europe/Madrid", {"mon": [["24:00", "24:00"]]}, [], "hours.mon[0] start"),
        ("Europe/Madrid", {"mon": [["22:00", "00:00"]]}, [], "hours.mon[0] end"),
        ("Europe/Madrid", {"tue": [["09:00", "13:00"], ["18:00", "09:00"]]}, [], "hours.tue[1]"),
        ("Europe/Madrid", {"wed": [["10:00", "10:00"]]}, [], "hours.wed[0]"),
        ("Europe/Madrid", {"thu": [["09:00", "13:00"], ["12:00", "18:00"]]}, [], "hours.thu[1]"),
        ("Europe/Madrid", {"thu": [["12:00", "18:00"], ["09:00", "13:00"]]}, [], "hours.thu[0]"),
        ("Europe/Madrid", {"fri": [["09:00", "13:00", "14:00"]]}, [], "hours.fri[0]"),
        ("Europe/Madrid", {"fri": "09:00-13:00"}, [], "hours.fri"),
        ("Europe/Atlantis", OFFICE, [], "time_zone"),
        ("", OFFICE, [], "time_zone"),
        ("Europe/Madrid", OFFICE, ["2026-12-25", "2026-13-01"], "holidays[1]"),
        ("Europe/Madrid", OFFICE, ["25/12/2026"], "holidays[0]"),
        ("Europe/Madrid", OFFICE, "2026-12-25", "holidays"),
        ("Europe/Madrid", {}, [], "hours"),
        ("Europe/Madrid", {"sat": [], "sun": []}, [], "hours"),
    ],
)
def test_from_spec_errors_name_the_field(
    time_zone: str, hours: dict[str, list[list[str]]], holidays: list[str], field: str
):
    with pytest.raises(CalendarSpecError) as excinfo:
        Calendar.from_spec(time_zone, hours, holidays)
    assert str(excinfo.value).startswith(field + ":") or str(excinfo.value).startswith(field + " ")
    assert isinstance(excinfo.value, ValueError)


def test_constructor_validates_too():
    with pytest.raises(CalendarSpecError, match=r"^hours: weekday 7"):
        Calendar("UTC", {7: ((time(9), time(10)),)})
    with pytest.raises(CalendarSpecError, match=r"^hours\.mon\[0\]"):
        Calendar("UTC", {0: ((time(10), time(9)),)})
    with pytest.raises(CalendarSpecError, match=r"^hours\.mon\[0\]"):
        Calendar("UTC", {0: ((time(9, tzinfo=UTC), time(10)),)})
    with pytest.raises(CalendarSpecError, match=r"^holidays"):
        Calendar("UTC", {0: ((time(9), time(10)),)}, frozenset({datetime(2026, 1, 1)}))
    with pytest.raises(CalendarSpecError, match=r"^hours"):
        Calendar("UTC", {6: ()})
    # Overlap is reported against the interval that starts later, with its given index.
    with pytest.raises(CalendarSpecError, match=r"^hours\.sun\[0\]: 09:30:00-10:30:00 overlaps"):
        Calendar("UTC", {6: ((time(9, 30), time(10, 30)), (time(9), time(10)))})


# --------------------------------------------------------------------------------------------
# The oracle: hard-coded DST rules and a naive interval-list implementation
# --------------------------------------------------------------------------------------------

NEG_INF, POS_INF = -(10**30), 10**30


def _sundays(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
    return [d for d in (first_sunday + timedelta(weeks=k) for k in range(5)) if d.month == month]


class ZoneOracle:
    """UTC offset and local-time resolution for 2024-2031 from the published rules."""

    def __init__(self, key: str) -> None:
        self.bounds = [NEG_INF]
        if key == "Europe/Madrid":
            # EU: last Sunday of March / October at 01:00 UTC; CET +1, CEST +2.
            self.offsets = [1 * H]
            for year in range(2024, 2032):
                self.bounds += [
                    us(datetime.combine(_sundays(year, 3)[-1], time(1), UTC)),
                    us(datetime.combine(_sundays(year, 10)[-1], time(1), UTC)),
                ]
                self.offsets += [2 * H, 1 * H]
        else:
            # US: second Sunday of March 02:00 EST (07:00Z) / first Sunday of November
            # 02:00 EDT (06:00Z); EST -5, EDT -4.
            self.offsets = [-5 * H]
            for year in range(2024, 2032):
                self.bounds += [
                    us(datetime.combine(_sundays(year, 3)[1], time(7), UTC)),
                    us(datetime.combine(_sundays(year, 11)[0], time(6), UTC)),
                ]
                self.offsets += [-4 * H, -5 * H]
        self.bounds.append(POS_INF)
        self.offset_us = [o // US for o in self.offsets]

    def offset_at(self, instant: int) -> timedelta:
        return self.offsets[bisect.bisect_right(self.bounds, instant) - 1]

    def instant(self, local: datetime) -> int:
        """First instant whose wall-clock reading is ``local`` or later."""
        wall = us(local.replace(tzinfo=UTC))
        # A wall time is never more than 6 h from its instant in these zones, so start there.
        first = bisect.bisect_right(self.bounds, wall - 6 * 3600 * 10**6) - 1
        for i in range(first, len(self.offsets)):
            candidate = max(self.bounds[i], wall - self.offset_us[i])
            if candidate < self.bounds[i + 1]:
                return candidate
        raise AssertionError("outside the oracle's years")


ORACLES = {key: ZoneOracle(key) for key in ("Europe/Madrid", "America/New_York")}
REF_FIRST, REF_LAST = date(2025, 12, 1), date(2029, 12, 31)


def declared_intervals(cal: Calendar, first: date, last: date) -> list[tuple[int, int, date]]:
    oracle = ORACLES[cal.time_zone]
    out = []
    day = first
    while day <= last:
        if day not in cal.holidays:
            for start, end in cal.hours.get(day.weekday(), ()):
                end_day = day + DAY if end == time(0) else day
                a = oracle.instant(datetime.combine(day, start))
                b = oracle.instant(datetime.combine(end_day, end))
                if b > a:
                    out.append((a, b, day))
        day += DAY
    return out


def merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        elif b > a:
            out.append((a, b))
    return out


@lru_cache(maxsize=64)
def reference(
    cal: Calendar, first: date = REF_FIRST, last: date = REF_LAST
) -> list[tuple[int, int]]:
    declared = declared_intervals(cal, first, last)
    for (_, b, _), (a, _, _) in zip(declared, declared[1:], strict=False):
        assert a >= b, "the oracle's declared intervals must not overlap"
    return merged((a, b) for a, b, _ in declared)


def minus(spans: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for a, b in spans:
        for h0, h1 in holes:
            if h1 <= a or h0 >= b:
                continue
            if h0 > a:
                out.append((a, h0))
            a = max(a, h1)
            if a >= b:
                break
        if a < b:
            out.append((a, b))
    return out


def ref_elapsed(spans: list[tuple[int, int]], s: int, e: int) -> int:
    return sum(max(0, min(b, e) - max(a, s)) for a, b in spans)


def ref_due(spans: list[tuple[int, int]], s: int, amount: int) -> int:
    if amount == 0:
        return s
    for a, b in window(spans, s):
        a = max(a, s)
        if b <= a:
            continue
        if b - a >= amount:
            return a + amount
        amount -= b - a
    raise AssertionError("ran past the reference window")


def window(spans: list[tuple[int, int]], s: int) -> list[tuple[int, int]]:
    """The reference intervals from the one containing or following ``s`` on."""
    return spans[max(0, bisect.bisect_right(spans, (s, POS_INF)) - 1) :]


def test_oracle_agrees_with_zoneinfo():
    for key, oracle in ORACLES.items():
        zone = ZoneInfo(key)
        t = datetime(2025, 1, 1, tzinfo=UTC)
        while t < datetime(2030, 1, 1, tzinfo=UTC):
            assert t.astimezone(zone).utcoffset() == oracle.offset_at(us(t)), (key, t)
            t += 30 * MIN
        for bound in oracle.bounds[3:-3]:
            for delta in (-1, 0):
                moment = at(bound + delta * 10**6)
                assert moment.astimezone(zone).utcoffset() == oracle.offset_at(us(moment))


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

LO, HI = us(datetime(2026, 1, 1, tzinfo=UTC)), us(datetime(2028, 1, 1, tzinfo=UTC))
TRANSITIONS = [b for o in ORACLES.values() for b in o.bounds if LO <= b < HI]
MAX_DURATION = 60 * DAY // US

raw_instants = st.integers(LO, HI)
near_transitions = st.sampled_from(TRANSITIONS).flatmap(
    lambda t: st.integers(t - 3 * DAY // US, t + 3 * DAY // US)
)
whole_minutes = st.integers(LO // 60_000_000, HI // 60_000_000).map(lambda m: m * 60_000_000)
instant_us = st.one_of(raw_instants, near_transitions, whole_minutes)
zones = st.sampled_from([UTC, MADRID, NEW_YORK])
durations_us = st.one_of(
    st.just(0),
    st.integers(0, MAX_DURATION),
    st.integers(0, 60 * 24 * 4).map(lambda q: q * 15 * 60_000_000),
    st.integers(1, 10**6),
)
calendars = st.sampled_from(FIXED_CALENDARS)
# MADRID_GAP has only 2.5 h a week: 60 days of it would run for a decade, past the oracle.
due_calendars = st.sampled_from([MADRID_OFFICE, MADRID_NIGHT, NY_CAL])


@st.composite
def instants_on(draw: st.DrawFn, cal: Calendar) -> int:
    """Arbitrary instants, often exactly at (or a microsecond off) an opening or a closing."""
    spans = reference(cal)
    lo, hi = bisect.bisect_left(spans, (LO, 0)), bisect.bisect_left(spans, (HI, 0))
    opening, closing = draw(st.sampled_from(spans[lo:hi]))
    edge = draw(st.sampled_from([opening, closing]))
    return draw(st.one_of(instant_us, st.sampled_from([edge - 1, edge, edge + 1])))


def to_dt(value: int, zone: object) -> datetime:
    return at(value).astimezone(zone)  # type: ignore[arg-type]


@st.composite
def pause_lists(draw: st.DrawFn, s: int) -> list[tuple[int, int]]:
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        a = s + draw(st.integers(-5 * DAY // US, 40 * DAY // US))
        if draw(st.booleans()):
            a -= a % (15 * 60_000_000)
        pauses.append((a, a + draw(st.integers(0, 10 * DAY // US))))
    return pauses


PROPS = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------------------------
# Properties against the oracle
# --------------------------------------------------------------------------------------------


@PROPS
@given(data=st.data(), cal=calendars, zone=zones, span=st.integers(0, 30 * DAY // US))
def test_working_intervals_match_oracle(data: st.DataObject, cal: Calendar, zone, span: int):
    s = data.draw(instants_on(cal))
    got = [(us(a), us(b)) for a, b in working_intervals(to_dt(s, zone), to_dt(s + span, zone), cal)]
    assert all(
        a.tzinfo is UTC for pair in working_intervals(at(s), at(s + span), cal) for a in pair
    )
    expected = [(max(a, s), min(b, s + span)) for a, b in reference(cal)]
    assert got == [(a, b) for a, b in expected if a < b]
    # Said directly: each counted instant lies between the opening and the closing of a
    # declared interval on a non-holiday date.
    declared = declared_intervals(cal, at(s).date() - 2 * DAY, at(s + span).date() + 2 * DAY)
    for a, b in got:
        for point in (a, (a + b) // 2, b - 1):
            assert any(x <= point < y and day not in cal.holidays for x, y, day in declared)
            assert is_working(at(point), cal)


@PROPS
@given(data=st.data(), cal=due_calendars, zone=zones, amount=durations_us)
def test_due_at_and_elapsed_match_oracle(data: st.DataObject, cal: Calendar, zone, amount: int):
    s = data.draw(instants_on(cal))
    pauses = data.draw(pause_lists(s))
    spans = minus(window(reference(cal), s), merged(pauses))
    as_dt = [(to_dt(a, zone), to_dt(b, zone)) for a, b in pauses]
    due = due_at(to_dt(s, zone), timedelta(microseconds=amount), cal, as_dt)
    assert us(due) == ref_due(spans, s, amount)
    assert due.tzinfo is ZoneInfo(cal.time_zone)
    e = s + data.draw(st.integers(0, 90 * DAY // US))
    assert elapsed(to_dt(s, zone), to_dt(e, zone), cal, as_dt) // US == ref_elapsed(spans, s, e)


@PROPS
@given(data=st.data(), cal=calendars)
def test_next_opening_and_is_working_match_oracle(data: st.DataObject, cal: Calendar):
    t = data.draw(instants_on(cal))
    spans = window(reference(cal), t)
    first = next(max(a, t) for a, b in spans if b > t)
    assert us(next_opening(at(t), cal)) == first
    assert is_working(at(t), cal) == (first == t)


# --------------------------------------------------------------------------------------------
# Algebraic properties
# --------------------------------------------------------------------------------------------


@PROPS
@given(data=st.data(), cal=due_calendars, a=durations_us, b=durations_us)
def test_due_at_is_monotonic_and_splits(data: st.DataObject, cal: Calendar, a: int, b: int):
    s = at(data.draw(instants_on(cal)))
    pauses = [(at(x), at(y)) for x, y in data.draw(pause_lists(us(s)))]
    da, db = timedelta(microseconds=a), timedelta(microseconds=b)
    # Results are compared as integer instants: two datetimes in the same ZoneInfo compare by
    # wall clock and ignore fold, so in a repeated hour `<=` and `==` would lie.
    first = due_at(s, da, cal, pauses)
    assert us(due_at(s, min(da, db), cal, pauses)) <= us(due_at(s, max(da, db), cal, pauses))
    assert us(first) >= us(s)
    # The second leg starts exactly where the first ended (possibly at a closing instant).
    assert us(due_at(first, db, cal, pauses)) == us(due_at(s, da + db, cal, pauses))


@PROPS
@given(data=st.data(), cal=due_calendars, amount=durations_us)
def test_pauses_shift_due_by_their_business_time(data: st.DataObject, cal: Calendar, amount: int):
    s = data.draw(instants_on(cal))
    d = timedelta(microseconds=amount)
    pauses = [(at(x), at(y)) for x, y in data.draw(pause_lists(s))]
    plain = due_at(at(s), d, cal)
    held = due_at(at(s), d, cal, pauses)
    assert us(held) >= us(plain)
    # The working time the pauses swallowed between start and the new due (their union,
    # clipped) is exactly the working time by which due moved.
    swallowed = sum(
        (
            elapsed(at(max(a, s)), at(min(b, us(held))), cal)
            for a, b in merged((us(x), us(y)) for x, y in pauses)
            if min(b, us(held)) > max(a, s)
        ),
        timedelta(0),
    )
    assert elapsed(plain, held, cal) == swallowed
    assert elapsed(at(s), held, cal, pauses) == d


@PROPS
@given(data=st.data(), cal=due_calendars, amount=durations_us, gap=st.integers(0, 60 * DAY // US))
def test_elapsed_inverts_due_at(data: st.DataObject, cal: Calendar, amount: int, gap: int):
    s = at(data.draw(instants_on(cal)))
    d = timedelta(microseconds=amount)
    assert elapsed(s, due_at(s, d, cal), cal) == d
    e = s + timedelta(microseconds=gap)
    back = due_at(s, elapsed(s, e, cal), cal)
    assert us(back) <= us(e)
    assert elapsed(back, e, cal) == timedelta(0)


@PROPS
@given(s=instant_us, zone=zones, amount=durations_us, data=st.data())
def test_always_open_is_timedelta_addition(s: int, zone, amount: int, data: st.DataObject):
    d = timedelta(microseconds=amount)
    # Compared as integers: `==` between different zones is False inside a repeated hour.
    assert us(due_at(to_dt(s, zone), d, ALWAYS_MADRID)) == s + amount
    assert us(due_at(to_dt(s, zone), d, CALENDAR_TIME)) == s + amount
    assert elapsed(at(s), at(s) + d, ALWAYS_MADRID) == d
    pauses = data.draw(pause_lists(s))
    expected = ref_due(minus([(NEG_INF, POS_INF)], merged(pauses)), s, amount)
    assert us(due_at(at(s), d, CALENDAR_TIME, [(at(a), at(b)) for a, b in pauses])) == expected


@st.composite
def random_calendars(draw: st.DrawFn) -> Calendar:
    """Arbitrary weekly hours in 5-minute steps (so DST gaps/folds get hit), random holidays."""
    hours: dict[int, tuple[tuple[time, time], ...]] = {}
    weekly = 0
    for weekday in range(7):
        count = draw(st.integers(0, 3))
        points = sorted(draw(st.sets(st.integers(0, 288), min_size=2 * count, max_size=2 * count)))
        pairs = list(zip(points[::2], points[1::2], strict=True))
        weekly += sum(b - a for a, b in pairs)
        hours[weekday] = tuple(
            (time(a // 12, a % 12 * 5), time(0) if b == 288 else time(b // 12, b % 12 * 5))
            for a, b in pairs
        )
    assume(weekly >= 12 * 10)  # at least 10 h a week keeps the reference window small
    holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2028, 6, 30)), max_size=40))
    zone = draw(st.sampled_from(["Europe/Madrid", "America/New_York"]))
    return Calendar(zone, hours, holidays)


@settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(cal=random_calendars(), s=instant_us, amount=st.integers(0, 5 * DAY // US), data=st.data())
def test_random_calendars_match_oracle(cal: Calendar, s: int, amount: int, data: st.DataObject):
    first = at(s).date() - 2 * DAY
    spans = reference(cal, first, first + timedelta(days=130))
    got = [(us(a), us(b)) for a, b in working_intervals(at(s), at(s) + 21 * DAY, cal)]
    expected = [(max(a, s), min(b, s + 21 * DAY // US)) for a, b in spans]
    assert got == [(a, b) for a, b in expected if a < b]
    due = due_at(at(s), timedelta(microseconds=amount), cal)
    assert us(due) == ref_due(spans, s, amount)
    assert elapsed(at(s), due, cal) // US == amount
    assert us(next_opening(at(s), cal)) == next(max(a, s) for a, b in spans if b > s)


# --------------------------------------------------------------------------------------------
# Warnings and escalations
# --------------------------------------------------------------------------------------------


def test_warn_at_and_escalation_table():
    start, target = madrid(2026, 12, 4, 16, 30), 4 * H  # due Mon 11:30
    assert warn_at(start, target, MADRID_OFFICE, 0.8) == madrid(2026, 12, 7, 10, 42)
    # 0.7 means 7/10 exactly, not the binary double just below it.
    assert warn_at(start, target, MADRID_OFFICE, 0.7) == madrid(2026, 12, 7, 10, 18)
    assert warn_at(start, target, MADRID_OFFICE, 1) == due_at(start, target, MADRID_OFFICE)
    assert warn_at(start, 3 * US, MADRID_OFFICE, 0.5) == start + US  # rounded down

    def fire(**kwargs: object) -> datetime:
        return escalation_fire_at(start=start, duration=target, calendar=MADRID_OFFICE, **kwargs)  # type: ignore[arg-type]

    assert fire(at_fraction=1.0) == madrid(2026, 12, 7, 11, 30)
    assert fire(offset=-H) == madrid(2026, 12, 7, 10, 30)
    assert fire(offset=-3 * H) == madrid(2026, 12, 4, 17, 30)  # back across the weekend
    assert fire(offset=2 * H) == madrid(2026, 12, 7, 14, 30)  # forward across lunch
    assert fire(offset=-8 * H) == start  # before the clock started: fire at once
    pause = [(madrid(2026, 12, 7, 9), madrid(2026, 12, 7, 10))]
    assert fire(offset=-H, pauses=pause) == madrid(2026, 12, 7, 11, 30)
    for bad in ({}, {"at_fraction": 0.5, "offset": H}):
        with pytest.raises(ValueError, match="exactly one"):
            fire(**bad)
    for fraction in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            warn_at(start, target, MADRID_OFFICE, fraction)


@PROPS
@given(
    data=st.data(),
    cal=due_calendars,
    amount=durations_us,
    offset=st.integers(-60 * DAY // US, 60 * DAY // US),
    f1=st.floats(0, 2),
    f2=st.floats(0, 2),
)
def test_escalations_count_in_the_same_calendar(
    data: st.DataObject, cal: Calendar, amount: int, offset: int, f1: float, f2: float
):
    s = at(data.draw(instants_on(cal)))
    d, off = timedelta(microseconds=amount), timedelta(microseconds=offset)
    due = due_at(s, d, cal)
    fired = escalation_fire_at(start=s, duration=d, calendar=cal, offset=off)
    if off >= timedelta(0):
        assert elapsed(due, fired, cal) == off
    elif -off <= d:
        assert elapsed(fired, due, cal) == -off
    else:
        assert us(fired) == us(s)
    low, high = sorted((f1, f2))
    assert us(warn_at(s, d, cal, low)) <= us(warn_at(s, d, cal, high))
    assert us(warn_at(s, d, cal, 1.0)) == us(due)


# --------------------------------------------------------------------------------------------
# Compensation
# --------------------------------------------------------------------------------------------

TEN_A_DAY = CompensationRule(Decimal("10.00"), "EUR", cap=Decimal("50"))


@pytest.mark.parametrize(
    ("rule", "overdue", "expected"),
    [
        (TEN_A_DAY, timedelta(0), "0.00"),
        (TEN_A_DAY, -H, "0.00"),
        (TEN_A_DAY, US, "10.00"),
        (TEN_A_DAY, timedelta(seconds=1), "10.00"),
        (TEN_A_DAY, DAY, "10.00"),
        (TEN_A_DAY, DAY + US, "20.00"),
        (TEN_A_DAY, 5 * DAY, "50.00"),
        (TEN_A_DAY, 10 * DAY, "50.00"),
        (CompensationRule(Decimal("10"), "EUR", cap=None), 10 * DAY, "100.00"),
        (CompensationRule(Decimal("0.125"), "EUR", cap=None), 3 * DAY, "0.38"),
        (CompensationRule(Decimal("0.005"), "USD", cap=None), H, "0.01"),  # half-up, not even
        (CompensationRule(Decimal("0.125"), "EUR", cap=Decimal("0.30")), 3 * DAY, "0.30"),
    ],
)
def test_compensation_table(rule: CompensationRule, overdue: timedelta, expected: str):
    result = compensation_due(rule, overdue)
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -2


def test_compensation_rule_validation():
    for kwargs in (
        {"amount_per_day": 10.0, "currency": "EUR", "cap": None},
        {"amount_per_day": Decimal("-1"), "currency": "EUR", "cap": None},
        {"amount_per_day": Decimal("NaN"), "currency": "EUR", "cap": None},
        {"amount_per_day": Decimal("1"), "currency": "eur", "cap": None},
        {"amount_per_day": Decimal("1"), "currency": "EUR", "cap": Decimal("10.005")},
        {"amount_per_day": Decimal("1"), "currency": "EUR", "cap": None, "per": "hour"},
    ):
        with pytest.raises(ValueError):
            CompensationRule(**kwargs)  # type: ignore[arg-type]


@settings(deadline=None, max_examples=300)
@given(
    amount=st.decimals(0, 10_000, places=3),
    cap=st.one_of(st.none(), st.decimals(0, 100_000, places=2)),
    a=st.integers(-10 * DAY // US, 400 * DAY // US),
    b=st.integers(-10 * DAY // US, 400 * DAY // US),
)
def test_compensation_properties(amount: Decimal, cap: Decimal | None, a: int, b: int):
    rule = CompensationRule(amount, "EUR", cap=cap)
    low, high = sorted((a, b))
    pay_low = compensation_due(rule, timedelta(microseconds=low))
    pay_high = compensation_due(rule, timedelta(microseconds=high))
    assert pay_low <= pay_high
    if cap is not None:
        assert pay_high <= cap
    if low <= 0:
        assert pay_low == 0
    else:
        days = -(-low // (DAY // US))
        exact = amount * days if cap is None else min(amount * days, cap)
        assert abs(pay_low - exact) <= Decimal("0.005")
