"""Calendar-date arithmetic shared by every rule that counts months or days."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the last day of the target month.

    31 January + 1 month is 28 (or 29) February, never 3 March: warranty terms
    are read that way by customers and by the law.
    """
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)
