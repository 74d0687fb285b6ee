"""Badges and times for the staff UI and the portal: a word plus a colour, never colour alone."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.core import clock
from aftersales.sla.services import target_label
from aftersales.web import labels

register = template.Library()


@register.simple_tag
def status_badge(status: str):
    return format_html(
        '<span class="badge status-{}">{}</span>', status, labels.status_label(status)
    )


@register.simple_tag
def priority_badge(priority: str):
    return format_html(
        '<span class="badge priority-{}">{}</span>',
        priority,
        labels.label(labels.PRIORITIES, priority),
    )


@register.simple_tag
def category_badge(category: str):
    if not category:
        return ""
    return format_html(
        '<span class="badge category-{}"><strong>{}</strong> {}</span>',
        category,
        category,
        labels.label(labels.CATEGORIES, category),
    )


@register.simple_tag
def reltime(value):
    """A relative time ("3 hours ago") with the exact local time on hover."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        formats.date_format(local, "DATETIME_FORMAT"),
        naturaltime(value),
    )


@register.filter
def type_label(value):
    return labels.label(labels.CASE_TYPES, value)


@register.filter
def channel_label(value):
    return labels.label(labels.CHANNELS, value)


@register.filter
def kind_label(value):
    return labels.label(labels.ENTRY_KINDS, value)


@register.filter
def kind_icon(value):
    return labels.ENTRY_ICONS.get(value, "•")


@register.filter
def role_label(value):
    return labels.label(labels.ROLES, value)


@register.filter
def status_label(value):
    return labels.status_label(value)


# SLA ---------------------------------------------------------------------------------------


def sla_kind(view) -> str:
    """What a reader should make of a clock: on_time, at_risk (past its warn point), breached,
    paused, met, pending (waiting to start) or cancelled."""
    state = str(view.state)
    if state == "running":
        return "at_risk" if view.warn_at and clock.now() >= view.warn_at else "on_time"
    return state


def sla_kind_label(kind: str) -> str:
    return {
        "on_time": _("on time"),
        "at_risk": _("at risk"),
        "breached": _("breached"),
        "paused": _("paused"),
        "met": _("met"),
        "pending": _("waiting to start"),
        "cancelled": _("cancelled"),
    }.get(kind, kind)


def duration_text(seconds: int) -> str:
    """Two largest units: "1 day 2 h", "3 h 20 min", "5 min"."""
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if minutes and not days:
        parts.append(_("%(n)d min") % {"n": minutes})
    return " ".join(parts[:2]) or _("%(n)d min") % {"n": 0}


@register.simple_tag
def sla_badge(view):
    if view is None:
        return ""
    kind = sla_kind(view)
    return format_html('<span class="badge sla-{}">{}</span>', kind, sla_kind_label(kind))


@register.simple_tag
def sla_time(view):
    """Time left ("3 h 20 min left") or past due ("overdue by 1 day 2 h"); none once settled."""
    if view is None or str(view.state) in ("met", "cancelled", "pending"):
        return ""
    if view.overdue_seconds:
        return _("overdue by %(duration)s") % {"duration": duration_text(view.overdue_seconds)}
    if view.remaining_seconds is not None:
        return _("%(duration)s left") % {"duration": duration_text(view.remaining_seconds)}
    return ""


@register.filter
def sla_target(name):
    return target_label(name)
