"""Badges and words for work orders: a word plus a colour, never colour alone."""

from __future__ import annotations

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from aftersales.workorders import rules

register = template.Library()


def _label(mapping: dict, value) -> str:
    try:
        return str(mapping[type(next(iter(mapping)))(value)])
    except (ValueError, KeyError, StopIteration):
        return str(value or "")


@register.simple_tag
def wo_status_badge(status: str):
    return format_html(
        '<span class="badge wo-status status-{}">{}</span>',
        status,
        _label(rules.STATUS_LABELS, status),
    )


@register.filter
def wo_status_label(value) -> str:
    return _label(rules.STATUS_LABELS, value)


@register.filter
def wo_kind_label(value) -> str:
    return _label(rules.KIND_LABELS, value)


@register.filter
def result_label(value) -> str:
    return _label(rules.RESULT_LABELS, value) if value else ""


@register.filter
def custody_label(value) -> str:
    return _label(rules.CUSTODY_LABELS, value)


def window_text(start, end) -> str:
    """ "03/03/2026, 09:00–11:00" in the current language and time zone."""
    if start is None:
        return ""
    start = timezone.localtime(start)
    day = formats.date_format(start, "SHORT_DATE_FORMAT")
    text = f"{day}, {formats.time_format(start, 'H:i')}"
    if end is not None:
        text += f"–{formats.time_format(timezone.localtime(end), 'H:i')}"
    return text


@register.simple_tag
def wo_window(wo):
    if wo.window_start is None:
        return format_html('<span class="muted">{}</span>', _("not scheduled"))
    return window_text(wo.window_start, wo.window_end)


@register.filter
def minutes_text(minutes) -> str:
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": rest}
    return _("%(m)d min") % {"m": rest}
