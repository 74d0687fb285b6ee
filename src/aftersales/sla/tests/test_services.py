from __future__ import annotations

import importlib
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from aftersales.cases import services as cases
from aftersales.cases.models import Case, TimelineEntry
from aftersales.core.errors import Conflict, Invalid
from aftersales.notifications.models import OutboxMessage
from aftersales.sla import selectors, services
from aftersales.sla.models import Clock, CompensationLine, Policy
from aftersales.sla.services import TargetInput
from aftersales.sla.tests.conftest import MADRID, MONDAY_10

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
D = timedelta(days=1)


def clocks(case) -> dict[str, Clock]:
    return {c.target: c for c in Clock.objects.filter(case=case)}


def views(case, now=None) -> dict:
    return {v.target: v for v in selectors.clock_views(case, now=now)}


def move(case, *statuses: str, actor=None) -> None:
    for status in statuses:
        cases.case_change_status(number=case.number, actor=actor, status=status)


def sla_entries(case) -> list[TimelineEntry]:
    """The entries the escalation levels and missed targets wrote."""
    return [
        e
        for e in TimelineEntry.objects.filter(case=case).order_by("id")
        if str(e.data.get("event", "")).startswith("sla.")
        and e.data.get("event") != "sla.compensation"
    ]


# Starting ----------------------------------------------------------------------------------


def test_default_policy_set_exists_after_migrations():
    names = set(Policy.objects.values_list("name", flat=True))
    assert {
        "Complaints",
        "Hotline questions",
        "Delivery after payment",
        "Standard service",
    } <= names
    assert Policy.objects.get(is_default=True).name == "Standard service"


@pytest.mark.parametrize(
    "case_type,expected",
    [
        # complaint: 24 h and one month (30 days) of real time; summer time starts on 29 March,
        # so the wall clock in Madrid reads 11:00 when the 30 days are up.
        (
            "complaint",
            {
                "first_response": ("running", datetime(2026, 3, 3, 10, 0)),
                "resolution": ("running", datetime(2026, 4, 1, 11, 0)),
            },
        ),
        # hotline: 4 h on the 24x7 calendar
        (
            "technical_guidance",
            {
                "first_response": ("running", datetime(2026, 3, 2, 14, 0)),
                "resolution": ("running", datetime(2026, 3, 12, 10, 0)),
            },
        ),
        # default: 8 office hours (Mon 10:00 -> Mon 18:00); 90 office hours = 10 office days
        (
            "repair",
            {
                "first_response": ("running", datetime(2026, 3, 2, 18, 0)),
                "resolution": ("running", datetime(2026, 3, 16, 10, 0)),
            },
        ),
        # delivery: the shipment clock waits for the payment
        (
            "delivery",
            {
                "first_response": ("running", datetime(2026, 3, 2, 18, 0)),
                "ship_after_payment": ("pending", None),
            },
        ),
        (
            "sample_test",
            {
                "first_response": ("running", datetime(2026, 3, 2, 18, 0)),
                "resolution": ("pending", None),
            },
        ),
        (
            "marketing_support",
            {
                "first_response": ("running", datetime(2026, 3, 2, 18, 0)),
                "resolution": ("running", datetime(2026, 3, 22, 10, 0)),
            },
        ),
        (
            "training",
            {
                "first_response": ("running", datetime(2026, 3, 2, 18, 0)),
                "resolution": ("running", datetime(2026, 4, 1, 11, 0)),
            },
        ),
    ],
)
def test_opening_a_case_starts_the_clocks_of_its_policy(at, open_case, case_type, expected):
    at(MONDAY_10)
    case = open_case(case_type)
    got = {
        name: (c.state, c.due_at.astimezone(MADRID).replace(tzinfo=None) if c.due_at else None)
        for name, c in clocks(case).items()
    }
    assert got == expected


def test_a_reused_case_gets_no_second_set_of_clocks(at, people, world):
    at(datetime.now(UTC))
    first, _ = cases.case_open(
        actor=people["agent"].user,
        type="repair",
        channel="phone",
        serial_number="SN-ES-1",
        summary="Noise",
    )
    again, reused = cases.case_open(
        actor=people["agent"].user,
        type="repair",
        channel="email",
        serial_number="SN-ES-1",
        summary="Noise again",
    )
    assert reused and again.pk == first.pk
    assert Clock.objects.filter(case=first).count() == 2


def test_policy_matching_by_tier_and_precedence(at, open_case, customer):
    services.policy_create(
        name="Key accounts",
        precedence=5,
        tiers=["key_account"],
        targets=[TargetInput(name="resolution", duration=timedelta(hours=48))],
    )
    at(MONDAY_10)
    assert clocks(open_case("complaint"))["resolution"].due_at == MONDAY_10 + 30 * D
    customer.tier = "key_account"
    customer.save()
    key_case = open_case("complaint")
    assert set(clocks(key_case)) == {"resolution"}
    assert clocks(key_case)["resolution"].due_at == MONDAY_10 + 48 * H


def test_right_after_creation_nothing_reads_breached(at, open_case):
    at(MONDAY_10)
    case = open_case("complaint")
    for view in views(case).values():
        assert view.state == "running" and not view.breached
        assert view.remaining_seconds == view.duration_seconds


# Pausing -----------------------------------------------------------------------------------


def test_waiting_for_the_customer_pauses_and_shifts_due_exactly(at, open_case):
    at(MONDAY_10)
    case = open_case("complaint")
    due = clocks(case)["resolution"].due_at
    at(MONDAY_10 + 2 * H)
    move(case, "in_progress", "waiting_customer")
    paused = clocks(case)["resolution"]
    assert paused.state == "paused" and paused.due_at is None and paused.next_escalation_at is None
    assert views(case)["resolution"].remaining_seconds == int((30 * D - 2 * H).total_seconds())
    at(MONDAY_10 + 9 * H)
    move(case, "in_progress")
    resumed = clocks(case)["resolution"]
    assert resumed.state == "running"
    assert resumed.due_at == due + 7 * H
    assert resumed.paused_seconds == 7 * 3600


def test_a_pause_over_the_weekend_counts_only_the_office_hours_it_covered(at, open_case):
    """Frappe added the hold time to the creation time; here the pause is removed in business
    time: Fri 17:00 -> Mon 10:00 covers 2 office hours (Fri 17-18, Mon 9-10)."""
    at(MONDAY_10)
    case = open_case("repair")
    due = clocks(case)["resolution"].due_at
    at(datetime(2026, 3, 6, 17, 0, tzinfo=MADRID))
    move(case, "in_progress", "waiting_customer")
    at(datetime(2026, 3, 9, 10, 0, tzinfo=MADRID))
    move(case, "in_progress")
    assert clocks(case)["resolution"].due_at == due + 2 * H
    assert due.astimezone(MADRID) == datetime(2026, 3, 16, 10, 0, tzinfo=MADRID)


def test_a_custom_pause_status_is_honoured(at, open_case):
    policy = Policy.objects.get(name="Complaints")
    services.policy_update(
        policy_id=policy.pk, pause_statuses=["waiting_customer", "waiting_parts"]
    )
    at(MONDAY_10)
    case = open_case("complaint")
    move(case, "in_progress", "waiting_parts")
    assert clocks(case)["resolution"].state == "paused"


# Stopping ----------------------------------------------------------------------------------


def test_first_response_is_met_by_a_customer_visible_message(at, open_case, people):
    at(MONDAY_10)
    case = open_case("complaint")
    at(MONDAY_10 + 1 * H)
    cases.case_add_entry(number=case.number, actor=people["agent"].user, kind="note", body="x")
    assert clocks(case)["first_response"].state == "running"
    at(MONDAY_10 + 2 * H)
    cases.case_add_entry(
        number=case.number, actor=people["agent"].user, kind="message", body="We are on it"
    )
    c = clocks(case)["first_response"]
    assert (c.state, c.stopped_at) == ("met", MONDAY_10 + 2 * H)
    assert clocks(case)["resolution"].state == "running"
    assert views(case)["first_response"].remaining_seconds == 22 * 3600


def test_resolution_is_met_on_resolved_and_breached_when_late(at, open_case):
    at(MONDAY_10)
    on_time, late = open_case("complaint"), open_case("marketing_support")
    at(MONDAY_10 + 21 * D)
    move(on_time, "in_progress", "resolved")
    move(late, "in_progress", "resolved")
    assert clocks(on_time)["resolution"].state == "met"
    assert clocks(late)["resolution"].state == "breached"
    assert views(late)["resolution"].overdue_seconds == 86400
    assert any(e.data.get("event") == "sla.missed" for e in sla_entries(late))


def test_reopening_resumes_the_resolution_clock_and_never_turns_met_into_breach(at, open_case):
    at(MONDAY_10)
    case = open_case("complaint")
    at(MONDAY_10 + 1 * D)
    move(case, "in_progress", "resolved")
    assert clocks(case)["resolution"].state == "met"
    # Reopened long after the original due: the time spent resolved does not count.
    at(MONDAY_10 + 40 * D)
    move(case, "in_progress")
    c = clocks(case)["resolution"]
    view = views(case)["resolution"]
    assert c.state == "running" and view.state == "running" and not view.breached
    assert c.due_at == MONDAY_10 + 40 * D + 29 * D
    assert view.remaining_seconds == int((29 * D).total_seconds())
    # The first response was stopped by the resolution and stays stopped.
    assert clocks(case)["first_response"].state == "met"


def test_cancelling_a_case_cancels_its_clocks(at, open_case):
    at(MONDAY_10)
    case = open_case("complaint")
    move(case, "cancelled")
    assert {c.state for c in clocks(case).values()} == {"cancelled"}
    assert Clock.objects.filter(case=case, next_escalation_at__isnull=False).count() == 0


# Policy snapshots --------------------------------------------------------------------------


def test_editing_a_policy_changes_new_clocks_only(at, open_case):
    at(MONDAY_10)
    before = open_case("complaint")
    policy = Policy.objects.get(name="Complaints")
    services.policy_update(
        policy_id=policy.pk,
        targets=[TargetInput(name="resolution", duration=timedelta(days=10))],
    )
    after = open_case("complaint")
    assert clocks(before)["resolution"].due_at == MONDAY_10 + 30 * D
    assert set(clocks(before)) == {"first_response", "resolution"}
    assert clocks(after)["resolution"].due_at == MONDAY_10 + 10 * D
    assert set(clocks(after)) == {"resolution"}
    # The old clock keeps counting against its snapshot through pauses too.
    at(MONDAY_10 + H)
    move(before, "in_progress", "waiting_customer")
    at(MONDAY_10 + 2 * H)
    move(before, "in_progress")
    assert clocks(before)["resolution"].due_at == MONDAY_10 + 30 * D + H
    assert Policy.objects.get(pk=policy.pk).version == 2


def test_editing_a_calendar_changes_new_clocks_only(at, open_case):
    at(MONDAY_10)
    before = open_case("repair")
    services.calendar_update(code="office", hours={"mon": [["09:00", "11:00"]]})
    after = open_case("repair")
    assert clocks(before)["first_response"].due_at == datetime(2026, 3, 2, 18, 0, tzinfo=MADRID)
    # 1 h left on Monday, then 2 h on each following Monday: 1 + 2 + 2 + 2 + 1.
    assert clocks(after)["first_response"].due_at == datetime(2026, 3, 30, 10, 0, tzinfo=MADRID)


def test_a_change_written_by_another_process_is_seen_by_the_next_case(at, open_case):
    """The parsed policies are reused only while the stored rows are equal: a row changed
    behind this process's back (no version bump, same updated_at) still counts at once."""
    at(MONDAY_10)
    before = open_case("complaint")
    policy = Policy.objects.get(name="Complaints")
    policy.targets.filter(name="resolution").update(duration_seconds=5 * 86400)
    after = open_case("complaint")
    assert clocks(before)["resolution"].due_at == MONDAY_10 + 30 * D
    assert clocks(after)["resolution"].due_at == MONDAY_10 + 5 * D
    # Switched off the same way: complaints fall to the default policy, as repairs do.
    Policy.objects.filter(pk=policy.pk).update(active=False)
    complaint, repair = clocks(open_case("complaint")), clocks(open_case("repair"))
    assert complaint["resolution"].snapshot_id == repair["resolution"].snapshot_id


# Named events ------------------------------------------------------------------------------


def test_a_named_event_starts_the_clock_waiting_for_it(at, open_case, people):
    at(MONDAY_10)
    case = open_case("delivery")
    assert clocks(case)["ship_after_payment"].state == "pending"
    at(MONDAY_10 + 5 * H)
    result = services.clock_event(case=case, event="payment_recorded", actor=people["agent"].user)
    assert result == {"started": ["ship_after_payment"], "stopped": []}
    ship = clocks(case)["ship_after_payment"]
    assert ship.state == "running" and ship.started_at == MONDAY_10 + 5 * H
    assert ship.due_at == MONDAY_10 + 5 * H + 2 * D
    # Recording the same event again changes nothing more.
    again = services.clock_event(case=case, event="payment_recorded")
    assert again == {"started": [], "stopped": []}
    assert TimelineEntry.objects.filter(case=case, data__event="payment_recorded").count() == 2


def test_built_in_and_malformed_events_are_refused(open_case):
    case = open_case("delivery")
    for bad in ("resolved", "first_response", "case_opened", "Payment Recorded", ""):
        with pytest.raises(Invalid):
            services.clock_event(case=case, event=bad)
    move(case, "cancelled")
    with pytest.raises(Conflict):
        services.clock_event(case=case, event="payment_recorded")


def test_a_late_stop_records_compensation_visible_to_the_customer(at, open_case, client):
    at(MONDAY_10)
    case = open_case("delivery")
    services.clock_event(case=case, event="payment_recorded")
    at(MONDAY_10 + 3 * D + H)  # 1 day and 1 hour late: 2 started days
    services.clock_event(case=case, event="shipped")
    ship = clocks(case)["ship_after_payment"]
    assert ship.state == "breached"
    line = CompensationLine.objects.get(case=case)
    assert (line.amount, line.currency, line.overdue_seconds) == (
        Decimal("20.00"),
        "EUR",
        25 * 3600,
    )
    assert line.visible_to_customer
    tracked = client.get("/api/v1/track", {"number": case.number, "contact": "lucia@example.com"})
    assert tracked.status_code == 200
    texts = [e["text"] for e in tracked.json()["timeline"]]
    assert any("20.00 EUR" in text for text in texts), texts
    [owed] = tracked.json()["compensation"]
    assert (owed["amount"], owed["currency"]) == ("20.00", "EUR")


def test_compensation_is_capped_and_not_paid_twice_after_reopening(at, open_case):
    at(MONDAY_10)
    case = open_case("delivery")
    services.clock_event(case=case, event="payment_recorded")
    at(MONDAY_10 + 20 * D)
    services.clock_event(case=case, event="shipped")
    assert CompensationLine.objects.get(case=case).amount == Decimal("100.00")
    assert selectors.compensation_lines(case, customer_only=True).count() == 1


def test_an_on_time_stop_owes_nothing(at, open_case):
    at(MONDAY_10)
    case = open_case("delivery")
    services.clock_event(case=case, event="payment_recorded")
    at(MONDAY_10 + 2 * D)
    services.clock_event(case=case, event="shipped")
    assert clocks(case)["ship_after_payment"].state == "met"
    assert not CompensationLine.objects.filter(case=case).exists()


# Escalation --------------------------------------------------------------------------------


def test_escalation_levels_fire_once_each_with_their_actions(at, open_case, staff_emails):
    at(MONDAY_10)
    case = open_case("complaint")  # owner: agent; first response 24 h, resolution 30 d
    assert services.escalation_sweep() == 0
    # 80 % of 24 h: the owner is warned.
    at(MONDAY_10 + timedelta(hours=19, minutes=12))
    assert services.escalation_sweep() == 1
    assert services.escalation_sweep() == 0
    warning = OutboxMessage.objects.get(event="sla.warning")
    assert warning.recipient == "agent@brand.example"
    assert warning.context["case_number"] == case.number
    assert warning.context["target"] == "first response"
    assert warning.context["level"] == "80 %"
    # 100 %: the supervisor hears, the priority goes up; the breach is on the timeline.
    at(MONDAY_10 + 24 * H + timedelta(seconds=1))
    assert services.escalation_sweep() == 1
    assert OutboxMessage.objects.get(event="sla.breached").recipient == "supervisor@brand.example"
    assert Case.objects.get(pk=case.pk).priority == "high"
    assert views(case)["first_response"].state == "breached"
    # due + 24 h: the manager hears and a supervisor takes the case.
    at(MONDAY_10 + 48 * H)
    assert services.escalation_sweep() == 1
    assert OutboxMessage.objects.get(event="sla.escalated").recipient == "manager@brand.example"
    assert Case.objects.get(pk=case.pk).owner.username == "supervisor"
    entries = sla_entries(case)
    assert [e.data["event"] for e in entries] == ["sla.warning", "sla.breached", "sla.escalated"]
    assert entries[0].body == (
        "SLA first response: 80 % of the time used (due 2026-03-03 09:00 UTC)."
    )
    assert entries[2].data["actions"] == ["notify_manager", "reassign"]
    assert services.escalation_sweep() == 0
    assert OutboxMessage.objects.filter(case_id=case.pk).count() == 3


def test_a_late_sweep_fires_every_level_that_has_come_due(at, open_case, staff_emails):
    at(MONDAY_10)
    case = open_case("complaint")
    at(MONDAY_10 + 3 * D)
    assert services.escalation_sweep() == 3
    assert services.escalation_sweep() == 0
    assert Clock.objects.get(case=case, target="first_response").next_escalation_at is None
    assert [e.data["level"] for e in sla_entries(case)] == [0, 1, 2]


def test_paused_and_stopped_clocks_do_not_escalate(at, open_case, people, staff_emails):
    at(MONDAY_10)
    paused, stopped = open_case("complaint"), open_case("complaint")
    move(paused, "in_progress", "waiting_customer")
    cases.case_add_entry(
        number=stopped.number, actor=people["agent"].user, kind="message", body="Hi"
    )
    move(stopped, "in_progress", "resolved")
    at(MONDAY_10 + 60 * D)
    assert services.escalation_sweep() == 0


def test_a_stale_claim_is_refused(at, open_case):
    """Two workers read the same due row; the conditional UPDATE lets only one claim it."""
    at(MONDAY_10)
    case = open_case("complaint")
    c = Clock.objects.get(case=case, target="first_response")
    old = c.next_escalation_at
    later = old + H
    assert services._claim([(c.pk, 1, later, old)]) == {c.pk}
    assert services._claim([(c.pk, 1, later, old)]) == set()
    c.refresh_from_db()
    assert (c.levels_fired, c.next_escalation_at) == (1, later)


def test_sweep_runs_twice_in_a_row_fire_nothing_twice(at, open_case, staff_emails):
    at(MONDAY_10)
    made = [open_case("complaint") for _ in range(5)]
    at(MONDAY_10 + 20 * H)
    assert services.escalation_sweep(batch_size=2) == 5
    assert services.escalation_sweep(batch_size=2) == 0
    assert OutboxMessage.objects.filter(event="sla.warning").count() == 5
    assert all(len(sla_entries(case)) == 1 for case in made)


@pytest.fixture
def default_policies(transactional_db):
    """An earlier transactional test (of any app) empties every table when it ends, the rows of
    the data migration included: put the default policy set back."""
    from django.apps import apps

    migration = importlib.import_module("aftersales.sla.migrations.0002_default_policies")
    migration.create(apps, None)


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_fire_each_level_exactly_once(
    default_policies, at, open_case, staff_emails
):
    at(MONDAY_10)
    made = [open_case("complaint") for _ in range(12)]
    at(MONDAY_10 + 20 * H)
    barrier = threading.Barrier(3)
    fired: list[int] = []
    failures: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            fired.append(services.escalation_sweep(batch_size=4))
        except BaseException as exc:  # surfaced below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert sum(fired) == 12
    assert OutboxMessage.objects.filter(event="sla.warning").count() == 12
    assert all(len(sla_entries(case)) == 1 for case in made)


# Readers -----------------------------------------------------------------------------------


def test_at_risk_lists_running_clocks_past_warning_soonest_first(at, open_case, people):
    at(MONDAY_10)
    complaint = open_case("complaint")
    hotline = open_case("technical_guidance")
    partner_case = open_case("complaint", actor="partner_a")
    open_case("repair")
    at(MONDAY_10 + 20 * H)  # hotline (4 h) breached; complaints (24 h) past 80 %
    items, cursor = selectors.at_risk(people["admin"].user, limit=10)
    got = [(i.case.pk, i.clock.target, i.clock.state) for i in items]
    assert got[0] == (hotline.pk, "first_response", "breached")
    assert (complaint.pk, "first_response", "running") in got
    assert (partner_case.pk, "first_response", "running") in got
    assert cursor is None
    partner_items, _ = selectors.at_risk(people["partner_a"].user, limit=10)
    assert {i.case.pk for i in partner_items} == {partner_case.pk}
    first_page, cursor = selectors.at_risk(people["admin"].user, limit=2)
    second_page, _ = selectors.at_risk(people["admin"].user, limit=2, cursor=cursor)
    both = [(i.case.pk, i.clock.target) for i in first_page + second_page]
    assert both == [(pk, target) for pk, target, _state in got[:4]]


def test_promised_by_is_the_running_resolution_due(at, open_case):
    at(MONDAY_10)
    case = open_case("complaint")
    assert selectors.promised_by(case) == MONDAY_10 + 30 * D
    move(case, "in_progress", "waiting_customer")
    assert selectors.promised_by(case) is None
    assert selectors.promised_by(open_case("delivery")) is None


def test_a_broken_target_does_not_stop_intake(at, open_case):
    target = Policy.objects.get(name="Complaints").targets.get(name="resolution")
    target.escalation_levels = [{"fraction": "x", "actions": ["notify_owner"]}]
    target.save()
    at(MONDAY_10)
    case = open_case("complaint")
    assert set(clocks(case)) == {"first_response"}


def test_an_alert_storm_folds_into_one_digest_per_person(at, open_case, staff_emails, settings):
    settings.SLA_DIGEST_FROM = 3
    at(MONDAY_10)
    made = [open_case("complaint") for _ in range(4)]
    lone = open_case("complaint", actor="supervisor")  # owned by the supervisor
    at(MONDAY_10 + 20 * H)
    assert services.escalation_sweep() == 5
    digest = OutboxMessage.objects.get(event="sla.digest")
    assert digest.recipient == "agent@brand.example"
    assert digest.context["count"] == 4 and digest.context["kind"] == "warning"
    assert [c["case_number"] for c in digest.context["cases"]] == [c.number for c in made]
    assert "4 cases" in digest.subject
    assert all(c.number in digest.body for c in made)
    single = OutboxMessage.objects.get(event="sla.warning")
    assert (single.recipient, single.case_id) == ("supervisor@brand.example", lone.pk)
    # Every case still has its own timeline entry.
    assert all(len(sla_entries(case)) == 1 for case in made)


def test_people_without_an_address_are_skipped(at, open_case, people):
    at(MONDAY_10)
    case = open_case("complaint")
    at(MONDAY_10 + 20 * H)
    assert services.escalation_sweep() == 1
    assert not OutboxMessage.objects.exists()
    assert sla_entries(case)[0].data["notified"] == []


def test_a_large_batch_records_every_entry(at, open_case, staff_emails):
    """Enough firings at once to take the bulk paths (one JSON parameter on PostgreSQL)."""
    at(MONDAY_10)
    made = [open_case("complaint") for _ in range(60)]
    at(MONDAY_10 + 20 * H)
    assert services.escalation_sweep() == 60
    entries = TimelineEntry.objects.filter(case__in=made, data__event="sla.warning")
    assert entries.count() == 60
    entry = entries.first()
    assert entry.actor_label == "system" and not entry.visible_to_customer
    assert entry.data["notified"] == ["agent@brand.example"] and entry.at == MONDAY_10 + 20 * H
    assert OutboxMessage.objects.filter(event="sla.digest").count() == 1
