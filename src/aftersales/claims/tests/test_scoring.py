"""Scoring against the database: the peer statistics snapshot, one claim, every claim."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aftersales.catalog.models import Product, WarrantyPolicy
from aftersales.claims import scoring, synthetic
from aftersales.claims.models import Claim, PeerStatistics
from aftersales.core import clock
from aftersales.customers.models import Customer, Unit
from aftersales.network.models import Partner

LINE = "washing_machine"


class World:
    """Four partners repairing washing machines in the north, 40 claims each, and 400 units
    sold there (and 50 in the south). Partner P4 swaps many units as dead on arrival."""

    def __init__(self) -> None:
        self.today = clock.today()
        policy = WarrantyPolicy.objects.create(code="W24", name="Two years", months=24)
        product = Product.objects.create(
            sku="WM-S", name="Washer", category=LINE, warranty_policy=policy
        )
        north = Customer.objects.create(name="North household", country="ES", region="north")
        south = Customer.objects.create(name="South household", country="ES", region="south")
        self.units = Unit.objects.bulk_create(
            Unit(
                serial_number=f"SN-{i:04d}",
                product=product,
                customer=north if i < 400 else south,
                sold_on=self.today - timedelta(days=200 + i % 300),
                country="ES",
            )
            for i in range(450)
        )
        self.partners = Partner.objects.bulk_create(
            Partner(code=f"P{k}", name=f"Partner {k}", regions=["north"], product_lines=[LINE])
            for k in range(1, 5)
        )
        self.partners = list(Partner.objects.order_by("code"))
        rows = []
        for k, partner in enumerate(self.partners):
            for j in range(40):
                unit = self.units[k * 40 + j]
                doa = k == 3 and j % 2 == 0  # P4: half its claims are DOA swaps
                rows.append(self.claim(partner, unit, j, doa=doa))
        Claim.objects.bulk_create(rows)

    def claim(self, partner, unit, j: int, *, doa: bool = False, **changes) -> Claim:
        now = clock.now()
        repair = self.today - timedelta(days=10 + j)
        facts = {
            "partner": partner,
            "serial_number": unit.serial_number if unit else "GHOST-1",
            "unit": unit,
            "status": "auto_approved",
            "outcome": "auto_approved",
            "fault_code": "E21",
            "repair_date": repair,
            "invoice_number": f"{partner.code}-{j:03d}",
            "currency": "EUR",
            "claimed_amount": Decimal("80.00") + j,
            "region": "north",
            "product_line": LINE,
            "sold_on": unit.sold_on if unit else None,
            "sold_region": "north" if unit else "",
            "coverage_ends_on": unit.sold_on + timedelta(days=729) if unit else None,
            "customer_phone": f"+3460000{j:04d}",
            "customer_address_key": f"calle {partner.code} {j}",
            "labour_minutes": 30 if doa else 45 + 5 * (j % 3),
            "standard_minutes": 30 if doa else 45,
            "parts_count": 0 if doa else 1 + j % 2,
            "parts_amount": Decimal("0") if doa else Decimal("42.50"),
            "doa": doa,
            "no_fault_found": (j % 4 == 0) if doa else None,
            "submitted_at": now,
            "updated_at": now,
        }
        facts.update(changes)
        return Claim(**facts)

    def add(self, partner, unit, j: int, **changes) -> Claim:
        claim = self.claim(partner, unit, j, **changes)
        claim.save()
        return claim


@pytest.fixture
def small_world(db) -> World:
    return World()


def test_refresh_peer_statistics_writes_the_group_and_each_partner(small_world):
    assert scoring.refresh_peer_statistics() == 1 + 4
    group = PeerStatistics.objects.get(partner=None)
    assert (group.region, group.product_line) == ("north", LINE)
    assert group.window_end == small_world.today
    assert group.window_start == small_world.today - timedelta(days=365)
    metrics = group.metrics
    assert metrics["claims"] == 160
    assert metrics["units_sold"] == 400
    assert metrics["partners"] == 4
    # Claim-level statistics are of repairs: 1 or 2 parts, labour 1.0–1.22× the standard.
    assert metrics["claim"]["parts"]["median"] in (1.0, 2.0)
    assert 1.0 <= metrics["claim"]["labour_ratio"]["median"] <= 1.25
    assert set(metrics["partner_rates"]) >= {"doa_rate", "claim_rate", "cost_per_claim"}

    p4 = PeerStatistics.objects.get(partner=small_world.partners[3]).metrics
    entry = p4["groups"][f"north|{LINE}"]
    assert entry["claims"] == 40
    assert entry["rates"]["doa_rate"] == 0.5
    assert entry["rates"]["claim_rate"] == pytest.approx(10.0)  # 40 claims / 400 units
    assert entry["peers"]["doa_rate"] == 0.0
    assert entry["z"]["doa_rate"] > 3
    assert entry["signal"]["doa_rate"]["z"] >= entry["z"]["doa_rate"]
    assert 0 <= entry["anomaly"] <= 1
    assert p4["overall"]["claims"] == 40
    p1 = PeerStatistics.objects.get(partner=small_world.partners[0]).metrics
    assert p1["groups"][f"north|{LINE}"]["z"]["doa_rate"] <= 0


def test_refresh_replaces_the_previous_snapshot(small_world):
    scoring.refresh_peer_statistics()
    later = small_world.today + timedelta(days=400)  # every claim has left the window
    assert scoring.refresh_peer_statistics(today=later) == 0
    assert not PeerStatistics.objects.exists()


def test_a_phantom_serial_is_scored_above_the_threshold_and_says_why(
    small_world, django_assert_max_num_queries
):
    scoring.refresh_peer_statistics()
    ghost = small_world.add(small_world.partners[0], None, 5)
    with django_assert_max_num_queries(3):
        result = scoring.score_claim(ghost)
    assert result.score >= 90
    assert result.reasons[0].code == "UNSOLD_SERIAL"
    assert result.reasons[0].sentence.startswith("The serial number is not in the sales register")


def test_a_duplicate_names_the_earlier_claim(small_world):
    scoring.refresh_peer_statistics()
    partner = small_world.partners[1]
    unit = small_world.units[40]  # P2's first claim, repaired 10 days ago, fault E21
    original = Claim.objects.get(serial_number=unit.serial_number)
    again = small_world.add(partner, unit, 0, repair_date=small_world.today - timedelta(days=2))
    result = scoring.score_claim(again)
    assert result.score >= 90
    (duplicate,) = [r for r in result.reasons if r.code == "DUPLICATE"]
    assert duplicate.sentence == (
        f"Claim {original.number} on the same serial with the same fault code E21 was repaired"
        " 8 days earlier. This partner already used the same invoice number on claim"
        f" {original.number}."
    )
    # The original is not a duplicate of the copy.
    assert "DUPLICATE" not in [r.code for r in scoring.score_claim(original).reasons]


def test_the_same_serial_at_another_partner_and_a_shared_phone_count(small_world):
    scoring.refresh_peer_statistics()
    unit = small_world.units[0]  # P1's claim, fault E21
    other = small_world.add(
        small_world.partners[2], unit, 77, fault_code="E10", customer_phone="+34600000000"
    )
    result = scoring.score_claim(other)
    assert "SERIAL_OTHER_PARTNER" in [r.code for r in result.reasons]
    assert "DUPLICATE" not in [r.code for r in result.reasons]  # another fault
    claims = [
        small_world.add(small_world.partners[2], small_world.units[300 + j], 90 + j, **same)
        for j in range(5)
        for same in [{"customer_phone": "+34699"}]
    ]
    codes = [r.code for r in scoring.score_claim(claims[-1]).reasons]
    assert "SHARED_CUSTOMER" in codes  # five units under one phone
    assert "SHARED_CUSTOMER" not in [r.code for r in scoring.score_claim(other).reasons]


def test_one_amount_billed_for_many_faults_counts_from_the_snapshot(small_world):
    partner = small_world.partners[0]
    same = Decimal("123.45")
    claims = [
        small_world.add(
            partner, small_world.units[200 + j], 60 + j, fault_code=f, claimed_amount=same
        )
        for j, f in enumerate(("E10", "E21", "E30"))
    ]
    scoring.refresh_peer_statistics()
    metrics = PeerStatistics.objects.get(partner=partner).metrics
    assert metrics["repeated_amounts"] == {"12345": 3}
    (reason,) = [r for r in scoring.score_claim(claims[0]).reasons if r.code == "REPEATED_AMOUNT"]
    assert reason.sentence == "This partner claimed exactly 123.45 for 3 different fault codes."


def test_a_doa_claim_of_the_doa_heavy_partner_is_flagged_and_its_repairs_are_not(small_world):
    scoring.refresh_peer_statistics()
    p4 = small_world.partners[3]
    doa = Claim.objects.filter(partner=p4, doa=True, no_fault_found=True).first()
    repair = Claim.objects.filter(partner=p4, doa=False).first()
    doa_codes = [r.code for r in scoring.score_claim(doa).reasons]
    assert "DOA_RATE_VS_PEERS" in doa_codes
    assert "DOA_RATE_VS_PEERS" not in [r.code for r in scoring.score_claim(repair).reasons]


def test_rescore_all_writes_every_claim_and_agrees_with_score_claim(small_world):
    small_world.add(small_world.partners[0], None, 5)  # a phantom
    small_world.add(
        small_world.partners[1],
        small_world.units[40],
        0,
        repair_date=small_world.today - timedelta(days=2),
    )  # a duplicate
    seen = []
    count = scoring.rescore_all(progress=lambda done, total: seen.append((done, total)))
    total = Claim.objects.count()
    assert count == total == 162
    assert seen[-1] == (total, total)
    assert not Claim.objects.filter(risk__scored_at=None).exists()
    assert set(Claim.objects.values_list("status", flat=True)) == {"auto_approved"}
    assert Claim.objects.filter(risk__score__gte=50).count() >= 2
    for claim in Claim.objects.select_related("risk"):
        result = scoring.score_claim(claim)
        assert (claim.risk.score, claim.risk.reasons) == (result.score, result.as_list())
    # Nothing changed since: a second rescoring scores every claim and writes none.
    stamps = dict(Claim.objects.values_list("id", "risk__scored_at"))
    timings: dict = {}
    assert scoring.rescore_all(timings=timings) == total
    assert timings["claims_written"] == 0
    assert dict(Claim.objects.values_list("id", "risk__scored_at")) == stamps
    assert set(timings) >= {"refresh_s", "fetch_s", "score_s", "write_s"}


def test_the_rescore_command_prints_what_it_did(small_world):
    out = io.StringIO()
    call_command("claims_rescore", stdout=out)
    assert out.getvalue().startswith("Rescored 160 claims in ")
    assert not Claim.objects.filter(risk__scored_at=None).exists()
    with pytest.raises(CommandError):
        call_command("claims_rescore", today="yesterday")


def test_rescore_all_on_an_empty_database(db):
    assert scoring.rescore_all() == 0


def test_rescore_all_on_a_synthetic_world_flags_the_abuse_and_agrees_with_score_claim(db):
    today = date(2026, 11, 23)
    world = synthetic.generate(claims=1_500, fraud_rate=0.1, seed=5, today=today)
    labels = synthetic.load(world)
    assert scoring.rescore_all(today=today) == len(labels)
    scores = dict(Claim.objects.values_list("id", "risk__score"))
    abusive = [pk for pk, label in labels.items() if label]
    flagged = [pk for pk in abusive if scores[pk] >= 50]
    assert len(flagged) >= 0.8 * len(abusive)
    honest_flagged = [pk for pk, label in labels.items() if not label and scores[pk] >= 50]
    assert len(honest_flagged) <= 0.05 * (len(labels) - len(abusive))
    # Every tenth claim, one at a time, gets exactly what the batch wrote.
    for claim in Claim.objects.filter(id__in=sorted(labels)[::10]).select_related("risk"):
        result = scoring.score_claim(claim)
        assert (claim.risk.score, claim.risk.reasons) == (result.score, result.as_list())
