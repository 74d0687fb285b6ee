"""The risk signals, their sentences and how they combine: no database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.claims import risk
from aftersales.claims.risk import ClaimRiskFacts, PartnerStats, PeerGroupStats

DAY = date(2026, 3, 2)
# An ordinary claim: sold a year ago in its own region, an hour's standard labour, one part.
PLAIN = ClaimRiskFacts(
    repair_date=DAY,
    claim_id=10,
    region="north",
    sold_region="north",
    fault_code="E21",
    sold_on=DAY - timedelta(days=365),
    coverage_ends_on=DAY + timedelta(days=365),
    labour_minutes=60,
    standard_minutes=60,
    parts_count=1,
    claimed_amount=Decimal("87.40"),
)
PEERS = PeerGroupStats(
    claims=500,
    labour_median=1.0,
    labour_mad=0.05,
    parts_median=1,
    parts_mad=0,
    cost_median=90.0,
    cost_mad=20.0,
)
RATES = {
    "claim_rate": 2.0,
    "doa_rate": 0.03,
    "nff_rate": 0.1,
    "parts_per_claim": 1.2,
    "cost_per_claim": 95.0,
    "labour_ratio": 1.02,
    "near_expiry_share": 0.08,
    "defectives_share": 0.05,
    "sold_elsewhere_share": 0.01,
}


def partner(**z) -> PartnerStats:
    """A partner whose rates are its peers' except those given as robust z-scores (each such
    rate is set at three times the peers' median)."""
    rates = {r: (3 * v if r in z else v) for r, v in RATES.items()}
    return PartnerStats(claims=200, rates=rates, peers=dict(RATES), z=z, anomaly=0.5)


def codes(result: risk.RiskResult) -> list[str]:
    return [r.code for r in result.reasons]


def test_an_ordinary_claim_scores_zero_with_no_reasons():
    result = risk.score(PLAIN, PEERS, partner())
    assert result == risk.RiskResult(score=0, reasons=())


FIRING = {
    "UNSOLD_SERIAL": ({"unit_known": False, "sold_on": None, "sold_region": ""}, {}),
    "DUPLICATE": ({"duplicate_count": 1, "duplicate_of": 7, "duplicate_gap_days": 12}, {}),
    "SERIAL_OTHER_PARTNER": ({"serial_other_partners": 1}, {}),
    "SOLD_IN_OTHER_REGION": ({"sold_region": "south"}, {}),
    "SHARED_CUSTOMER": ({"customer_units": 9}, {}),
    "JUST_AFTER_SALE": ({"sold_on": DAY - timedelta(days=3)}, {}),
    "NEAR_EXPIRY": ({"coverage_ends_on": DAY + timedelta(days=6)}, {}),
    "LABOUR_ABOVE_STANDARD": ({"labour_minutes": 240, "standard_minutes": 90}, {}),
    "LABOUR_VS_PEERS": ({"labour_minutes": 80}, {"labour_ratio": 6.0}),
    "PARTS_VS_PEERS": ({"parts_count": 9}, {}),
    "COST_VS_PEERS": ({"claimed_amount": Decimal("412.35")}, {}),
    "DEFECTIVES_NOT_RETURNED": ({"defectives_missing": 2}, {}),
    "ROUND_AMOUNT": ({"claimed_amount": Decimal("150.00")}, {}),
    "REPEATED_AMOUNT": ({"amount_faults": 5}, {}),
    "CLAIM_RATE_VS_PEERS": ({}, {"claim_rate": 5.0}),
    "DOA_RATE_VS_PEERS": ({"doa": True}, {"doa_rate": 6.0}),
    "NFF_RATE_VS_PEERS": ({"doa": True, "no_fault_found": True}, {"nff_rate": 4.0}),
}


# Signals that only ever fire on top of another one.
COMPANIONS = {"LABOUR_VS_PEERS": "LABOUR_ABOVE_STANDARD"}


def test_every_signal_has_a_firing_case():
    assert set(FIRING) | {"PARTNER_ANOMALY"} == set(risk.SIGNALS)


@pytest.mark.parametrize("code", sorted(FIRING))
def test_each_signal_fires_alone_on_its_facts(code):
    changes, z = FIRING[code]
    result = risk.score(PLAIN.__class__(**{**PLAIN.__dict__, **changes}), PEERS, partner(**z))
    if code in COMPANIONS:
        assert sorted(codes(result)) == sorted([code, COMPANIONS[code]])
        return
    assert codes(result) == [code]
    (reason,) = result.reasons
    # Alone, a signal's points are the score, and the score is its weight.
    assert reason.points == result.score > 0
    assert reason.sentence.endswith(".")


@pytest.mark.parametrize(
    "code, changes, z",
    [
        ("SERIAL_OTHER_PARTNER", {"serial_other_partners": 0}, {}),
        ("SHARED_CUSTOMER", {"customer_units": 4}, {}),  # a household, not a ring
        ("JUST_AFTER_SALE", {"sold_on": DAY - timedelta(days=3), "doa": True}, {}),
        ("JUST_AFTER_SALE", {"sold_on": DAY - timedelta(days=15)}, {}),
        ("NEAR_EXPIRY", {"coverage_ends_on": DAY + timedelta(days=36)}, {}),
        ("NEAR_EXPIRY", {"coverage_ends_on": DAY - timedelta(days=1)}, {}),
        ("LABOUR_ABOVE_STANDARD", {"labour_minutes": 74, "standard_minutes": 60}, {}),
        ("LABOUR_ABOVE_STANDARD", {"labour_minutes": 240, "standard_minutes": 0}, {}),
        ("LABOUR_VS_PEERS", {"labour_minutes": 55}, {"labour_ratio": 6.0}),  # this one is low
        ("PARTS_VS_PEERS", {"parts_count": 2}, {}),
        ("COST_VS_PEERS", {"claimed_amount": Decimal("180.35")}, {}),
        ("ROUND_AMOUNT", {"claimed_amount": Decimal("50.00")}, {}),
        ("ROUND_AMOUNT", {"claimed_amount": Decimal("150.50")}, {}),
        ("REPEATED_AMOUNT", {"amount_faults": 2}, {}),
        ("CLAIM_RATE_VS_PEERS", {}, {"claim_rate": 2.9}),
        ("DOA_RATE_VS_PEERS", {"doa": False}, {"doa_rate": 6.0}),  # not a DOA claim
        ("NFF_RATE_VS_PEERS", {"doa": False}, {"nff_rate": 6.0}),
        ("SOLD_IN_OTHER_REGION", {"sold_region": ""}, {}),
    ],
)
def test_signals_stay_quiet_below_their_thresholds(code, changes, z):
    facts = PLAIN.__class__(**{**PLAIN.__dict__, **changes})
    assert code not in codes(risk.score(facts, PEERS, partner(**z)))


def test_statistical_signals_need_peer_statistics():
    facts = PLAIN.__class__(**{**PLAIN.__dict__, "parts_count": 9, "doa": True})
    assert risk.score(facts, None, None).reasons == ()
    small_group = PeerGroupStats(**{**PEERS.__dict__, "claims": risk.MIN_GROUP_CLAIMS - 1})
    assert "PARTS_VS_PEERS" not in codes(risk.score(facts, small_group, partner()))


def sentence(code: str, facts: ClaimRiskFacts, peer=PEERS, stats=None) -> str:
    result = risk.score(facts, peer, stats or partner())
    return next(r.sentence for r in result.reasons if r.code == code)


def with_(**changes) -> ClaimRiskFacts:
    return PLAIN.__class__(**{**PLAIN.__dict__, **changes})


def test_sentences_carry_the_facts():
    assert (
        sentence("LABOUR_ABOVE_STANDARD", with_(labour_minutes=240, standard_minutes=90))
        == "Labour 240 min is 2.7× the standard 90 min."
    )
    assert (
        sentence("DUPLICATE", with_(duplicate_count=1, duplicate_of=7, duplicate_gap_days=12))
        == "Claim CLM-0000007 on the same serial with the same fault code E21 was repaired"
        " 12 days earlier."
    )
    assert sentence("DUPLICATE", with_(invoice_count=1, invoice_of=3)) == (
        "This partner already used the same invoice number on claim CLM-0000003."
    )
    assert sentence("SOLD_IN_OTHER_REGION", with_(sold_region="south")) == (
        "The unit was sold in south but repaired in north."
    )
    assert sentence("NEAR_EXPIRY", with_(coverage_ends_on=DAY + timedelta(days=6))) == (
        "Repaired 6 days before the coverage ended on 2026-03-08."
    )
    assert sentence(
        "NEAR_EXPIRY",
        with_(coverage_ends_on=DAY + timedelta(days=6)),
        stats=partner(near_expiry_share=6.0),
    ) == (
        "Repaired 6 days before the coverage ended on 2026-03-08. 24 % of this partner's claims"
        " are this close to expiry (peers: 8 %)."
    )
    assert sentence("PARTS_VS_PEERS", with_(parts_count=9)) == (
        "9 parts on one claim; the peers' claims have 1 (median)."
    )
    assert sentence("DOA_RATE_VS_PEERS", with_(doa=True), stats=partner(doa_rate=6.0)) == (
        "Dead on arrival: 9 % of this partner's claims are DOA (peers: 3 %)."
    )
    assert sentence("DEFECTIVES_NOT_RETURNED", with_(defectives_missing=1)) == (
        "1 defective part that must come back was not returned."
    )
    assert sentence(
        "SOLD_IN_OTHER_REGION", with_(sold_region="south"), stats=partner(sold_elsewhere_share=6.0)
    ) == (
        "The unit was sold in south but repaired in north. 3 % of this partner's claims are for"
        " units sold in another region (peers: 1 %)."
    )
    assert sentence(
        "LABOUR_VS_PEERS", with_(labour_minutes=80), stats=partner(labour_ratio=6.0)
    ) == ("This partner's labour averages 3.06× the standard time (peers: 1.02×).")
    assert sentence("SERIAL_OTHER_PARTNER", with_(serial_other_partners=2)) == (
        "The same serial number was also claimed by 2 other partners."
    )
    assert sentence("CLAIM_RATE_VS_PEERS", PLAIN, stats=partner(claim_rate=5.0)) == (
        "This partner files 6.0 claims per 100 units sold in north (peers: 2.0)."
    )


def test_partner_level_signals_mark_only_the_claims_behind_the_rate():
    stats = partner(doa_rate=6.0, defectives_share=5.0)
    doa = risk.score(with_(doa=True), PEERS, stats)
    repair = risk.score(PLAIN, PEERS, stats)
    assert "DOA_RATE_VS_PEERS" in codes(doa)
    assert repair.reasons == ()
    # The partner's habit of keeping defectives adds to a claim that keeps one.
    alone = risk.score(with_(defectives_missing=1), PEERS, partner())
    habitual = risk.score(with_(defectives_missing=1), PEERS, stats)
    assert habitual.score > alone.score
    assert "This partner leaves defectives unreturned on 15 %" in habitual.reasons[0].sentence


def test_noisy_or_adds_weak_signals_but_never_beyond_their_weights():
    one = risk.score(with_(sold_region="south"), PEERS, partner())
    two = risk.score(with_(sold_region="south", serial_other_partners=1), PEERS, partner())
    assert one.score == round(100 * risk.W["SOLD_IN_OTHER_REGION"][0])
    expected = 100 * (1 - (1 - 0.30) * (1 - 0.15))
    assert abs(two.score - expected) <= 0.5 + 1e-9
    assert sum(r.points for r in two.reasons) == two.score
    assert [r.code for r in two.reasons] == ["SOLD_IN_OTHER_REGION", "SERIAL_OTHER_PARTNER"]


def test_a_phantom_repair_is_above_the_review_threshold_on_its_own():
    result = risk.score(with_(unit_known=False, sold_on=None), PEERS, partner())
    assert result.score >= 90
    assert result.reasons[0].code == "UNSOLD_SERIAL"


def test_robust_z_uses_median_and_mad_with_floors():
    assert risk.robust_z(7.0, 4.0, 2.0, 0.5) == pytest.approx(3 / (1.4826 * 2))
    # A MAD of zero falls back to the floor, or to 10 % of the median when that is larger.
    assert risk.robust_z(3.0, 1.0, 0.0, 0.5) == pytest.approx(2 / (1.4826 * 0.5))
    assert risk.robust_z(130.0, 100.0, 0.0, 1.0) == pytest.approx(30 / (1.4826 * 10))


def test_partner_anomaly_picks_out_the_odd_partner_reproducibly():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 1, size=(60, len(risk.RATES)))
    z[17] = [2.5, 2.5, 2.5, 0, 0, 0, 2.5, 2.5, 2.5]  # unusual on several rates, extreme on none
    first = risk.partner_anomaly(z)
    assert np.argmax(first) == 17
    assert first[17] > risk.ANOMALY_FLAG
    assert np.array_equal(first, risk.partner_anomaly(z))
    # Fewer rows than a forest needs: everyone is ordinary.
    assert list(risk.partner_anomaly(z[:3])) == [0.5, 0.5, 0.5]


def test_partner_anomaly_signal_names_the_rates_that_stand_out():
    stats = PartnerStats(
        claims=100,
        rates=RATES,
        peers=RATES,
        z={},
        anomaly=0.75,
        anomaly_top=("doa_rate", "near_expiry_share"),
    )
    result = risk.score(PLAIN, PEERS, stats)
    assert codes(result) == ["PARTNER_ANOMALY"]
    assert "DOA rate, claims near expiry" in result.reasons[0].sentence


# --- properties -----------------------------------------------------------------------------

days = st.integers(min_value=-400, max_value=1200)
counts = st.integers(min_value=0, max_value=3)
facts_strategy = st.builds(
    ClaimRiskFacts,
    repair_date=st.just(DAY),
    claim_id=st.integers(min_value=1, max_value=10**6),
    unit_known=st.booleans(),
    region=st.just("north"),
    sold_region=st.sampled_from(["", "north", "south"]),
    fault_code=st.just("E21"),
    sold_on=st.none() | days.map(lambda d: DAY - timedelta(days=d)),
    coverage_ends_on=st.none() | days.map(lambda d: DAY + timedelta(days=d)),
    doa=st.booleans(),
    no_fault_found=st.none() | st.booleans(),
    labour_minutes=st.integers(min_value=0, max_value=2000),
    standard_minutes=st.integers(min_value=0, max_value=600),
    parts_count=st.integers(min_value=0, max_value=40),
    defectives_missing=st.integers(min_value=0, max_value=10),
    claimed_amount=st.integers(min_value=0, max_value=10**7).map(lambda c: Decimal(c) / 100),
    duplicate_count=counts,
    duplicate_of=st.integers(min_value=0, max_value=10**6),
    duplicate_gap_days=st.integers(min_value=0, max_value=90),
    invoice_count=counts,
    invoice_of=st.integers(min_value=0, max_value=10**6),
    serial_other_partners=st.integers(min_value=0, max_value=5),
    customer_units=st.integers(min_value=0, max_value=40),
    amount_faults=st.integers(min_value=0, max_value=12),
)
z_value = st.floats(min_value=-5, max_value=40, allow_nan=False)
partner_strategy = st.none() | st.builds(
    lambda zs, anomaly: PartnerStats(
        claims=100,
        rates=RATES,
        peers=RATES,
        z=dict(zip(risk.RATES, zs, strict=True)),
        anomaly=anomaly,
        anomaly_top=("doa_rate",),
    ),
    st.lists(z_value, min_size=len(risk.RATES), max_size=len(risk.RATES)),
    st.floats(min_value=0.3, max_value=1.0),
)
peer_strategy = st.none() | st.just(PEERS)


@settings(max_examples=300, deadline=None)
@given(facts_strategy, peer_strategy, partner_strategy)
def test_the_score_is_bounded_and_its_points_add_up(facts, peer, stats):
    result = risk.score(facts, peer, stats)
    assert 0 <= result.score <= 100
    assert sum(r.points for r in result.reasons) == result.score
    points = [r.points for r in result.reasons]
    assert points == sorted(points, reverse=True)
    assert len({r.code for r in result.reasons}) == len(result.reasons)
    assert all(r.sentence and r.code in risk.SIGNALS for r in result.reasons)
    assert (result.score > 0) <= bool(result.reasons)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(facts_strategy, peer_strategy, partner_strategy), max_size=25))
def test_the_batch_and_the_single_claim_forms_agree(rows):
    batch = risk.Batch.from_facts(
        [f for f, _, _ in rows], [p for _, p, _ in rows], [q for _, _, q in rows]
    )
    together = risk.score_batch(batch)
    for i, (facts, peer, stats) in enumerate(rows):
        assert together.result(i) == risk.score(facts, peer, stats)


def test_the_batch_form_agrees_on_a_large_mixed_batch():
    rng = np.random.default_rng(7)
    rows = []
    for i in range(400):
        facts = ClaimRiskFacts(
            repair_date=DAY,
            claim_id=i + 1,
            unit_known=bool(rng.random() > 0.05),
            region="north",
            sold_region=str(rng.choice(["north", "south"])),
            sold_on=DAY - timedelta(days=int(rng.integers(0, 700))),
            coverage_ends_on=DAY + timedelta(days=int(rng.integers(0, 400))),
            doa=bool(rng.random() < 0.1),
            labour_minutes=int(rng.integers(30, 300)),
            standard_minutes=60,
            parts_count=int(rng.integers(0, 12)),
            defectives_missing=int(rng.integers(0, 3)),
            claimed_amount=Decimal(int(rng.integers(1000, 90000))) / 100,
            customer_units=int(rng.integers(1, 8)),
        )
        stats = partner(doa_rate=float(rng.normal(2, 2)), claim_rate=float(rng.normal(2, 2)))
        rows.append((facts, PEERS, stats))
    batch = risk.Batch.from_facts(*zip(*rows, strict=True))
    together = risk.score_batch(batch)
    assert [together.result(i) for i in range(len(rows))] == [risk.score(*r) for r in rows]
    assert together.scores.max() > 50 > together.scores.min()
