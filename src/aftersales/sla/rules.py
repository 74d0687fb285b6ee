"""Business-time arithmetic for SLA clocks.

Everything here is pure: no ORM, no I/O, standard library only. The module answers four
questions about a :class:`Calendar` (a time zone, weekly local working hours and holidays):

* which instants count (:func:`working_intervals`, :func:`is_working`, :func:`next_opening`),
* how much working time lies between two instants (:func:`elapsed`),
* when a target of N working time falls due (:func:`due_at`, :func:`warn_at`,
  :func:`escalation_fire_at`),
* what a late delivery costs (:func:`compensation_due`).

Semantics, fixed once so that callers cannot get them subtly wrong (see also
``docs/decisions/0003-sla-business-time.md``):

* All arithmetic is done on integer microseconds since the Unix epoch (UTC), so every result is
  exact to the microsecond; floats never touch an instant or a duration.
* Working hours are local wall-clock times. A local time is turned into an instant, per date,
  as *the first instant at which the wall clock reads that time or later*. For ordinary times
  that is the obvious instant; for a time skipped by a spring-forward change it is the instant
  of the jump (02:30 on a 02:00->03:00 day is the moment the clock shows 03:00); for a time that
  occurs twice on a fall-back day it is the first occurrence (``fold=0``). Consequently a
  09:00-18:00 day lasts 8 or 10 real hours when the clocks change inside it.
* An interval end of ``time(0, 0)`` means midnight at the *end* of the day ("24:00"), so
  ``(time(0), time(0))`` is a whole day. An interval belongs to the date it is declared on:
  a holiday removes all of that date's intervals, including a tail that runs to 24:00.
* Working intervals are half-open ``[open, close)``: the closing instant itself is not working.
* ``always_open`` calendars count every instant; their hours and holidays are ignored.
* Pauses (on-hold periods) are closed intervals given by the caller; they may overlap each
  other and may begin before the clock starts. Their union is removed from working time.
* ``due_at(start, d)`` is the *earliest* instant ``t >= start`` with ``elapsed(start, t) == d``.
  Hence ``due_at(start, 0) == start`` (a zero target is due immediately, even outside working
  hours), a target that runs out exactly at closing time is due at closing time (not at the
  next opening), and ``due_at(due_at(s, a), b) == due_at(s, a + b)`` holds for all a, b >= 0.
* Instants come back as aware datetimes in the calendar's zone (``working_intervals``: UTC).
  Compare and store them in UTC: Python compares two datetimes sharing a ZoneInfo by wall
  clock, ignoring ``fold``, and ``==`` across zones is False inside a repeated hour (PEP 495).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from numbers import Real
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "CALENDAR_TIME",
    "Calendar",
    "CalendarSpecError",
    "CompensationRule",
    "compensation_due",
    "due_at",
    "elapsed",
    "escalation_fire_at",
    "is_working",
    "next_opening",
    "warn_at",
    "working_intervals",
]

WEEKDAY_KEYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_TIME_RE = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

Interval = tuple[time, time]
DayHours = tuple[Interval, ...]


class CalendarSpecError(ValueError):
    """A calendar definition is invalid; the message names the offending field."""


# --------------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------------


class _Hours(Mapping[int, DayHours]):
    """Read-only, hashable weekday -> intervals mapping.

    A plain dict would let a caller mutate a "frozen" calendar after validation and would make
    the calendar unhashable, which we need for sharing the per-calendar cache.
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: dict[int, DayHours]) -> None:
        self._data = data
        self._hash = hash(tuple(sorted(data.items())))

    def __getitem__(self, key: int) -> DayHours:
        return self._data[key]

    def __iter__(self) -> Iterator[int]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Hours):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._data)


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * _US_PER_SECOND + (
        value.microsecond
    )


def _end_us(value: time) -> int:
    # time(0, 0) as an end is "24:00": a `time` cannot say 24:00 and an interval can never
    # legitimately end at the start of its own day, so the reading is unambiguous.
    return _US_PER_DAY if value == time(0) else _time_us(value)


def _normalise_day(weekday: int, intervals: Any) -> DayHours:
    field = f"hours.{WEEKDAY_KEYS[weekday]}"
    if isinstance(intervals, str | bytes) or not isinstance(intervals, Iterable):
        raise CalendarSpecError(f"{field}: expected a sequence of (start, end) intervals.")
    checked: list[tuple[int, Interval]] = []
    for index, pair in enumerate(intervals):
        where = f"{field}[{index}]"
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise CalendarSpecError(f"{where}: expected a (start, end) pair, got {pair!r}.")
        start, end = pair
        for label, value in (("start", start), ("end", end)):
            if not isinstance(value, time):
                raise CalendarSpecError(f"{where}: {label} must be a datetime.time, got {value!r}.")
            if value.tzinfo is not None:
                raise CalendarSpecError(
                    f"{where}: {label} must be a naive local time; the calendar's time zone "
                    "applies."
                )
        if _time_us(start) >= _end_us(end):
            raise CalendarSpecError(
                f"{where}: start {start.isoformat()} must be before end {_fmt_end(end)}."
            )
        checked.append((index, (start, end)))
    checked.sort(key=lambda item: _time_us(item[1][0]))
    for (_, before), (index, after) in zip(checked, checked[1:], strict=False):
        if _end_us(before[1]) > _time_us(after[0]):
            raise CalendarSpecError(
                f"{field}[{index}]: {after[0].isoformat()}-{_fmt_end(after[1])} overlaps "
                f"{before[0].isoformat()}-{_fmt_end(before[1])}."
            )
    return tuple(interval for _, interval in checked)


def _fmt_end(value: time) -> str:
    return "24:00" if value == time(0) else value.isoformat()


def _load_zone(key: object) -> ZoneInfo:
    if not isinstance(key, str) or not key:
        raise CalendarSpecError(f"time_zone: expected an IANA time zone name, got {key!r}.")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise CalendarSpecError(f"time_zone: {key!r} is not a known IANA time zone.") from exc


@dataclass(frozen=True)
class Calendar:
    """A business calendar.

    ``hours`` maps weekday (0 = Monday .. 6 = Sunday) to sorted, non-overlapping local
    ``(start, end)`` intervals; several per day are allowed and touching intervals are fine.
    An end of ``time(0, 0)`` means 24:00 (midnight ending that day). Missing or empty days are
    closed. ``holidays`` are local dates on which the whole day is closed. ``always_open``
    calendars count every instant (24x7); their hours and holidays are ignored.

    The constructor validates and normalises (intervals are sorted, empty days dropped, the
    mapping made read-only) and raises :class:`CalendarSpecError` naming the bad field.
    """

    time_zone: str
    hours: Mapping[int, DayHours]
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self) -> None:
        _load_zone(self.time_zone)
        if not isinstance(self.always_open, bool):
            raise CalendarSpecError(f"always_open: expected a bool, got {self.always_open!r}.")
        if not isinstance(self.hours, Mapping):
            raise CalendarSpecError("hours: expected a mapping of weekday -> intervals.")
        normalised: dict[int, DayHours] = {}
        for weekday, intervals in self.hours.items():
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise CalendarSpecError(
                    f"hours: weekday {weekday!r} is not an integer from 0 (Monday) to 6 (Sunday)."
                )
            day = _normalise_day(weekday, intervals)
            if day:
                normalised[weekday] = day
        if isinstance(self.holidays, str | bytes) or not isinstance(self.holidays, Iterable):
            raise CalendarSpecError("holidays: expected a set of dates.")
        holidays = frozenset(self.holidays)
        for holiday in holidays:
            # datetime is a subclass of date; accepting one would silently drop its time part.
            if not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise CalendarSpecError(f"holidays: {holiday!r} is not a datetime.date.")
        if not normalised and not self.always_open:
            raise CalendarSpecError(
                "hours: the calendar has no working time; declare at least one interval or "
                "set always_open."
            )
        object.__setattr__(self, "hours", _Hours(normalised))
        object.__setattr__(self, "holidays", holidays)

    @classmethod
    def from_spec(
        cls,
        time_zone: str,
        hours: Mapping[str, Sequence[Sequence[str]]],
        holidays: Sequence[str] = (),
        always_open: bool = False,
    ) -> Calendar:
        """Build a calendar from its JSON-ish form.

        ``hours`` looks like ``{"mon": [["09:00", "13:00"], ["14:00", "18:00"]], ...}`` with
        keys ``mon``..``sun`` and times ``HH:MM`` or ``HH:MM:SS``; ``"24:00"`` may end an
        interval. ``holidays`` are ISO dates (``YYYY-MM-DD``).
        """
        _load_zone(time_zone)
        if not isinstance(hours, Mapping):
            raise CalendarSpecError("hours: expected a mapping of weekday keys (mon..sun).")
        parsed: dict[int, list[Interval]] = {}
        for key, intervals in hours.items():
            if key not in WEEKDAY_KEYS:
                raise CalendarSpecError(
                    f"hours.{key}: unknown weekday key; expected one of {', '.join(WEEKDAY_KEYS)}."
                )
            field = f"hours.{key}"
            if isinstance(intervals, str | bytes) or not isinstance(intervals, Sequence):
                raise CalendarSpecError(f"{field}: expected a list of [start, end] pairs.")
            day: list[Interval] = []
            for index, pair in enumerate(intervals):
                where = f"{field}[{index}]"
                if (
                    isinstance(pair, str | bytes)
                    or not isinstance(pair, Sequence)
                    or len(pair) != 2
                ):
                    raise CalendarSpecError(f"{where}: expected [start, end], got {pair!r}.")
                day.append(
                    (
                        _parse_time(pair[0], f"{where} start", is_end=False),
                        _parse_time(pair[1], f"{where} end", is_end=True),
                    )
                )
            parsed[WEEKDAY_KEYS.index(key)] = day
        if isinstance(holidays, str | bytes) or not isinstance(holidays, Iterable):
            raise CalendarSpecError("holidays: expected a list of ISO dates (YYYY-MM-DD).")
        dates: set[date] = set()
        for index, text in enumerate(holidays):
            try:
                if not isinstance(text, str) or not _DATE_RE.fullmatch(text):
                    raise ValueError
                dates.add(date.fromisoformat(text))
            except ValueError:
                raise CalendarSpecError(
                    f"holidays[{index}]: {text!r} is not an ISO date (YYYY-MM-DD)."
                ) from None
        return cls(
            time_zone=time_zone,
            hours={weekday: tuple(day) for weekday, day in parsed.items()},
            holidays=frozenset(dates),
            always_open=always_open,
        )


def _parse_time(text: object, field: str, *, is_end: bool) -> time:
    if not isinstance(text, str):
        raise CalendarSpecError(f"{field}: expected a time string like '09:00', got {text!r}.")
    match = _TIME_RE.fullmatch(text)
    if match is None:
        raise CalendarSpecError(f"{field}: {text!r} is not a time in HH:MM or HH:MM:SS form.")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if (hour, minute, second) == (24, 0, 0):
        if not is_end:
            raise CalendarSpecError(f"{field}: 24:00 can only end an interval.")
        return time(0)
    if hour > 23 or minute > 59 or second > 59:
        raise CalendarSpecError(f"{field}: {text!r} is not a valid time of day.")
    if is_end and (hour, minute, second) == (0, 0, 0):
        # In the spec form "00:00" as an end is almost certainly a typo for "24:00"; say so
        # rather than silently reading it as either.
        raise CalendarSpecError(f"{field}: an interval cannot end at 00:00; write 24:00.")
    return time(hour, minute, second)


CALENDAR_TIME = Calendar(time_zone="UTC", hours={}, holidays=frozenset(), always_open=True)
"""Plain calendar time: every instant counts (for targets like "within 30 days")."""


# --------------------------------------------------------------------------------------------
# Engine: the calendar compiled to integer-microsecond instants, one local week at a time
# --------------------------------------------------------------------------------------------


class _Week:
    """The working intervals of one local week (Monday 00:00 to next Monday 00:00).

    ``cum_end[i]`` is the working time from the week start to ``ends[i]``; with it, "how much
    work lies before t" and "where does the n-th microsecond of work fall" are one bisect each,
    and a week that lies wholly inside a span is skipped in O(1) using ``total``.
    """

    __slots__ = ("monday", "start", "end", "starts", "ends", "cum_end", "total")

    def __init__(
        self, monday: int, start: int, end: int, starts: list[int], ends: list[int]
    ) -> None:
        self.monday = monday
        self.start = start
        self.end = end
        self.starts = starts
        self.ends = ends
        running = 0
        cum_end: list[int] = []
        for a, b in zip(starts, ends, strict=True):
            running += b - a
            cum_end.append(running)
        self.cum_end = cum_end
        self.total = running

    def work_before(self, t: int) -> int:
        """Working time in ``[self.start, t)`` for ``t`` inside the week."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        end = self.ends[i]
        return self.cum_end[i] if t >= end else self.cum_end[i] - (end - t)

    def instant_after_work(self, amount: int) -> int:
        """Earliest instant by which ``0 < amount <= total`` of work has elapsed."""
        i = bisect_left(self.cum_end, amount)
        return self.ends[i] - (self.cum_end[i] - amount)


class _Engine:
    # Weeks are immutable functions of the calendar, so they are cached forever; the bound
    # only protects long-running processes that touch centuries of dates.
    _MAX_WEEKS = 4096

    def __init__(self, calendar: Calendar) -> None:
        self.tz = ZoneInfo(calendar.time_zone)
        self.epoch = datetime(1970, 1, 1, tzinfo=self.tz)
        self.always_open = calendar.always_open
        self.days: tuple[tuple[tuple[int, int], ...], ...] = tuple(
            tuple((_time_us(a), _end_us(b)) for a, b in calendar.hours.get(weekday, ()))
            for weekday in range(7)
        )
        self.holidays = frozenset(day.toordinal() for day in calendar.holidays)
        # Beyond the last holiday every week has nominal working time, so a run of empty
        # weeks there can only mean the calendar never opens: that is the infinite-loop guard.
        self.quiet_after = max(self.holidays, default=0) + 7
        self.weeks: dict[int, _Week] = {}

    # -- conversions -------------------------------------------------------------------------

    def to_local(self, u: int) -> datetime:
        return (_EPOCH + _td(u)).astimezone(self.tz)

    def _offset_at(self, u: int) -> timedelta:
        """UTC offset in force at instant ``u``."""
        # Adding to an aware epoch keeps the tzinfo without the cost of datetime.replace().
        offset = self.tz.fromutc(self.epoch + _td(u)).utcoffset()
        assert offset is not None
        return offset

    def resolve(self, ordinal: int, offset_us: int) -> int:
        """The first instant at which the local wall clock reads date+offset or later."""
        local_us = (ordinal - _EPOCH_ORDINAL) * _US_PER_DAY + offset_us
        naive = datetime.fromordinal(ordinal) + _td(offset_us)
        # PEP 495: with fold=0 a repeated time gets the offset of its first occurrence and a
        # skipped time the offset from before the change.
        before = self.tz.utcoffset(naive)
        assert before is not None
        guess = local_us - _delta_us(before)
        if self._offset_at(guess) == before:
            return guess  # the wall clock really reads `naive` at `guess`
        # Skipped time. The change happens strictly after the fold=1 reading and at or before
        # the fold=0 one; zone transitions fall on whole seconds, so bisect over seconds.
        after = self.tz.utcoffset(naive.replace(fold=1))
        assert after is not None
        lo = (local_us - _delta_us(after)) // _US_PER_SECOND
        hi = -(-guess // _US_PER_SECOND)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._offset_at(mid * _US_PER_SECOND) == before:
                lo = mid
            else:
                hi = mid
        return hi * _US_PER_SECOND

    # -- weeks -------------------------------------------------------------------------------

    def week(self, monday: int) -> _Week:
        cached = self.weeks.get(monday)
        if cached is not None:
            return cached
        start = self.resolve(monday, 0)
        end = self.resolve(monday + 7, 0)
        starts: list[int] = []
        ends: list[int] = []
        floor = start
        for weekday in range(7):
            ordinal = monday + weekday
            if ordinal in self.holidays:
                continue
            for open_us, close_us in self.days[weekday]:
                # resolve() is monotonic, so the clamp is only a guard against exotic zone
                # histories; it keeps the intervals sorted and disjoint whatever happens.
                a = max(self.resolve(ordinal, open_us), floor)
                b = self.resolve(ordinal, close_us)
                if b <= a:
                    continue  # wholly inside a skipped hour
                if ends and ends[-1] == a:
                    ends[-1] = b
                else:
                    starts.append(a)
                    ends.append(b)
                floor = b
        built = _Week(monday, start, end, starts, ends)
        if len(self.weeks) >= self._MAX_WEEKS:
            self.weeks.clear()
        self.weeks[monday] = built
        return built

    def week_at(self, u: int) -> _Week:
        local = self.to_local(u)
        wk = self.week(local.toordinal() - local.weekday())
        # The local date almost always names the right week; the loops make the choice exact
        # even where a clock change straddles midnight between Sunday and Monday.
        while u < wk.start:
            wk = self.week(wk.monday - 7)
        while u >= wk.end:
            wk = self.week(wk.monday + 7)
        return wk

    def following(self, wk: _Week, idle: int) -> tuple[_Week, int]:
        """Next week, counting consecutive empty weeks past the last holiday."""
        nxt = self.week(wk.monday + 7)
        if nxt.total == 0 and nxt.monday > self.quiet_after:
            idle += 1
            if idle > 2:
                raise ValueError("the calendar has no working time after this instant.")
        else:
            idle = 0
        return nxt, idle

    # -- queries on integer instants ---------------------------------------------------------

    def work(self, x: int, y: int) -> int:
        """Working time in ``[x, y)``."""
        if y <= x:
            return 0
        if self.always_open:
            return y - x
        wk = self.week_at(x)
        total = 0
        while True:
            if x <= wk.start and y >= wk.end:
                total += wk.total
            else:
                total += wk.work_before(min(y, wk.end)) - wk.work_before(max(x, wk.start))
            if y <= wk.end:
                return total
            wk = self.week(wk.monday + 7)

    def locate(self, x: int, amount: int) -> int:
        """Earliest instant ``t`` with ``work(x, t) == amount``, for ``amount > 0``."""
        if self.always_open:
            return x + amount
        wk = self.week_at(x)
        # Measure from the start of x's week so that whole weeks can be peeled off by total.
        target = wk.work_before(x) + amount
        idle = 0
        while target > wk.total:
            target -= wk.total
            wk, idle = self.following(wk, idle)
        return wk.instant_after_work(target)

    def next_open(self, u: int) -> int:
        if self.always_open:
            return u
        wk = self.week_at(u)
        i = bisect_right(wk.ends, u)
        idle = 0
        while i == len(wk.ends):
            wk, idle = self.following(wk, idle)
            i = 0
        return max(wk.starts[i], u)

    def is_open(self, u: int) -> bool:
        if self.always_open:
            return True
        wk = self.week_at(u)
        i = bisect_right(wk.ends, u)
        return i < len(wk.ends) and wk.starts[i] <= u

    def intervals(self, x: int, y: int) -> Iterator[tuple[int, int]]:
        """Maximal working intervals clipped to ``[x, y)``, merged across week boundaries."""
        if y <= x:
            return
        if self.always_open:
            yield x, y
            return
        wk = self.week_at(x)
        pending: tuple[int, int] | None = None
        i = bisect_right(wk.ends, x)
        while True:
            for a, b in zip(wk.starts[i:], wk.ends[i:], strict=True):
                a = max(a, x)
                if a >= y:
                    break
                b = min(b, y)
                if pending is not None and pending[1] == a:
                    pending = (pending[0], b)
                else:
                    if pending is not None:
                        yield pending
                    pending = (a, b)
            if y <= wk.end:
                break
            wk = self.week(wk.monday + 7)
            i = 0
        if pending is not None:
            yield pending


@lru_cache(maxsize=256)
def _engine_for(calendar: Calendar) -> _Engine:
    # Keyed by value, so equal calendars rebuilt per request (e.g. loaded from the database)
    # still share their compiled weeks.
    return _Engine(calendar)


def _engine(calendar: object) -> _Engine:
    if not isinstance(calendar, Calendar):
        raise TypeError(f"calendar must be a Calendar, got {type(calendar).__name__}.")
    return _engine_for(calendar)


# --------------------------------------------------------------------------------------------
# Argument checking and conversion
# --------------------------------------------------------------------------------------------


def _td(us: int) -> timedelta:
    # Positional (days, seconds, microseconds) with small parts is about twice as fast as
    # timedelta(microseconds=us), and this sits on every hot path.
    seconds, micro = divmod(us, _US_PER_SECOND)
    return timedelta(0, seconds, micro)


def _delta_us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds


def _instant(value: object, name: str) -> int:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware; a naive datetime does not say which instant it is."
        )
    return _delta_us(value - _EPOCH)


def _duration(value: object, name: str) -> int:
    if not isinstance(value, timedelta):
        raise TypeError(f"{name} must be a timedelta, got {type(value).__name__}.")
    us = _delta_us(value)
    if us < 0:
        raise ValueError(f"{name} must not be negative, got {value}.")
    return us


def _pauses(pauses: Iterable[tuple[datetime, datetime]]) -> list[tuple[int, int]]:
    """Validated pauses as their sorted, disjoint union (so nothing is subtracted twice)."""
    spans: list[tuple[int, int]] = []
    for index, pause in enumerate(pauses):
        if isinstance(pause, str | bytes) or not isinstance(pause, Sequence) or len(pause) != 2:
            raise ValueError(f"pauses[{index}] must be a (start, end) pair.")
        a = _instant(pause[0], f"pauses[{index}] start")
        b = _instant(pause[1], f"pauses[{index}] end")
        if b < a:
            raise ValueError(f"pauses[{index}] ends before it starts.")
        if b > a:
            spans.append((a, b))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _due(engine: _Engine, s: int, amount: int, pauses: list[tuple[int, int]]) -> int:
    if amount == 0:
        return s
    # Walk the stretches between pauses; inside each one the calendar alone decides.
    cursor = s
    for pause_start, pause_end in pauses:
        if pause_end <= cursor:
            continue
        if pause_start > cursor:
            available = engine.work(cursor, pause_start)
            if available >= amount:
                return engine.locate(cursor, amount)
            amount -= available
        cursor = pause_end
    return engine.locate(cursor, amount)


def _scaled(duration: timedelta, fraction: object) -> timedelta:
    if isinstance(fraction, bool) or not isinstance(fraction, Real | Decimal):
        raise TypeError(f"fraction must be a number, got {fraction!r}.")
    if isinstance(fraction, float):
        if not math.isfinite(fraction):
            raise ValueError(f"fraction must be finite, got {fraction!r}.")
        # Take the float as the decimal it prints as: 0.7 means 7/10, not the nearest binary
        # double (which is a hair below 0.7 and would make 70 % of 4 h one microsecond short).
        exact = Fraction(repr(fraction))
    else:
        exact = Fraction(fraction)  # type: ignore[arg-type]
    if exact < 0:
        raise ValueError(f"fraction must not be negative, got {fraction!r}.")
    return _td(math.floor(exact * _duration(duration, "duration")))


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def working_intervals(
    start: datetime, end: datetime, calendar: Calendar
) -> Iterator[tuple[datetime, datetime]]:
    """Maximal working intervals overlapping ``[start, end)``, clipped, as UTC datetimes.

    Arguments are checked eagerly (this is not itself a generator), so a naive datetime fails
    at the call, not at the first ``next()``.
    """
    engine = _engine(calendar)
    s, e = _instant(start, "start"), _instant(end, "end")
    if e < s:
        raise ValueError("end must not be before start.")
    return ((_EPOCH + _td(a), _EPOCH + _td(b)) for a, b in engine.intervals(s, e))


def next_opening(instant: datetime, calendar: Calendar) -> datetime:
    """The first working instant at or after ``instant``, in the calendar's time zone."""
    engine = _engine(calendar)
    return engine.to_local(engine.next_open(_instant(instant, "instant")))


def is_working(instant: datetime, calendar: Calendar) -> bool:
    """Whether ``instant`` lies inside working time (openings count, closings do not)."""
    engine = _engine(calendar)
    return engine.is_open(_instant(instant, "instant"))


def elapsed(
    start: datetime,
    end: datetime,
    calendar: Calendar,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> timedelta:
    """Working time in ``[start, end)`` that is not inside any pause."""
    engine = _engine(calendar)
    s, e = _instant(start, "start"), _instant(end, "end")
    if e < s:
        raise ValueError("end must not be before start.")
    total = engine.work(s, e)
    for a, b in _pauses(pauses):
        total -= engine.work(max(a, s), min(b, e))
    return _td(total)


def due_at(
    start: datetime,
    duration: timedelta,
    calendar: Calendar,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> datetime:
    """Earliest instant at which ``duration`` of unpaused working time has elapsed since start.

    A start outside working hours effectively counts from the next opening. ``duration == 0``
    returns ``start`` itself (see the module docstring). The result is in the calendar's zone.
    """
    engine = _engine(calendar)
    s = _instant(start, "start")
    amount = _duration(duration, "duration")
    return engine.to_local(_due(engine, s, amount, _pauses(pauses)))


def warn_at(
    start: datetime,
    duration: timedelta,
    calendar: Calendar,
    fraction: float,
    pauses: Sequence[tuple[datetime, datetime]] = (),
) -> datetime:
    """``due_at`` for ``fraction`` of ``duration``, rounded down to the microsecond."""
    return due_at(start, _scaled(duration, fraction), calendar, pauses)


def escalation_fire_at(
    *,
    start: datetime,
    duration: timedelta,
    calendar: Calendar,
    pauses: Sequence[tuple[datetime, datetime]] = (),
    at_fraction: float | None = None,
    offset: timedelta | None = None,
) -> datetime:
    """When an escalation level fires.

    Either at a fraction of the target (``at_fraction=0.8``) or at an ``offset`` from the due
    instant counted in working time of the same calendar (negative = before due). An offset
    reaching back before the start fires at the start.
    """
    if (at_fraction is None) == (offset is None):
        raise ValueError("give exactly one of at_fraction or offset.")
    if at_fraction is not None:
        return warn_at(start, duration, calendar, at_fraction, pauses)
    assert offset is not None
    if not isinstance(offset, timedelta):
        raise TypeError(f"offset must be a timedelta, got {type(offset).__name__}.")
    _duration(duration, "duration")
    # "n working hours before/after due" is "due of the target shifted by n", because working
    # time is additive along the clock (due_at(due_at(s, a), b) == due_at(s, a + b)).
    return due_at(start, max(duration + offset, timedelta(0)), calendar, pauses)


# --------------------------------------------------------------------------------------------
# Compensation
# --------------------------------------------------------------------------------------------

# Enough precision that amount x days is never rounded before the final quantize.
_MONEY = Context(prec=200, rounding=ROUND_HALF_UP, traps=[InvalidOperation])
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class CompensationRule:
    """An amount per started day of delay beyond due, optionally capped.

    ``cap`` must be a whole number of cents so that rounding the result can never exceed it.
    """

    amount_per_day: Decimal
    currency: str
    cap: Decimal | None
    per: str = "started_day"

    def __post_init__(self) -> None:
        if not isinstance(self.amount_per_day, Decimal) or not self.amount_per_day.is_finite():
            raise ValueError("amount_per_day must be a finite Decimal (never a float).")
        if self.amount_per_day < 0:
            raise ValueError("amount_per_day must not be negative.")
        if not isinstance(self.currency, str) or not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError(
                f"currency must be an ISO 4217 code like 'EUR', got {self.currency!r}."
            )
        if self.cap is not None:
            if not isinstance(self.cap, Decimal) or not self.cap.is_finite() or self.cap < 0:
                raise ValueError("cap must be None or a finite, non-negative Decimal.")
            if _MONEY.quantize(self.cap, _CENT) != self.cap:
                raise ValueError(f"cap must be a whole number of cents, got {self.cap}.")
        if self.per != "started_day":
            raise ValueError(f"per: only 'started_day' is supported, got {self.per!r}.")


def compensation_due(rule: CompensationRule, overdue: timedelta) -> Decimal:
    """Compensation for being ``overdue`` late: amount x started days (1 s late = 1 day), capped.

    Returns a Decimal quantized to cents with ROUND_HALF_UP; zero when not late.
    """
    if not isinstance(rule, CompensationRule):
        raise TypeError(f"rule must be a CompensationRule, got {type(rule).__name__}.")
    if not isinstance(overdue, timedelta):
        raise TypeError(f"overdue must be a timedelta, got {type(overdue).__name__}.")
    late_us = _delta_us(overdue)
    if late_us <= 0:
        return Decimal("0.00")
    started_days = -(-late_us // _US_PER_DAY)
    amount = _MONEY.multiply(rule.amount_per_day, Decimal(started_days))
    if rule.cap is not None and amount > rule.cap:
        amount = rule.cap
    return _MONEY.quantize(amount, _CENT)
