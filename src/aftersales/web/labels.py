"""Words the staff UI shows for the domain's fixed values, in the user's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.cases.rules import STATUS_LABELS, CaseType, Channel, EntryKind, Priority

CASE_TYPES = {
    CaseType.REPAIR: _("repair"),
    CaseType.INSTALLATION: _("installation"),
    CaseType.TECHNICAL_GUIDANCE: _("technical guidance"),
    CaseType.COMPLAINT: _("complaint"),
    CaseType.TRAINING: _("training request"),
    CaseType.SAMPLE_TEST: _("sample test"),
    CaseType.MARKETING_SUPPORT: _("marketing support"),
    CaseType.DELIVERY: _("delivery commitment"),
    CaseType.OTHER: _("other"),
}

CHANNELS = {
    Channel.PHONE: _("phone"),
    Channel.EMAIL: _("e-mail"),
    Channel.WEB: _("web"),
    Channel.WALK_IN: _("walk-in"),
    Channel.PARTNER: _("partner"),
    Channel.API: _("API"),
}

PRIORITIES = {
    Priority.LOW: _("low"),
    Priority.NORMAL: _("normal"),
    Priority.HIGH: _("high"),
    Priority.URGENT: _("urgent"),
}

ENTRY_KINDS = {
    EntryKind.CALL: _("call"),
    EntryKind.EMAIL: _("e-mail"),
    EntryKind.NOTE: _("note"),
    EntryKind.MESSAGE: _("message to customer"),
    EntryKind.CONTACT: _("customer contact"),
    EntryKind.STATUS_CHANGE: _("status"),
    EntryKind.HANDOFF: _("handoff"),
    EntryKind.SYSTEM: _("system"),
}

# A glyph beside the word, for scanning a long timeline (the word is always there too).
ENTRY_ICONS = {
    EntryKind.CALL: "☎",
    EntryKind.EMAIL: "✉",
    EntryKind.NOTE: "✎",
    EntryKind.MESSAGE: "➤",
    EntryKind.CONTACT: "☺",
    EntryKind.STATUS_CHANGE: "◆",
    EntryKind.HANDOFF: "⇄",
    EntryKind.SYSTEM: "⚙",
}

CATEGORIES = {
    "A": _("paid service"),
    "B": _("contract service"),
    "C": _("free (warranty) service"),
    "D": _("internal work"),
}

ROLES = {
    "admin": _("administrator"),
    "manager": _("manager"),
    "supervisor": _("supervisor"),
    "agent": _("agent"),
    "technician": _("technician"),
    "warehouse": _("warehouse"),
    "partner": _("partner"),
}

PRIORITY_ORDER = [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW]


def label(mapping: dict, value) -> str:
    """The word for `value`, or the value itself when it is not one the UI knows."""
    if value is None:
        return ""
    return str(mapping.get(value, str(value).replace("_", " ")))


def status_label(value: str) -> str:
    return label(STATUS_LABELS, value)
