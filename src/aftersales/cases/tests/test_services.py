from __future__ import annotations

import threading

import pytest
from django.db import connection

from aftersales.cases import rules, selectors, services
from aftersales.cases.models import Case
from aftersales.core.errors import Conflict, Invalid


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_contacts_about_one_unit_make_one_case(people, world):
    """Each thread has its own database connection; the unit lock makes them agree."""
    agent = people["agent"].user
    barrier = threading.Barrier(4)
    outcomes: list[tuple[int, bool]] = []
    failures: list[BaseException] = []

    def contact():
        try:
            barrier.wait()
            case, reused = services.case_open(
                actor=agent,
                type="repair",
                channel="phone",
                serial_number="SN-ES-1",
                summary="Drum does not spin",
            )
            outcomes.append((case.pk, reused))
        except BaseException as exc:  # surfaced below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=contact) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert len({pk for pk, _ in outcomes}) == 1
    assert sorted(reused for _, reused in outcomes) == [False, True, True, True]
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_status_rules_table():
    assert rules.can_transition("new", "open")
    assert not rules.can_transition("new", "resolved")
    assert rules.can_transition("resolved", "in_progress")
    assert rules.allowed_next("closed") == []
    assert rules.parse_case_number("sc-000042") == 42
    assert rules.parse_case_number("SC42") == 42
    assert rules.parse_case_number("42") is None
    assert rules.case_number(7) == "SC-000007"


@pytest.mark.django_db
def test_a_resolved_case_is_not_reused(people, world):
    agent = people["agent"].user
    case, _ = services.case_open(
        actor=agent, type="repair", channel="phone", serial_number="SN-ES-1", summary="a"
    )
    services.case_change_status(number=case.number, actor=agent, status="in_progress")
    services.case_change_status(number=case.number, actor=agent, status="resolved")
    again, reused = services.case_open(
        actor=agent, type="repair", channel="phone", serial_number="SN-ES-1", summary="b"
    )
    assert not reused and again.pk != case.pk


@pytest.mark.django_db
def test_handoff_needs_a_reason_and_a_brand_user(people, world):
    agent = people["agent"].user
    case, _ = services.case_open(
        actor=agent, type="repair", channel="phone", serial_number="SN-ES-1", summary="a"
    )
    with pytest.raises(Invalid):
        services.case_handoff(number=case.number, actor=agent, to_username="partner_a", reason="x")
    with pytest.raises(Invalid):
        services.case_handoff(number=case.number, actor=agent, to_username="supervisor", reason=" ")
    with pytest.raises(Conflict):
        services.case_handoff(number=case.number, actor=agent, to_username="agent", reason="x")
    services.case_handoff(number=case.number, actor=agent, to_username="supervisor", reason="visit")
    assert selectors.handoff_count(case) == 1


@pytest.mark.django_db
def test_a_case_without_unit_is_paid_and_says_why(people, world):
    case, _ = services.case_open(
        actor=people["agent"].user,
        type="technical_guidance",
        channel="phone",
        customer_id=world["customer"].pk,
        summary="How to descale",
    )
    assert case.category == "A" and "No unit" in case.category_reason


@pytest.mark.django_db
def test_a_partner_contact_never_joins_a_case_it_cannot_see(people, world):
    brand_case, _ = services.case_open(
        actor=people["agent"].user,
        type="repair",
        channel="phone",
        serial_number="SN-ES-1",
        summary="noise",
    )
    partner_case, reused = services.case_open(
        actor=people["partner_a"].user,
        type="repair",
        channel="partner",
        serial_number="SN-ES-1",
        summary="noise",
    )
    assert not reused and partner_case.pk != brand_case.pk
    again, reused = services.case_open(
        actor=people["partner_a"].user,
        type="repair",
        channel="partner",
        serial_number="SN-ES-1",
        summary="still noisy",
    )
    assert reused and again.pk == partner_case.pk
    other, reused = services.case_open(
        actor=people["partner_b"].user,
        type="repair",
        channel="partner",
        serial_number="SN-ES-1",
        summary="noise",
    )
    assert not reused and other.pk not in (brand_case.pk, partner_case.pk)
