"""Badges and times for the staff UI and the portal: a word plus a colour, never colour alone."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import formats, timezone
from django.utils.html import format_html

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
