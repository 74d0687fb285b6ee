"""The synthetic claims world: deterministic, the requested abuse with the properties that
define each pattern, legitimate claims that a brand would pay, and a load that writes what
it says."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from typer.testing import CliRunner

from aftersales.claims import synthetic
from aftersales.claims.choices import claim_number
from aftersales.claims.models import Claim, ClaimLine, LabourStandard
from aftersales.customers.models import Customer, Unit
from aftersales.network.models import Partner

TODAY = date(2026, 3, 16)


@pytest.fixture(scope="module")
def world():
    return synthetic.generate(claims=500, fraud_rate=0.08, seed=7, today=TODAY)


def by_pattern(world, pattern):
    return [c for c in world.claims if c.pattern == pattern]


def fingerprint(world):
    return [
        (
            c.partner,
            c.serial_number,
            c.unit,
            c.fault_code,
            c.repair_date,
            c.submitted_at,
            c.invoice_number,
            c.claimed_cents,
            c.lines,
            c.pattern,
        )
        for c in world.claims
    ]


def test_the_same_seed_gives_the_same_world(world):
    again = synthetic.generate(claims=500, fraud_rate=0.08, seed=7, today=TODAY)
    assert fingerprint(again) == fingerprint(world)
    assert again.labels == world.labels
    assert again.summary() == world.summary()
    assert (again.unit_sold == world.unit_sold).all()
    assert (again.unit_customer == world.unit_customer).all()
    other = synthetic.generate(claims=500, fraud_rate=0.08, seed=8, today=TODAY)
    assert fingerprint(other) != fingerprint(world)


def test_sizes_scale_with_the_claims(world):
    sizes = world.summary()
    assert sizes["claims"] == 500
    assert 8 <= sizes["regions"] <= 12
    assert 3 <= sizes["product_lines"] <= 4
    assert sizes["partners"] >= 12
    assert 3 * 500 <= sizes["units"] <= 5 * 500
    assert sizes["customers"] < sizes["units"]
    for partner in world.partners:
        assert len(partner.regions) in (1, 2, 3) and len(partner.product_lines) in (1, 2, 3)
    bigger = synthetic.generate(claims=20_000, fraud_rate=0.05, seed=3, today=TODAY).summary()
    assert bigger["partners"] == 50 and bigger["regions"] == 10 and bigger["product_lines"] == 4


@pytest.mark.parametrize("rate", [0.0, 0.03, 0.08, 0.2])
def test_the_fraud_rate_is_respected(rate):
    made = synthetic.generate(claims=600, fraud_rate=rate, seed=11, today=TODAY)
    abusive = sum(label is not None for label in made.labels)
    assert abs(abusive / 600 - rate) <= 0.005
    assert made.labels == [c.pattern for c in made.claims]
    if rate >= 0.03:
        assert set(made.pattern_counts().values()) - {0} and min(
            made.pattern_counts().values()
        ) >= int(rate * 600 / 6)


def test_a_minority_of_partners_abuse_and_they_file_honest_claims_too(world):
    dishonest = [p for p in world.partners if p.dishonest]
    assert 0 < len(dishonest) <= len(world.partners) // 2
    for claim in world.claims:
        if claim.pattern is not None:
            assert claim.pattern in world.partners[claim.partner].patterns
    honest_by = Counter(c.partner for c in world.claims if c.pattern is None)
    assert all(honest_by[p.index] > 0 for p in dishonest)
    assert set(world.pattern_counts()) == set(synthetic.PATTERNS)
    assert all(count > 0 for count in world.pattern_counts().values())


def test_phantom_repairs_name_serials_never_sold_or_sold_elsewhere(world):
    sold = world.sold_serials()
    claims = by_pattern(world, "phantom_repair")
    unsold = [c for c in claims if c.unit is None]
    elsewhere = [c for c in claims if c.unit is not None]
    assert unsold and elsewhere
    for claim in unsold:
        assert claim.serial_number not in sold
        assert claim.sold_on is None and claim.coverage_ends_on is None and not claim.sold_region
        assert claim.customer is None and claim.customer_phone
    for claim in elsewhere:
        assert claim.serial_number in sold
        assert claim.sold_region != claim.region
        assert world.unit_region(claim.unit) == claim.sold_region


def test_inflated_labour_is_two_to_four_times_the_standard(world):
    claims = by_pattern(world, "inflated_labour")
    for claim in claims:
        assert claim.labour_minutes >= 2 * claim.standard_minutes
        assert claim.labour_minutes <= 4 * claim.standard_minutes + 5


def test_parts_harvesting_claims_many_parts_and_keeps_the_defectives(world):
    for claim in by_pattern(world, "parts_harvesting"):
        assert claim.parts_count >= 4
        assert claim.defectives_missing >= 2


def test_duplicates_repeat_serial_and_fault_within_the_window(world):
    claims = by_pattern(world, "duplicate_claim")
    assert claims
    for claim in claims:
        original = world.claims[claim.duplicate_of]
        assert original.serial_number == claim.serial_number
        assert original.fault_code == claim.fault_code
        assert 0 < (claim.repair_date - original.repair_date).days <= synthetic.DUPLICATE_DAYS
        assert original.submitted_at < claim.submitted_at
        if claim.same_invoice:
            assert claim.invoice_number == original.invoice_number


def test_duplicates_come_from_the_same_or_another_partner():
    made = synthetic.generate(claims=3_000, fraud_rate=0.1, seed=5, today=TODAY)
    claims = by_pattern(made, "duplicate_claim")
    same = [c for c in claims if made.claims[c.duplicate_of].partner == c.partner]
    assert same and len(same) < len(claims)
    assert any(c.invoice_number == made.claims[c.duplicate_of].invoice_number for c in same)


def test_a_false_doa_wave_is_many_doa_claims_at_one_partner_mostly_no_fault(world):
    claims = by_pattern(world, "false_doa_wave")
    for claim in claims:
        assert claim.doa
        assert 0 <= (claim.repair_date - claim.sold_on).days <= synthetic.DOA_DAYS
        assert any(line.kind == "doa" for line in claim.lines)
    inspected = [c.no_fault_found for c in claims if c.no_fault_found is not None]
    assert sum(inspected) >= len(inspected) / 2
    for partner in {c.partner for c in claims}:
        wave = [c.repair_date for c in claims if c.partner == partner]
        assert (max(wave) - min(wave)).days <= 63


def test_near_expiry_clusters_fall_in_the_last_weeks_of_coverage(world):
    for claim in by_pattern(world, "near_expiry_cluster"):
        left = (claim.coverage_ends_on - claim.repair_date).days
        assert 0 <= left <= synthetic.NEAR_EXPIRY_DAYS


def test_legitimate_claims_are_covered_timely_and_fit():
    made = synthetic.generate(claims=4_000, fraud_rate=0.05, seed=9, today=TODAY)
    honest = [c for c in made.claims if c.pattern is None]
    fits = {p.number: set(p.fits) for p in made.parts}
    standards = {(s.line, s.code): s.minutes for s in made.labour_standards}
    for claim in honest:
        assert claim.unit is not None
        assert claim.sold_on <= claim.repair_date <= claim.coverage_ends_on
        assert claim.coverage_ends_on == synthetic.add_months(claim.sold_on, 24) - timedelta(1)
        submitted = claim.submitted_at.date()
        assert claim.repair_date <= submitted <= claim.repair_date + timedelta(30)
        assert submitted < TODAY
        assert claim.region in made.partners[claim.partner].regions
        assert claim.product_line in made.partners[claim.partner].product_lines
        product = made.products[made.unit_product[claim.unit]]
        assert product.line == claim.product_line
        for line in claim.lines:
            assert line.amount_cents == line.quantity * line.unit_price_cents > 0
            if line.kind == "part":
                assert product.sku in fits[line.part_number]
            if line.kind == "labour":
                assert standards[(claim.product_line, line.labour_code)] == line.standard_minutes
        assert claim.claimed_cents == sum(line.amount_cents for line in claim.lines)
        assert sum(line.kind == "part" for line in claim.lines) <= 5
    # Realistic shares: DOA about 3 % with about a fifth without fault, defectives mostly
    # back, some claims near expiry, few round amounts, some labour above standard explained.
    doa = [c for c in honest if c.doa]
    assert 0.015 <= len(doa) / len(honest) <= 0.05
    assert all((c.repair_date - c.sold_on).days <= 15 for c in doa)
    nff = [c.no_fault_found for c in doa if c.no_fault_found is not None]
    assert 0.05 <= sum(nff) / len(nff) <= 0.4
    required = sum(line.quantity for c in honest for line in c.lines if line.defective_required)
    missing = sum(c.defectives_missing for c in honest)
    assert 0.9 <= 1 - missing / required <= 0.99
    near = sum((c.coverage_ends_on - c.repair_date).days <= 35 for c in honest)
    assert 0.03 <= near / len(honest) <= 0.15
    long = [c for c in honest if c.labour_minutes > 1.15 * c.standard_minutes]
    assert long and sum(bool(c.explanation) for c in long) / len(long) > 0.5
    assert any(c.labour_minutes >= 2 * c.standard_minutes for c in honest)  # noisy outliers
    round_amounts = sum(c.claimed_cents % 5_000 == 0 and c.claimed_cents >= 10_000 for c in honest)
    assert round_amounts / len(honest) < 0.01
    assert len({c.claimed_cents for c in honest}) > 0.5 * len(honest)


@pytest.mark.django_db
def test_load_inserts_the_world_with_its_facts(world):
    # Data already there (the normal demo, say) does not get in the way.
    Customer.objects.create(name="Existing", country="ES", phone="+34 600 000 000")
    done = []
    labels = synthetic.load(world, progress=lambda n, total: done.append((n, total)))

    sizes = world.summary()
    assert len(labels) == sizes["claims"] == Claim.objects.count()
    assert list(labels.values()) == world.labels
    assert Partner.objects.filter(code__startswith=f"SYN{world.seed}-").count() == len(
        world.partners
    )
    assert Customer.objects.count() == sizes["customers"] + 1
    assert (
        Unit.objects.filter(serial_number__startswith=f"SYN{world.seed}-").count()
        == (sizes["units"])
    )
    assert ClaimLine.objects.count() == sizes["claim_lines"]
    assert LabourStandard.objects.count() == len(world.labour_standards)
    assert (
        done[-1][0]
        == done[-1][1]
        == (sizes["customers"] + sizes["units"] + sizes["claims"] + sizes["claim_lines"])
    )

    # The fact columns agree with the lines.
    sums = {
        row["claim"]: row
        for row in ClaimLine.objects.values("claim").annotate(total=Sum("amount"), n=Count("id"))
    }
    labour = dict(
        ClaimLine.objects.filter(kind="labour")
        .values("claim")
        .annotate(m=Sum("minutes"))
        .values_list("claim", "m")
    )
    parts = {
        row["claim"]: row
        for row in ClaimLine.objects.filter(kind="part")
        .values("claim")
        .annotate(q=Sum("quantity"), a=Sum("amount"))
    }
    for claim in Claim.objects.select_related("risk"):
        assert claim.status == claim.outcome == "auto_approved"
        assert claim.findings == [] and claim.risk.score == 0 and claim.risk.scored_at is None
        assert claim.claimed_amount == sums[claim.pk]["total"] == claim.approved_amount
        assert claim.labour_minutes == (labour.get(claim.pk) or 0)
        assert claim.parts_count == (parts[claim.pk]["q"] if claim.pk in parts else 0)
        assert claim.parts_amount == (parts[claim.pk]["a"] if claim.pk in parts else Decimal(0))
        assert claim.submitted_at == claim.updated_at

    # Every claim matches its world counterpart, and the units and customers behind it.
    rows = {c.pk: c for c in Claim.objects.select_related("unit", "customer", "partner")}
    for pk, source in zip(labels, world.claims, strict=True):
        row = rows[pk]
        assert row.serial_number == source.serial_number
        assert row.partner.code == world.partners[source.partner].code
        assert row.claimed_amount == source.claimed_amount
        assert (row.repair_date, row.sold_on, row.coverage_ends_on) == (
            source.repair_date,
            source.sold_on,
            source.coverage_ends_on,
        )
        assert (row.region, row.sold_region, row.doa, row.no_fault_found) == (
            source.region,
            source.sold_region,
            source.doa,
            source.no_fault_found,
        )
        assert row.defectives_missing == source.defectives_missing
        if source.unit is None:
            assert row.unit is None and row.customer is None
            assert not Unit.objects.filter(serial_number=row.serial_number).exists()
        else:
            assert row.unit.serial_number == row.serial_number
            assert row.unit.sold_on == row.sold_on
            assert row.customer == row.unit.customer
            assert row.customer.region == row.sold_region
            assert row.customer_phone == synthetic.normalise_phone(row.customer.phone)
            assert row.customer_address_key == synthetic.address_key(row.customer.address)
    lines = ClaimLine.objects.filter(kind="part")
    assert lines.exists() and not lines.filter(part__isnull=True).exists()

    with pytest.raises(synthetic.AlreadyLoaded):
        synthetic.load(world)
    # Another seed goes in next to it, sharing the catalogue.
    small = synthetic.generate(claims=40, fraud_rate=0.1, seed=8, today=TODAY)
    assert len(synthetic.load(small)) == 40
    assert LabourStandard.objects.count() == len(world.labour_standards)


@pytest.mark.django_db
def test_demo_command_loads_claims_and_writes_labels(tmp_path, monkeypatch):
    from aftersales import cli

    monkeypatch.setattr(cli, "_migrate", lambda verbosity=0: None)
    labels = tmp_path / "labels.csv"
    result = CliRunner().invoke(
        cli.app,
        ["demo", "--claims", "300", "--fraud-rate", "0.1", "--seed", "21", "--labels", str(labels)],
    )
    assert result.exit_code == 0, result.output
    assert "300 claims" in result.output
    for pattern in synthetic.PATTERNS:
        assert f"{pattern}: 5" in result.output
    assert Claim.objects.count() == 300
    with open(labels, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 300
    assert sum(bool(r["pattern"]) for r in rows) == 30
    first = Claim.objects.order_by("id").first()
    assert rows[0]["claim"] == claim_number(first.pk)

    again = CliRunner().invoke(cli.app, ["demo", "--claims", "300", "--seed", "21"])
    assert again.exit_code != 0
    assert Claim.objects.count() == 300
