"""Every installation starts with the service levels of DOMAIN.md, editable afterwards:
calendars `24x7` and `office` (Mon-Fri 09:00-18:00 Europe/Madrid), and one policy per request
type with a default for the rest. See docs/decisions/0005-sla-clocks.md."""

from decimal import Decimal

from django.db import migrations

HOUR = 3600
DAY = 24 * HOUR
OFFICE_DAY = 9 * HOUR  # one working day of the `office` calendar


def ladder(after_due: int) -> list[dict]:
    return [
        {"fraction": "0.8", "actions": ["notify_owner"]},
        {"fraction": "1", "actions": ["notify_supervisor", "raise_priority"]},
        {"offset_seconds": after_due, "actions": ["notify_manager", "reassign"]},
    ]


def calendar_target(name, seconds, **extra):
    return {"name": name, "duration_seconds": seconds, "time_basis": "calendar",
            "calendar": None, "levels": ladder(DAY), **extra}


def office_target(name, seconds, **extra):
    return {"name": name, "duration_seconds": seconds, "time_basis": "business",
            "calendar": "office", "levels": ladder(OFFICE_DAY), **extra}


OFFICE_FIRST_RESPONSE = office_target("first_response", 8 * HOUR)

POLICIES = [
    {
        "name": "Complaints", "precedence": 10, "case_types": ["complaint"],
        "description": "Complaint: answered within 24 h, resolved within one month (30 days).",
        "targets": [calendar_target("first_response", 24 * HOUR),
                    calendar_target("resolution", 30 * DAY)],
    },
    {
        "name": "Hotline questions", "precedence": 20, "case_types": ["technical_guidance"],
        "description": "Any question on the hotline: answered within 4 hours, 24 hours a day; "
                       "guidance completed within 10 days.",
        "targets": [{"name": "first_response", "duration_seconds": 4 * HOUR,
                     "time_basis": "business", "calendar": "24x7", "levels": ladder(DAY)},
                    calendar_target("resolution", 10 * DAY)],
    },
    {
        "name": "Delivery after payment", "precedence": 30, "case_types": ["delivery"],
        "description": "Shipped within 2 days of payment; a late shipment earns 10.00 EUR per "
                       "started day of delay, at most 100.00 EUR.",
        "targets": [OFFICE_FIRST_RESPONSE,
                    calendar_target("ship_after_payment", 2 * DAY,
                                    start_event="payment_recorded", stop_event="shipped",
                                    compensation={"amount_per_day": "10.00", "currency": "EUR",
                                                  "cap": "100.00", "per": "started_day"})],
    },
    {
        "name": "Training requests", "precedence": 40, "case_types": ["training"],
        "description": "Training carried out within one month (30 days).",
        "targets": [OFFICE_FIRST_RESPONSE, calendar_target("resolution", 30 * DAY)],
    },
    {
        "name": "Sample tests", "precedence": 50, "case_types": ["sample_test"],
        "description": "Result within 24 h of receiving the sample (event sample_received).",
        "targets": [OFFICE_FIRST_RESPONSE,
                    calendar_target("resolution", 24 * HOUR, start_event="sample_received")],
    },
    {
        "name": "Marketing support", "precedence": 60, "case_types": ["marketing_support"],
        "description": "Marketing support request completed within 20 days.",
        "targets": [OFFICE_FIRST_RESPONSE, calendar_target("resolution", 20 * DAY)],
    },
    {
        "name": "Standard service", "precedence": 1000, "is_default": True,
        "description": "Everything else: first response within 8 office hours, resolution "
                       "within 10 office days (90 office hours).",
        "targets": [OFFICE_FIRST_RESPONSE, office_target("resolution", 10 * OFFICE_DAY)],
    },
]


def create(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    Policy = apps.get_model("sla", "Policy")
    Target = apps.get_model("sla", "Target")
    calendars = {}
    for code, fields in {
        "24x7": {"name": "Always open", "time_zone": "Europe/Madrid", "hours": {},
                 "holidays": [], "always_open": True},
        "office": {"name": "Office hours", "time_zone": "Europe/Madrid",
                   "hours": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
                   "holidays": [], "always_open": False},
    }.items():
        calendars[code], _ = BusinessCalendar.objects.get_or_create(code=code, defaults=fields)
    for spec in POLICIES:
        if Policy.objects.filter(name=spec["name"]).exists():
            continue
        if spec.get("is_default") and Policy.objects.filter(is_default=True).exists():
            continue
        policy = Policy.objects.create(
            name=spec["name"], description=spec["description"], precedence=spec["precedence"],
            is_default=spec.get("is_default", False), case_types=spec.get("case_types", []),
            pause_statuses=["waiting_customer"],
        )
        for target in spec["targets"]:
            name = target["name"]
            Target.objects.create(
                policy=policy,
                name=name,
                duration_seconds=target["duration_seconds"],
                time_basis=target["time_basis"],
                calendar=calendars[target["calendar"]] if target["calendar"] else None,
                warn_fraction=Decimal("0.800"),
                start_event=target.get("start_event", "case_opened"),
                stop_event=target.get(
                    "stop_event", "first_response" if name == "first_response" else "resolved"
                ),
                escalation_levels=target["levels"],
                compensation=target.get("compensation"),
            )


def remove(apps, schema_editor):
    Policy = apps.get_model("sla", "Policy")
    Policy.objects.filter(name__in=[p["name"] for p in POLICIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
