"""Configuration screens: calendars and policies (with their targets); clocks and
compensation lines read-only, for looking things up."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from aftersales.sla import engine, rules
from aftersales.sla.models import BusinessCalendar, Clock, CompensationLine, Policy, Target


class CalendarForm(forms.ModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ["code", "name", "time_zone", "hours", "holidays", "always_open"]

    def clean(self):
        data = super().clean()
        try:
            spec = engine.calendar_spec(
                time_zone=data.get("time_zone") or "",
                hours=data.get("hours") or {},
                holidays=data.get("holidays") or [],
                always_open=bool(data.get("always_open")),
            )
        except rules.CalendarSpecError as exc:
            raise forms.ValidationError(str(exc)) from None
        data["hours"], data["holidays"] = spec["hours"], spec["holidays"]
        return data


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = CalendarForm
    list_display = ["code", "name", "time_zone", "always_open"]
    search_fields = ["code", "name"]


class TargetForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = [
            "name",
            "duration_seconds",
            "time_basis",
            "calendar",
            "warn_fraction",
            "start_event",
            "stop_event",
            "escalation_levels",
            "compensation",
        ]

    def clean(self):
        data = super().clean()
        try:
            for index, raw in enumerate(data.get("escalation_levels") or []):
                engine.Level.from_json(raw, f"escalation_levels[{index}]")
            engine.compensation_rule(data.get("compensation"))
        except engine.SnapshotError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


class TargetInline(admin.StackedInline):
    model = Target
    form = TargetForm
    extra = 0


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "precedence", "is_default", "active", "version"]
    list_filter = ["active", "is_default"]
    search_fields = ["name"]
    inlines = [TargetInline]
    readonly_fields = ["version"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Clock)
class ClockAdmin(ReadOnlyAdmin):
    list_display = ["case", "target", "state", "started_at", "due_at", "stopped_at"]
    list_filter = ["state", "target"]
    raw_id_fields = ["case"]
    search_fields = ["case__id"]


@admin.register(CompensationLine)
class CompensationLineAdmin(ReadOnlyAdmin):
    list_display = ["case", "target", "amount", "currency", "created_at"]
    raw_id_fields = ["case", "clock"]
    verbose_name = _("compensation line")
