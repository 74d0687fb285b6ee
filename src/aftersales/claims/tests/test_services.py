"""Claims services against the database: submission gathers the facts and leaves a claim
auto-approved, in review (soft rule or risk) or auto-rejected (each hard rule); the reviewer's
decisions and the partner's reply; bulk approval; statements with chargebacks; audit
sampling; labour standards; the inspection result of a returned DOA unit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from aftersales.claims import scoring, services
from aftersales.claims.models import (
    AuditSample,
    Chargeback,
    Claim,
    ClaimEvent,
    ClaimRisk,
    LabourStandard,
)
from aftersales.claims.risk import Reason, RiskResult
from aftersales.claims.tests.conftest import SERIAL, good_lines
from aftersales.core import clock
from aftersales.core.errors import Conflict, Forbidden, Invalid, NotFound
from aftersales.customers import services as customers
from aftersales.network.services import partner_update

pytestmark = pytest.mark.django_db

PDF = {"filename": "invoice.pdf", "content_type": "application/pdf", "content": b"%PDF-1 inv"}


def kinds(claim: Claim) -> list[str]:
    return list(ClaimEvent.objects.filter(claim=claim).values_list("kind", flat=True))


def failed(claim: Claim) -> set[str]:
    return {f["code"] for f in claim.findings if not f["passed"]}


def hard_failed(claim: Claim) -> set[str]:
    return {f["code"] for f in claim.findings if not f["passed"] and f["hard"]}


@pytest.fixture
def risky(monkeypatch):
    """Scoring that answers a fixed high risk."""

    def score(claim):
        return RiskResult(score=80, reasons=(Reason("ROUND_AMOUNT", 80, "Made-up total."),))

    monkeypatch.setattr(scoring, "score_claim", score)


# --- submission -----------------------------------------------------------------------------


def test_clean_claim_is_approved_automatically_with_its_facts(submit, job):
    claim = submit(attachments=[PDF])
    assert claim.status == claim.outcome == "auto_approved"
    assert claim.approved_amount == claim.claimed_amount == Decimal("65.90")
    assert claim.decided_at is not None and claim.decided_by is None
    assert not failed(claim)
    assert claim.work_order_id == job.pk and claim.unit.serial_number == SERIAL
    assert (claim.region, claim.sold_region, claim.product_line) == (
        "madrid",
        "madrid",
        "washing_machine",
    )
    assert claim.sold_on == clock.today() - timedelta(days=100)
    assert claim.coverage_ends_on > clock.today()
    assert claim.customer_phone.startswith("+34")
    assert (claim.labour_minutes, claim.standard_minutes) == (30, 30)
    assert (claim.parts_count, claim.parts_amount, claim.defectives_missing) == (
        1,
        Decimal("42.50"),
        0,
    )
    assert claim.currency == "EUR" and claim.risk.scored_at is not None
    assert [line.approved_amount for line in claim.lines.all()] == [
        Decimal("23.40"),
        Decimal("42.50"),
    ]
    attachment = claim.attachments.get()
    assert attachment.size == len(PDF["content"]) and len(attachment.sha256) == 64
    assert kinds(claim) == ["submitted", "validated", "scored"]
    scored = claim.events.get(kind="scored")
    assert scored.data["outcome"] == "auto_approved" and "approved automatically" in scored.body


def test_labour_above_standard_without_explanation_goes_to_review(submit):
    claim = submit(lines=good_lines(minutes=75))
    assert claim.status == claim.outcome == "review"
    assert failed(claim) == {"LABOUR_STANDARD"} and not hard_failed(claim)
    assert claim.approved_amount is None and claim.decided_at is None
    assert claim.lines.get(kind="labour").standard_minutes == 30


def test_labour_above_standard_with_explanation_passes(submit):
    claim = submit(lines=good_lines(minutes=75), explanation="The pump was seized in the drum.")
    assert not failed(claim)
    # Still 2.5 times the standard: the risk may send it to a reviewer all the same.
    assert claim.status == ("review" if claim.risk.score >= 50 else "auto_approved")
    sentence = next(f for f in claim.findings if f["code"] == "LABOUR_STANDARD")["sentence"]
    assert "explanation" in sentence


def test_a_high_risk_sends_a_clean_claim_to_review(submit, risky):
    claim = submit()
    assert claim.status == "review" and not failed(claim)
    assert claim.risk.score == 80 and claim.risk.reasons[0]["code"] == "ROUND_AMOUNT"
    assert claim.events.get(kind="scored").data["outcome"] == "review"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ({"kind": "part", "part_number": "XX-999", "unit_price": "10"}, "PARTS_FIT"),
        ({"kind": "part", "part_number": "OTHER-1", "unit_price": "10"}, "PARTS_FIT"),
        ({"kind": "part", "part_number": "RET-1", "unit_price": "10"}, "DEFECTIVE_RETURNED"),
    ],
    ids=["unknown_part", "part_not_fitting", "defective_not_returned"],
)
def test_soft_rules_send_to_review(submit, line, code):
    from aftersales.catalog.models import Part

    Part.objects.create(number="OTHER-1", name="Fridge fan", list_price="10")
    ret = Part.objects.create(
        number="RET-1", name="Board", list_price="10", defective_return_required=True
    )
    ret.fits.add(Part.objects.get(number="DP-100").fits.get())
    claim = submit(lines=[*good_lines(), line])
    assert claim.status == "review"
    assert failed(claim) == {code}


def test_unknown_serial_is_rejected(submit):
    claim = submit(
        work_order_number=None,
        serial_number="SN-GHOST",
        lines=[{"kind": "part", "part_number": "DP-100", "unit_price": "42.50"}],
    )
    assert claim.status == claim.outcome == "auto_rejected"
    assert "UNIT_SOLD" in hard_failed(claim)
    assert claim.unit is None and claim.approved_amount == Decimal("0.00")


def test_repair_outside_coverage_is_rejected(submit, world):
    customers.unit_register(
        serial_number="SN-OLD",
        sku="WM-1",
        customer_id=world["customer"].pk,
        sold_on=clock.today() - timedelta(days=365 * 4),
    )
    claim = submit(
        work_order_number=None,
        serial_number="SN-OLD",
        lines=[{"kind": "part", "part_number": "DP-100", "unit_price": "42.50"}],
    )
    assert claim.status == "auto_rejected"
    assert hard_failed(claim) == {"IN_COVERAGE"}
    assert claim.coverage_ends_on < clock.today()


def test_labour_without_a_work_order_is_rejected(submit):
    claim = submit(work_order_number=None)
    assert claim.status == "auto_rejected" and hard_failed(claim) == {"WORK_ORDER"}


def test_another_partners_work_order_is_not_found(people, submit, job):
    partner_update(code="ASP-B", regions=["madrid"])
    claim = submit(actor=people["partner_b"].user)
    assert claim.status == "auto_rejected" and "WORK_ORDER" in hard_failed(claim)
    assert claim.work_order is None and claim.partner.code == "ASP-B"


def test_work_order_not_accepted_is_rejected(submit, job):
    type(job).objects.filter(pk=job.pk).update(accepted_at=None)
    claim = submit()
    assert hard_failed(claim) == {"WORK_ORDER"}
    assert (
        "not accepted" in next(f for f in claim.findings if f["code"] == "WORK_ORDER")["sentence"]
    )


def test_duplicate_serial_and_fault_is_rejected(submit):
    first = submit()
    second = submit(invoice_number="INV-2")
    assert second.status == "auto_rejected" and hard_failed(second) == {"NO_DUPLICATE"}
    assert (
        first.number in next(f for f in second.findings if f["code"] == "NO_DUPLICATE")["sentence"]
    )


def test_same_invoice_or_attachment_is_rejected(submit):
    submit(invoice_number="INV-9", attachments=[PDF])
    again_invoice = submit(fault_code="E10", invoice_number="INV-9")
    again_file = submit(fault_code="E99", invoice_number="INV-10", attachments=[PDF])
    assert hard_failed(again_invoice) == {"NO_DUPLICATE"}
    assert hard_failed(again_file) == {"NO_DUPLICATE"}


def test_a_rejected_claim_is_no_duplicate(submit):
    first = submit(lines=[])
    assert first.status == "auto_rejected"
    assert "NO_DUPLICATE" not in failed(submit())


def test_partner_not_authorised_for_the_product_line_is_rejected(submit):
    partner_update(code="ASP-A", product_lines=["fridge"])
    claim = submit()
    assert hard_failed(claim) == {"PARTNER_AUTHORISED"}


def test_late_submission_is_rejected(submit):
    with time_machine.travel(clock.now() + timedelta(days=45), tick=False):
        claim = submit(repair_date=None)
    assert hard_failed(claim) == {"SUBMITTED_IN_TIME"}


def test_a_claim_without_lines_is_rejected(submit):
    claim = submit(lines=[])
    assert claim.status == "auto_rejected" and hard_failed(claim) == {"LINES_PRESENT"}
    assert claim.claimed_amount == 0


def test_doa_line_marks_the_claim_doa(submit):
    claim = submit(lines=[{"kind": "doa", "unit_price": "399.00"}], fault_code="DOA")
    assert claim.doa is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lines": [{"kind": "nonsense"}]}, "lines.0.kind"),
        ({"lines": [{"kind": "travel", "unit_price": "-5"}]}, "lines.0.unit_price"),
        ({"lines": [{"kind": "travel", "unit_price": "1.234"}]}, "lines.0.unit_price"),
        ({"lines": [{"kind": "part", "unit_price": "5"}]}, "lines.0.part_number"),
        ({"lines": [{"kind": "labour", "labour_code": "PUMP"}]}, "lines.0.minutes"),
        ({"lines": [{"kind": "travel", "quantity": 0}]}, "lines.0.quantity"),
        ({"serial_number": "SN-OTHER"}, "serial_number"),
        ({"work_order_number": None, "serial_number": ""}, "serial_number"),
        ({"partner_code": "ASP-B"}, "partner_code"),
        ({"attachments": [{**PDF, "content_type": "application/x-msdownload"}]}, "attachments.0"),
    ],
)
def test_input_that_cannot_make_a_claim_is_refused(submit, overrides, field):
    with pytest.raises(Invalid) as error:
        submit(**overrides)
    assert error.value.field == field
    assert not Claim.objects.exists()


def test_repair_in_the_future_is_refused(submit):
    with pytest.raises(Invalid) as error:
        submit(repair_date=clock.today() + timedelta(days=1))
    assert error.value.field == "repair_date"


def test_brand_staff_claim_for_a_named_partner(people, submit):
    with pytest.raises(Invalid):
        submit(actor=people["admin"].user)
    claim = submit(actor=people["admin"].user, partner_code="ASP-A")
    assert claim.partner.code == "ASP-A" and claim.status == "auto_approved"


@pytest.mark.parametrize("role", ["agent", "technician", "warehouse", "supervisor"])
def test_roles_without_claims_submit_are_refused(people, submit, role):
    with pytest.raises(Forbidden):
        submit(actor=people[role].user, partner_code="ASP-A")


# --- the reviewer and the partner ----------------------------------------------------------


def test_partial_approval_per_line(people, in_review):
    labour, part = in_review.lines.all()
    claim = services.claim_decide_lines(
        actor=people["supervisor"].user,
        number=in_review.number,
        lines=[
            {
                "id": labour.pk,
                "approved_amount": "20.00",
                "reason_code": "labour_above_standard",
                "reason": "30 minutes is the standard.",
            },
            {"id": part.pk, "approved_amount": "42.50"},
        ],
    )
    assert claim.status == "partially_approved" and claim.outcome == "review"
    assert claim.approved_amount == Decimal("62.50")
    assert claim.decided_by == people["supervisor"].user
    labour.refresh_from_db()
    assert (labour.approved_amount, labour.reason_code) == (
        Decimal("20.00"),
        "labour_above_standard",
    )
    event = claim.events.get(kind="partially_approved")
    assert event.actor == people["supervisor"].user and "20.00" in event.body


@pytest.mark.parametrize(
    ("decide", "field"),
    [
        (lambda lab, part: [{"id": lab, "approved_amount": "20"}], "lines"),
        (
            lambda lab, part: [
                {"id": lab, "approved_amount": "20"},
                {"id": part, "approved_amount": "42.50"},
            ],
            "lines.0.reason_code",
        ),
        (
            lambda lab, part: [
                {"id": lab, "approved_amount": "999"},
                {"id": part, "approved_amount": "42.50"},
            ],
            "lines.0.approved_amount",
        ),
        (lambda lab, part: [{"id": 12345, "approved_amount": "1"}], "lines.0.id"),
    ],
    ids=["missing_line", "no_reason_code", "above_claimed", "unknown_line"],
)
def test_line_decisions_that_cannot_stand(people, in_review, decide, field):
    labour, part = in_review.lines.all()
    with pytest.raises(Invalid) as error:
        services.claim_decide_lines(
            actor=people["supervisor"].user,
            number=in_review.number,
            lines=decide(labour.pk, part.pk),
        )
    assert error.value.field == field
    in_review.refresh_from_db()
    assert in_review.status == "review"


def test_deciding_every_line_at_zero_rejects(people, in_review):
    lines = [
        {"id": line.pk, "approved_amount": "0", "reason_code": "no_evidence"}
        for line in in_review.lines.all()
    ]
    claim = services.claim_decide_lines(
        actor=people["manager"].user, number=in_review.number, lines=lines
    )
    assert claim.status == "rejected" and claim.approved_amount == 0


def test_request_info_reply_then_approve(people, in_review):
    reviewer, partner = people["supervisor"].user, people["partner_a"].user
    claim = services.claim_request_info(
        actor=reviewer, number=in_review.number, question="Why 75 minutes?"
    )
    assert claim.status == "info_requested"
    with pytest.raises(Conflict):
        services.claim_request_info(actor=reviewer, number=in_review.number, question="Again?")
    with pytest.raises(NotFound):
        services.claim_reply(actor=people["partner_b"].user, number=in_review.number, message="x")
    with pytest.raises(Invalid):
        services.claim_reply(actor=partner, number=in_review.number, message="  ")
    claim = services.claim_reply(
        actor=partner,
        number=in_review.number,
        message="The pump was seized; photo attached.",
        attachments=[{**PDF, "filename": "photo.pdf"}],
    )
    assert claim.status == "review" and claim.attachments.count() == 1
    with pytest.raises(Conflict):
        services.claim_reply(actor=partner, number=in_review.number, message="More")
    claim = services.claim_approve(actor=reviewer, number=in_review.number, note="Fine.")
    assert claim.status == "approved" and claim.approved_amount == claim.claimed_amount
    assert kinds(claim)[-3:] == ["info_requested", "replied", "approved"]
    asked = claim.events.get(kind="info_requested")
    assert asked.body == "Why 75 minutes?" and asked.actor == reviewer
    with pytest.raises(Conflict):
        services.claim_approve(actor=reviewer, number=in_review.number)


def test_reject_with_reason(people, in_review):
    with pytest.raises(Invalid):
        services.claim_reject(actor=people["admin"].user, number=in_review.number, reason="")
    with pytest.raises(Invalid):
        services.claim_reject(
            actor=people["admin"].user, number=in_review.number, reason="x", reason_code="bogus"
        )
    claim = services.claim_reject(
        actor=people["admin"].user,
        number=in_review.number,
        reason="No evidence of the repair.",
        reason_code="no_evidence",
    )
    assert claim.status == "rejected" and claim.approved_amount == 0
    assert set(claim.lines.values_list("reason_code", flat=True)) == {"no_evidence"}


def test_partners_and_agents_cannot_decide(people, in_review):
    with pytest.raises(Forbidden):
        services.claim_approve(actor=people["partner_a"].user, number=in_review.number)
    with pytest.raises(Forbidden):
        services.claim_approve(actor=people["agent"].user, number=in_review.number)


def test_bulk_approve_takes_only_low_risk_claims_in_review(people, submit, monkeypatch):
    monkeypatch.setattr(scoring, "score_claim", lambda claim: RiskResult(score=10, reasons=()))
    low = submit(lines=good_lines(minutes=75), invoice_number="A")
    monkeypatch.setattr(scoring, "score_claim", lambda claim: RiskResult(score=90, reasons=()))
    high = submit(lines=good_lines(minutes=75), fault_code="E10", invoice_number="B")
    result = services.claims_bulk_approve(
        actor=people["supervisor"].user, numbers=[low.number, high.number, "CLM-999999"]
    )
    assert result["approved"] == [low.number]
    assert set(result["refused"]) == {high.number, "CLM-999999"}
    assert "90" in result["refused"][high.number]
    low.refresh_from_db()
    high.refresh_from_db()
    assert (low.status, high.status) == ("approved", "review")


# --- statements, chargebacks, audits --------------------------------------------------------


def test_statement_with_a_chargeback(people, submit):
    manager = people["manager"].user
    today = clock.today()
    first = submit(invoice_number="INV-1")
    review = submit(lines=good_lines(minutes=75), fault_code="E10", invoice_number="INV-2")
    with pytest.raises(Conflict):
        services.chargeback_create(actor=manager, number=review.number, amount="5", reason="x")
    one = services.statement_issue(
        actor=manager, partner_code="ASP-A", period_start=today, period_end=today
    )
    assert (one.approved_total, one.chargeback_total, one.net_total) == (
        Decimal("65.90"),
        0,
        Decimal("65.90"),
    )
    first.refresh_from_db()
    assert first.statement == one and "on_statement" in kinds(first)
    with pytest.raises(Conflict):
        services.statement_issue(
            actor=manager, partner_code="ASP-A", period_start=today, period_end=today
        )
    with pytest.raises(Invalid):
        services.chargeback_create(actor=manager, number=first.number, amount="70", reason="x")
    chargeback = services.chargeback_create(
        actor=manager, number=first.number, amount="20.00", reason="The pump was not replaced."
    )
    assert chargeback.statement is None and "charged_back" in kinds(first)
    services.claim_approve(actor=manager, number=review.number)
    two = services.statement_issue(
        actor=manager,
        partner_code="ASP-A",
        period_start=today,
        period_end=today + timedelta(days=1),
    )
    assert (two.approved_total, two.chargeback_total, two.net_total) == (
        Decimal("65.90"),
        Decimal("20.00"),
        Decimal("45.90"),
    )
    assert sorted((line.kind, line.amount) for line in two.lines.all()) == [
        ("chargeback", Decimal("-20.00")),
        ("claim", Decimal("65.90")),
    ]
    chargeback.refresh_from_db()
    assert chargeback.statement == two
    with pytest.raises(Conflict):
        services.statement_issue(
            actor=manager,
            partner_code="ASP-A",
            period_start=today,
            period_end=today + timedelta(days=2),
        )


def test_statement_needs_the_statement_permission_and_a_partner(people):
    today = clock.today()
    with pytest.raises(Forbidden):
        services.statement_issue(
            actor=people["supervisor"].user,
            partner_code="ASP-A",
            period_start=today,
            period_end=today,
        )
    with pytest.raises(NotFound):
        services.statement_issue(
            actor=people["admin"].user, partner_code="NOPE", period_start=today, period_end=today
        )
    with pytest.raises(Invalid):
        services.statement_issue(
            actor=people["admin"].user,
            partner_code="ASP-A",
            period_start=today,
            period_end=today - timedelta(days=1),
        )


def test_audit_draw_and_a_failed_audit_charges_back(people, submit):
    today = clock.today()
    made = [submit(fault_code=f"F{i}", invoice_number=f"I{i}") for i in range(5)]
    assert all(c.status == "auto_approved" for c in made)
    auditor = people["supervisor"].user
    drawn = services.audit_sample_draw(
        actor=auditor, period_start=today, period_end=today, size=3, seed=7
    )
    assert len(drawn) == 3 and len({s.claim_id for s in drawn}) == 3
    assert {s.reason for s in drawn} <= {"risk", "random"}
    sampled = Claim.objects.get(pk=drawn[0].claim_id)
    event = sampled.events.get(kind="audit_sampled")
    assert "risk" not in event.body and "reason" not in event.data
    more = services.audit_sample_draw(
        actor=auditor, period_start=today, period_end=today, size=10, seed=7
    )
    assert len(more) == 2 and not {s.claim_id for s in more} & {s.claim_id for s in drawn}
    with pytest.raises(Invalid):
        services.audit_record(
            actor=auditor, audit_id=drawn[0].pk, outcome="passed", chargeback_amount="5"
        )
    sample = services.audit_record(
        actor=auditor,
        audit_id=drawn[0].pk,
        outcome="failed",
        notes="No trace of the repair at the customer's.",
        chargeback_amount="30.00",
    )
    assert sample.outcome == "failed" and sample.audited_by == auditor
    chargeback = Chargeback.objects.get(claim_id=sample.claim_id)
    assert chargeback.amount == Decimal("30.00")
    assert kinds(sampled)[-2:] == ["audited", "charged_back"]
    with pytest.raises(Conflict):
        services.audit_record(actor=auditor, audit_id=drawn[0].pk, outcome="passed")
    whole = services.audit_record(actor=auditor, audit_id=drawn[1].pk, outcome="failed")
    assert Chargeback.objects.get(claim_id=whole.claim_id).amount == Decimal("65.90")
    with pytest.raises(NotFound):
        services.audit_record(actor=auditor, audit_id=99999, outcome="passed")
    with pytest.raises(Forbidden):
        services.audit_sample_draw(
            actor=people["agent"].user, period_start=today, period_end=today, size=1
        )
    assert AuditSample.objects.count() == 5


def test_audit_draw_is_reproducible_with_a_seed(people, submit):
    today = clock.today()
    for i in range(6):
        submit(fault_code=f"F{i}", invoice_number=f"I{i}")
    first = services.audit_sample_draw(
        actor=people["admin"].user, period_start=today, period_end=today, size=2, seed=42
    )
    picked = [s.claim_id for s in first]
    AuditSample.objects.all().delete()
    again = services.audit_sample_draw(
        actor=people["admin"].user, period_start=today, period_end=today, size=2, seed=42
    )
    assert [s.claim_id for s in again] == picked


# --- configuration and inspection ------------------------------------------------------------


def test_labour_standard_set_creates_then_changes(people):
    manager = people["manager"].user
    first = services.labour_standard_set(
        actor=manager, product_line="fridge", labour_code="FAN", minutes=20
    )
    second = services.labour_standard_set(
        actor=manager, product_line="fridge", labour_code="FAN", minutes=25, description="Fan"
    )
    assert first.pk == second.pk and LabourStandard.objects.get(pk=first.pk).minutes == 25
    with pytest.raises(Invalid):
        services.labour_standard_set(
            actor=manager, product_line="fridge", labour_code="FAN", minutes=0
        )
    with pytest.raises(Forbidden):
        services.labour_standard_set(
            actor=people["supervisor"].user, product_line="x", labour_code="y", minutes=5
        )


def test_inspection_of_a_returned_doa_unit_marks_its_claims(people, submit):
    from aftersales.returns import services as returns

    claim = submit(lines=[{"kind": "doa", "unit_price": "399.00"}], fault_code="DOA")
    assert claim.doa and claim.no_fault_found is None
    agent, sup = people["agent"].user, people["supervisor"].user
    rma = returns.rma_create(
        actor=agent,
        lines=[{"serial_number": SERIAL}],
        evidence=[{"filename": "p.png", "content_type": "image/png", "content": b"png"}],
    )
    returns.rma_authorise(actor=sup, number=rma.number)
    returns.rma_receive(actor=sup, number=rma.number)
    line = rma.lines.get()
    returns.rma_inspect(
        actor=sup, number=rma.number, lines=[{"line_id": line.pk, "result": "no_fault_found"}]
    )
    claim.refresh_from_db()
    assert claim.no_fault_found is True
    assert services.claims_mark_inspection(serial_number=SERIAL, no_fault_found=False) == 1


def test_nightly_task_rescores_every_claim(submit, monkeypatch):
    from aftersales.claims.tasks import claims_rescore_nightly

    claim = submit()
    ClaimRisk.objects.filter(claim=claim).update(score=77, scored_at=None)
    claims_rescore_nightly.call_local()
    claim.risk.refresh_from_db()
    assert claim.risk.scored_at is not None and claim.risk.score < 77
    assert claim.status == "auto_approved"


def test_a_rescored_unpaid_claim_goes_back_to_review_but_a_paid_one_stays(people, submit):
    manager = people["manager"].user
    today = clock.today()
    paid = submit(invoice_number="INV-P")
    services.statement_issue(
        actor=manager, partner_code="ASP-A", period_start=today, period_end=today
    )
    unpaid = submit(fault_code="E10", invoice_number="INV-U")
    assert unpaid.status == paid.status == "auto_approved"
    # What a nightly rescoring writes when the peer group moves against the partner.
    ClaimRisk.objects.filter(claim__in=[paid, unpaid]).update(score=90)
    version = unpaid.version
    assert services.claims_recheck_unpaid() == [unpaid.number]
    unpaid.refresh_from_db()
    paid.refresh_from_db()
    assert unpaid.status == "review" and unpaid.approved_amount is None
    assert unpaid.decided_at is None and unpaid.version == version + 1
    assert all(line.approved_amount is None for line in unpaid.lines.all())
    assert "Rescored at 90" in unpaid.events.order_by("-id").first().body
    assert paid.status == "auto_approved" and paid.statement_id is not None
    # Once in review it is the reviewer's: a second pass moves nothing.
    assert services.claims_recheck_unpaid() == []
