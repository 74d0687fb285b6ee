"""The outbox's decisions: when to try a failed message again, when to give up, which language and
which template a message is written in. Pure: no ORM, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a worker until claimed_until
    SENT = "sent"
    FAILED = "failed"  # gave up: last_error says why


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


class Event(StrEnum):
    """The events that ship with templates. Other event names are accepted and get the generic
    template, so a new caller never loses a message for want of wording."""

    SLA_WARNING = "sla.warning"
    SLA_BREACHED = "sla.breached"
    SLA_ESCALATED = "sla.escalated"
    CASE_OPENED = "case.opened"
    CASE_MESSAGE = "case.message"
    CASE_STATUS_CHANGED = "case.status_changed"


# Statuses the sweep looks at: due pending rows, and sending rows whose lease ran out.
OPEN_STATUSES = (Status.PENDING, Status.SENDING)

# Waits after the 1st, 2nd, ... failed attempt. Deterministic (no jitter): the sweep runs once a
# minute, which spreads retries enough, and a fixed schedule is what an operator can reason about.
BACKOFF: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
# The first attempt plus one per wait: about 14 h 36 min from the first failure to giving up.
MAX_ATTEMPTS = len(BACKOFF) + 1


def next_attempt_after(attempts: int, schedule: Sequence[timedelta] = BACKOFF) -> timedelta | None:
    """How long to wait after `attempts` attempts (counting the one that just failed) before the
    next; None when that was the last one and the message is `failed`."""
    if attempts < 1:
        raise ValueError("attempts counts the attempt that failed, so it is at least 1")
    if attempts > len(schedule):
        return None
    return schedule[attempts - 1]


def retry_at(attempts: int, failed_at: datetime) -> datetime | None:
    wait = next_attempt_after(attempts)
    return None if wait is None else failed_at + wait


def is_permanent_http_status(status: int) -> bool:
    """A client error the receiver will answer again however often we ask (404, 410, 422...).
    Timeouts and rate limits are client errors that do pass, so they are retried."""
    return 400 <= status < 500 and status not in (408, 425, 429)


# Lower-case dotted words: `sla.warning`. The event becomes part of a template path, so nothing
# that could climb out of the notifications folder (`..`, `/`) gets through.
EVENT_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
GENERIC = "_generic"


def is_valid_event(event: str) -> bool:
    return len(event) <= 60 and EVENT_PATTERN.match(event) is not None


def pick_language(requested: str | None, supported: Iterable[str], default: str) -> str:
    """The supported language closest to the one asked for: `es-ES`, `ES` and `es_MX` are `es`;
    anything unsupported or empty is the default."""
    codes = {code.lower() for code in supported}
    wanted = (requested or "").strip().lower().replace("_", "-")
    if wanted in codes:
        return wanted
    base = wanted.split("-", 1)[0]
    return base if base in codes else default


def template_names(
    event: str, language: str, part: str, fallback_language: str = "en"
) -> list[str]:
    """Templates to try, best first: the event in the language, the event in the fallback
    language (a translation not written yet), then the generic message in each."""
    names = []
    for folder in (event, GENERIC):
        for lang in (language, fallback_language):
            name = f"notifications/{folder}/{lang}.{part}.txt"
            if name not in names:
                names.append(name)
    return names


def one_line(text: str, limit: int) -> str:
    """A subject is a single header line: newlines would be refused by the mail library (and
    are a header-injection vector), so all whitespace runs become one space."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def error_text(exc: BaseException, limit: int = 2000) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
