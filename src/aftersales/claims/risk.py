"""The risk of a warranty claim: signals, each a probability-like weight with a sentence that
carries the facts behind it, combined into a score from 0 to 100 with the reasons that made it.

Pure: no ORM, no I/O, no clock (numpy and scikit-learn only for arithmetic). `scoring.py` reads
the facts from the database and the peer statistics snapshot; docs/decisions/0011-claims.md
records why the combination is a noisy-OR.

Three kinds of signal:

* about the claim alone: the serial was never sold (UNSOLD_SERIAL) or sold in another region,
  repaired just after the sale or just before the coverage ended, labour above the standard
  time, defective parts not returned, a round amount;
* about the claim among other claims (counted by the caller: numpy groups in batch, indexed
  queries for one claim): an earlier claim on the same serial with the same fault code or the
  same invoice number (DUPLICATE), the serial claimed by another partner, many units claimed
  under one phone or address, one amount billed for many different faults (in the window);
* about the claim against its peers (partners of the same region and product line over the
  rolling window): robust z-scores, (x − median) / (1.4826 · MAD), of the claim's parts and
  cost against the peer group's claims, and of the partner's own rates (claims per 100 units
  sold, DOA rate, no-fault-found rate, parts and cost per claim, labour ratio, share of claims
  near expiry, share of parts claims with defectives missing, share of units sold in another
  region) against the peer partners (for the shares, also against all partners: see
  scoring.py); and
  an isolation forest over those partner z-scores (PARTNER_ANOMALY) that notices a partner
  unusual on several rates at once though extreme on none. A partner-level signal fires only
  on the partner's claims that contribute to the rate it is about (a high DOA rate marks the
  partner's DOA claims, not its ordinary repairs).

The score is a noisy-OR, ``score = 100 · (1 − Π(1 − pᵢ))``: several weak signals add up, none
alone exceeds its own weight. A reason's points are its share of the score in proportion to
its ``−log(1 − pᵢ)`` (its contribution to the product), rounded by largest remainder so that the
points of the reasons add up to the score exactly.

One computation, two doors: `score_batch` takes a `Batch` of column arrays (the batch scorer
builds it straight from the database, a million claims at a time); `score` takes one claim's
`ClaimRiskFacts` with its `PeerGroupStats` and `PartnerStats` and runs the same arithmetic on
a batch of one, so that a claim scored on submission and by the nightly batch cannot differ.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.claims.choices import claim_number

__all__ = [
    "RATES",
    "SIGNALS",
    "Batch",
    "BatchResult",
    "ClaimRiskFacts",
    "PartnerStats",
    "PeerGroupStats",
    "Reason",
    "RiskResult",
    "partner_anomaly",
    "combine",
    "robust_z",
    "score",
    "score_batch",
    "signal_matrix",
]

EPOCH = date(1970, 1, 1)
NO_DAY = -(10**9)  # a missing date, in days since EPOCH

# The partner rates compared with the peer partners, in this order wherever they are listed.
RATES: tuple[str, ...] = (
    "claim_rate",  # claims per 100 units sold in the region and product line
    "doa_rate",  # share of claims that are dead-on-arrival replacements
    "nff_rate",  # share of inspected returns where no fault was found
    "parts_per_claim",
    "cost_per_claim",
    "labour_ratio",  # labour minutes claimed / standard minutes, over claims with a standard
    "near_expiry_share",  # share of claims repaired in the last NEAR_EXPIRY_DAYS of coverage
    "defectives_share",  # share of claims with parts where a defective part was not returned
    "sold_elsewhere_share",  # share of claims on units sold in another region
)
# The rates that are shares of a count: their sampling error bounds how far a small
# partner's rate may stray from the peers' before it means anything.
SHARES: frozenset[str] = frozenset(
    {"doa_rate", "nff_rate", "near_expiry_share", "defectives_share", "sold_elsewhere_share"}
)

SIGNALS: tuple[str, ...] = (
    "UNSOLD_SERIAL",
    "DUPLICATE",
    "SERIAL_OTHER_PARTNER",
    "SOLD_IN_OTHER_REGION",
    "SHARED_CUSTOMER",
    "JUST_AFTER_SALE",
    "NEAR_EXPIRY",
    "LABOUR_ABOVE_STANDARD",
    "LABOUR_VS_PEERS",
    "PARTS_VS_PEERS",
    "COST_VS_PEERS",
    "DEFECTIVES_NOT_RETURNED",
    "ROUND_AMOUNT",
    "REPEATED_AMOUNT",
    "CLAIM_RATE_VS_PEERS",
    "DOA_RATE_VS_PEERS",
    "NFF_RATE_VS_PEERS",
    "PARTNER_ANOMALY",
)
_INDEX = {code: k for k, code in enumerate(SIGNALS)}

# --- the knobs ------------------------------------------------------------------------------
# Tuned on synthetic worlds (aftersales.claims.synthetic, seeds 7 and 11 at 50,000 claims,
# checked on seed 7 at 1,000,000), never on the benchmark's seed (bench/claims.py). A weight
# is the most a signal adds on its own, as a probability.
JUST_AFTER_SALE_DAYS = 14
NEAR_EXPIRY_DAYS = 35  # the last five weeks of coverage
LABOUR_RATIO_FLAG = 1.25  # labour above this multiple of the standard time is a signal
SHARED_CUSTOMER_UNITS = 5  # distinct units under one phone or address before it is a signal
REPEATED_AMOUNT_FAULTS = 3  # distinct fault codes billed at one exact amount
Z_CLAIM = 3.0  # a claim's robust z against its peer group's claims (parts)
Z_COST = 4.0  # the same for its amount (an expensive repair is common and honest)
# From which robust z a partner's rate counts against it. Labour is compared at 2: the peers'
# habits spread widely, and the signal only adds to claims that are long themselves; near
# expiry and sold elsewhere start adding at 1.5 and weigh fully 2 further on.
Z_PARTNER = {
    "claim_rate": 3.0,
    "doa_rate": 3.0,
    "nff_rate": 3.0,
    "parts_per_claim": 3.0,
    "cost_per_claim": 3.0,
    "labour_ratio": 2.0,
    "near_expiry_share": 1.5,
    "defectives_share": 3.0,
    "sold_elsewhere_share": 1.5,
}
ANOMALY_FLAG = 0.6  # isolation-forest score above which a partner is unusual (0.5 = ordinary)
MIN_GROUP_CLAIMS = 30  # a peer group smaller than this has no claim-level statistics
MAX_P = 0.99

W = {
    "UNSOLD_SERIAL": 0.95,
    "DUPLICATE": 0.90,
    "SERIAL_OTHER_PARTNER": (0.15, 0.10, 0.45),  # base, per further partner, cap
    "SOLD_IN_OTHER_REGION": (0.30, 0.60),  # alone; added as the partner's share stands out
    "SHARED_CUSTOMER": (0.30, 0.05, 0.70),  # base at SHARED_CUSTOMER_UNITS, per unit more, cap
    "JUST_AFTER_SALE": 0.15,
    "NEAR_EXPIRY": (0.10, 0.55),  # alone; added as the partner's near-expiry share stands out
    # labour / standard → weight, interpolated: twice the standard is where it gets serious
    "LABOUR_ABOVE_STANDARD": ((1.25, 1.8, 2.0, 2.5, 3.0), (0.05, 0.20, 0.35, 0.50, 0.70)),
    "LABOUR_VS_PEERS": (0.25, 0.05, 0.45),  # at its Z_PARTNER, per z more, cap
    "PARTS_VS_PEERS": (0.25, 0.06, 0.70, 0.20),  # claim: at Z_CLAIM, per z, cap; partner
    "COST_VS_PEERS": (0.10, 0.03, 0.30, 0.10),  # claim: at Z_COST, per z, cap; partner
    "DEFECTIVES_NOT_RETURNED": (0.15, 0.20, 0.60, 0.25),  # first part, each more, cap; partner
    "ROUND_AMOUNT": 0.12,
    "REPEATED_AMOUNT": (0.08, 0.03, 0.20),
    "CLAIM_RATE_VS_PEERS": (0.03, 0.01, 0.08),  # weak: a big honest partner files more too
    "DOA_RATE_VS_PEERS": (0.35, 0.03, 0.60),
    "NFF_RATE_VS_PEERS": (0.25, 0.30, 0.05, 0.60),  # this claim NFF; partner at Z, per z, cap
    "PARTNER_ANOMALY": (1.0, 0.20),  # per unit of score above ANOMALY_FLAG, cap
}

# Floors under the MAD, so that a peer group where nearly every claim looks the same does
# not turn a small difference into a huge z.
CLAIM_FLOORS = {"parts": 0.5, "cost": 1.0}
RATE_FLOORS = {
    "claim_rate": 0.1,
    "doa_rate": 0.01,
    "nff_rate": 0.02,
    "parts_per_claim": 0.1,
    "cost_per_claim": 1.0,
    "labour_ratio": 0.03,
    "near_expiry_share": 0.01,
    "defectives_share": 0.02,
    "sold_elsewhere_share": 0.01,
}
RELATIVE_FLOOR = 0.10  # and never below 10 % of the median


def robust_z(x, median, mad, floor):
    """(x − median) / (1.4826 · max(MAD, floor, 10 % of |median|)); arrays or scalars."""
    scale = 1.4826 * np.maximum(np.maximum(mad, floor), RELATIVE_FLOOR * np.abs(median))
    return (np.asarray(x, dtype=float) - median) / scale


def partner_anomaly(z: np.ndarray, *, random_state: int = 0) -> np.ndarray:
    """Isolation-forest anomaly scores (0.5 ordinary, towards 1 unusual) of partner rows given
    as their robust z-scores per rate. Only excesses count: a partner with fewer DOAs than its
    peers is not suspicious, so negative z-scores are set to 0 (and all are capped at 10)."""
    from sklearn.ensemble import IsolationForest

    z = np.asarray(z, dtype=float)
    if len(z) < 8:
        return np.full(len(z), 0.5)
    features = np.clip(np.nan_to_num(z), 0.0, 10.0)
    forest = IsolationForest(
        n_estimators=200, max_samples=min(256, len(features)), random_state=random_state
    )
    forest.fit(features)
    return -forest.score_samples(features)


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    points: int
    sentence: str

    def as_dict(self) -> dict:
        return {"code": self.code, "points": self.points, "sentence": self.sentence}


@dataclass(frozen=True, slots=True)
class RiskResult:
    score: int  # 0..100
    reasons: tuple[Reason, ...]  # sorted by points, highest first; only signals that fired

    def as_list(self) -> list[dict]:
        return [r.as_dict() for r in self.reasons]


# --- one claim's facts ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRiskFacts:
    """What the score needs to know about one claim, as stored on it (the fact columns) and
    as counted among the other claims in the database (the caller counts)."""

    repair_date: date
    claim_id: int = 0
    unit_known: bool = True
    region: str = ""
    sold_region: str = ""
    fault_code: str = ""
    sold_on: date | None = None
    coverage_ends_on: date | None = None
    doa: bool = False
    no_fault_found: bool | None = None
    labour_minutes: int = 0
    standard_minutes: int = 0
    parts_count: int = 0
    defectives_missing: int = 0
    claimed_amount: Decimal = Decimal("0")
    # Counted among other claims:
    duplicate_count: int = 0  # earlier claims: same serial and fault code within the window
    duplicate_of: int = 0  # the latest of them (claim id)
    duplicate_gap_days: int = 0  # days between its repair and this one
    invoice_count: int = 0  # earlier claims of this partner with the same invoice number
    invoice_of: int = 0  # the latest of them (claim id)
    serial_other_partners: int = 0  # other partners that claimed the same serial
    customer_units: int = 0  # distinct serials claimed under this phone or address (max)
    amount_faults: int = 0  # fault codes the partner billed at exactly this amount (window)


@dataclass(frozen=True)
class PeerGroupStats:
    """The claims of a peer group (region + product line) in the window: medians and MADs."""

    claims: int = 0
    labour_median: float = 1.0
    labour_mad: float = 0.0
    parts_median: float = 0.0
    parts_mad: float = 0.0
    cost_median: float = 0.0
    cost_mad: float = 0.0


@dataclass(frozen=True)
class PartnerStats:
    """A partner within one peer group: its rates, the peer partners' medians, its robust
    z-scores against them (0 where it has too few claims), and its isolation-forest score."""

    claims: int = 0
    rates: dict = field(default_factory=dict)
    peers: dict = field(default_factory=dict)
    z: dict = field(default_factory=dict)
    anomaly: float = 0.5
    anomaly_top: tuple[str, ...] = ()  # the rates that stand out most, for the sentence


# --- the batch ------------------------------------------------------------------------------

CLAIM_INT_COLUMNS = (
    "claim_id",
    "region",  # index into vocab
    "sold_region",  # index into vocab ("" is index 0)
    "fault_code",  # index into vocab
    "repair_day",  # days since EPOCH
    "sold_day",  # NO_DAY when never sold
    "coverage_end_day",  # NO_DAY when unknown
    "nff",  # -1 not inspected, 0 fault found, 1 no fault found
    "labour_minutes",
    "standard_minutes",
    "parts_count",
    "defectives_missing",
    "amount_cents",
    "duplicate_count",
    "duplicate_of",
    "duplicate_gap_days",
    "invoice_count",
    "invoice_of",
    "serial_other_partners",
    "customer_units",
    "amount_faults",
    "group",  # row of Batch.groups, -1 none
    "partner_group",  # row of Batch.partners, -1 none
)
CLAIM_BOOL_COLUMNS = ("unit_known", "doa")
GROUP_COLUMNS = (
    "claims",
    "labour_median",
    "labour_mad",
    "parts_median",
    "parts_mad",
    "cost_median",
    "cost_mad",
)
PARTNER_COLUMNS = (
    "claims",
    *RATES,
    *(f"{r}_peer" for r in RATES),
    *(f"{r}_z" for r in RATES),
    "anomaly",
    "anomaly_top1",  # index into RATES, -1 none
    "anomaly_top2",
)


@dataclass
class Batch:
    """Claims as columns. `claims` has CLAIM_INT_COLUMNS and CLAIM_BOOL_COLUMNS, each of
    length n; `claims["group"]` and `claims["partner_group"]` index the rows of the small
    `groups` (GROUP_COLUMNS) and `partners` (PARTNER_COLUMNS) tables; `vocab` names the coded
    strings (region, sold_region, fault_code)."""

    claims: dict[str, np.ndarray]
    groups: dict[str, np.ndarray]
    partners: dict[str, np.ndarray]
    vocab: list[str]

    @property
    def n(self) -> int:
        return len(self.claims["claim_id"])

    @staticmethod
    def empty_tables() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        return (
            {c: np.zeros(0) for c in GROUP_COLUMNS},
            {c: np.zeros(0) for c in PARTNER_COLUMNS},
        )

    @staticmethod
    def group_table(stats: Sequence[PeerGroupStats]) -> dict[str, np.ndarray]:
        return {
            c: np.array([float(getattr(s, c)) for s in stats], dtype=float) for c in GROUP_COLUMNS
        }

    @staticmethod
    def partner_table(stats: Sequence[PartnerStats]) -> dict[str, np.ndarray]:
        table: dict[str, list[float]] = {c: [] for c in PARTNER_COLUMNS}
        for s in stats:
            table["claims"].append(float(s.claims))
            for r in RATES:
                table[r].append(float(s.rates.get(r, 0.0) or 0.0))
                table[f"{r}_peer"].append(float(s.peers.get(r, 0.0) or 0.0))
                table[f"{r}_z"].append(float(s.z.get(r, 0.0) or 0.0))
            table["anomaly"].append(float(s.anomaly))
            top = [RATES.index(r) for r in s.anomaly_top if r in RATES][:2]
            top += [-1] * (2 - len(top))
            table["anomaly_top1"].append(float(top[0]))
            table["anomaly_top2"].append(float(top[1]))
        return {c: np.array(v, dtype=float) for c, v in table.items()}

    @classmethod
    def from_facts(
        cls,
        facts: Sequence[ClaimRiskFacts],
        peers: Sequence[PeerGroupStats | None] | None = None,
        partners: Sequence[PartnerStats | None] | None = None,
    ) -> Batch:
        """A batch of claims given one by one (a claim's peer group and partner statistics
        may be None: no statistical signal for it)."""
        n = len(facts)
        peers = list(peers) if peers is not None else [None] * n
        partners = list(partners) if partners is not None else [None] * n
        vocab: dict[str, int] = {"": 0}

        def code(s: str) -> int:
            return vocab.setdefault(s or "", len(vocab))

        def day(d: date | None) -> int:
            return (d - EPOCH).days if d is not None else NO_DAY

        group_rows = [p for p in peers if p is not None]
        partner_rows = [p for p in partners if p is not None]
        gi = pi = 0
        rows = []
        for f, peer, partner in zip(facts, peers, partners, strict=True):
            g = -1 if peer is None else gi
            gi += peer is not None
            p = -1 if partner is None else pi
            pi += partner is not None
            rows.append(
                {
                    "claim_id": f.claim_id,
                    "region": code(f.region),
                    "sold_region": code(f.sold_region),
                    "fault_code": code(f.fault_code),
                    "repair_day": day(f.repair_date),
                    "sold_day": day(f.sold_on),
                    "coverage_end_day": day(f.coverage_ends_on),
                    "nff": -1 if f.no_fault_found is None else int(f.no_fault_found),
                    "labour_minutes": f.labour_minutes,
                    "standard_minutes": f.standard_minutes,
                    "parts_count": f.parts_count,
                    "defectives_missing": f.defectives_missing,
                    "amount_cents": int((Decimal(f.claimed_amount) * 100).to_integral_value()),
                    "duplicate_count": f.duplicate_count,
                    "duplicate_of": f.duplicate_of,
                    "duplicate_gap_days": f.duplicate_gap_days,
                    "invoice_count": f.invoice_count,
                    "invoice_of": f.invoice_of,
                    "serial_other_partners": f.serial_other_partners,
                    "customer_units": f.customer_units,
                    "amount_faults": f.amount_faults,
                    "group": g,
                    "partner_group": p,
                    "unit_known": f.unit_known,
                    "doa": f.doa,
                }
            )
        claims = {
            c: np.array([r[c] for r in rows], dtype=np.int64).reshape(n) for c in CLAIM_INT_COLUMNS
        }
        for c in CLAIM_BOOL_COLUMNS:
            claims[c] = np.array([r[c] for r in rows], dtype=bool).reshape(n)
        groups, partner_table = cls.empty_tables()
        if group_rows:
            groups = cls.group_table(group_rows)
        if partner_rows:
            partner_table = cls.partner_table(partner_rows)
        words = [""] * len(vocab)
        for word, k in vocab.items():
            words[k] = word
        return cls(claims=claims, groups=groups, partners=partner_table, vocab=words)


@dataclass
class BatchResult:
    """Scores, and the reasons of every claim as flat arrays: claim i's reasons are the
    entries starts[i]:starts[i + 1], already in order (points down, then signal order)."""

    scores: np.ndarray  # int, 0..100, per claim
    starts: np.ndarray  # n + 1 offsets into the arrays below
    codes: np.ndarray  # index into SIGNALS
    points: np.ndarray
    sentences: np.ndarray  # str objects

    def reasons(self, i: int) -> tuple[Reason, ...]:
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        return tuple(
            Reason(SIGNALS[k], p, t)
            for k, p, t in zip(
                self.codes[a:b].tolist(),
                self.points[a:b].tolist(),
                self.sentences[a:b].tolist(),
                strict=True,
            )
        )

    def result(self, i: int) -> RiskResult:
        return RiskResult(score=int(self.scores[i]), reasons=self.reasons(i))

    def reasons_json(self) -> list[str]:
        """Every claim's reasons as compact JSON (what `RiskResult.as_list()` serialises
        to), built from pieces: each distinct sentence is encoded once."""
        n = len(self.scores)
        out = ["[]"] * n
        if not len(self.codes):
            return out
        encoded: dict[str, str] = {}
        texts = []
        for t in self.sentences.tolist():
            e = encoded.get(t)
            if e is None:
                e = encoded[t] = json.dumps(t, ensure_ascii=False)
            texts.append(e)
        heads = [f'{{"code":"{code}","points":' for code in SIGNALS]
        pieces = [
            f'{heads[k]}{p},"sentence":{t}}}'
            for k, p, t in zip(self.codes.tolist(), self.points.tolist(), texts, strict=True)
        ]
        starts = self.starts.tolist()
        for i in np.flatnonzero(np.diff(self.starts)).tolist():
            out[i] = "[" + ",".join(pieces[starts[i] : starts[i + 1]]) + "]"
        return out


# --- the signals ----------------------------------------------------------------------------


def _ramp(x, base: float, per: float, cap: float):
    """base at x = 0, rising by `per` for each unit of x, never above cap."""
    return np.minimum(cap, base + per * np.maximum(x, 0.0))


def _lookup(table: dict[str, np.ndarray], column: str, rows: np.ndarray, missing: float = 0.0):
    """table[column][rows], with `missing` where rows is -1."""
    values = table[column]
    if len(values) == 0:
        return np.full(len(rows), missing, dtype=float)
    present = rows >= 0
    out = values[np.where(present, rows, 0)].astype(float)
    out[~present] = missing
    return out


class _Derived:
    """The arrays the signals and sentences share, computed once per batch."""

    def __init__(self, b: Batch):
        c = b.claims
        self.c = c
        g, p = c["group"], c["partner_group"]
        grp = lambda col, m=0.0: _lookup(b.groups, col, g, m)  # noqa: E731
        prt = lambda col, m=0.0: _lookup(b.partners, col, p, m)  # noqa: E731
        self.grp, self.prt = grp, prt
        self._groups, self._partners = b.groups, b.partners
        self.has_group = (g >= 0) & (grp("claims") >= MIN_GROUP_CLAIMS)
        self.has_partner = p >= 0
        std = c["standard_minutes"].astype(float)
        self.labour_ratio = np.divide(
            c["labour_minutes"].astype(float), std, out=np.zeros(b.n), where=std > 0
        )
        self.amount = c["amount_cents"] / 100.0
        self.days_since_sale = np.where(
            c["sold_day"] != NO_DAY, c["repair_day"] - c["sold_day"], -1
        )
        self.days_to_end = np.where(
            c["coverage_end_day"] != NO_DAY, c["coverage_end_day"] - c["repair_day"], -1
        )
        # Repairs are compared with repairs: a DOA swap has no parts and costs a unit.
        repair = self.has_group & ~c["doa"]
        self.z_parts = np.where(
            repair,
            robust_z(
                c["parts_count"], grp("parts_median"), grp("parts_mad"), CLAIM_FLOORS["parts"]
            ),
            0.0,
        )
        self.z_cost = np.where(
            repair,
            robust_z(self.amount, grp("cost_median"), grp("cost_mad"), CLAIM_FLOORS["cost"]),
            0.0,
        )
        self.pz = {r: np.where(self.has_partner, prt(f"{r}_z"), 0.0) for r in RATES}
        # Where each condition holds (shared by the signals and their sentences).
        self.over = {r: self.pz[r] >= Z_PARTNER[r] for r in RATES}
        self.moved = (c["sold_region"] != 0) & (c["sold_region"] != c["region"]) & c["unit_known"]
        self.long_job = (std > 0) & (self.labour_ratio >= LABOUR_RATIO_FLAG)
        self.many_parts = (self.z_parts >= Z_CLAIM) & (c["parts_count"] >= grp("parts_median") + 2)
        self.partner_parts = self.over["parts_per_claim"] & (
            c["parts_count"] > prt("parts_per_claim_peer")
        )
        # Cost counts where the parts or the labour do not already explain it.
        self.costly = (self.z_cost >= Z_COST) & ~self.many_parts & ~self.long_job
        self.partner_cost = self.over["cost_per_claim"] & (self.amount > prt("cost_per_claim_peer"))
        self.partner_nff = self.over["nff_rate"] & (c["doa"] | (c["nff"] == 1))
        # The forest speaks where no single rate already does: a partner unusual on several
        # rates at once though extreme on none.
        any_rate = np.zeros(b.n, dtype=bool)
        for r in RATES:
            any_rate |= self.over[r]
        self.anomaly = np.where(self.has_partner & ~any_rate, prt("anomaly", 0.5), 0.5)

    def grp_at(self, column: str, i: int) -> float:
        row = int(self.c["group"][i])
        return float(self._groups[column][row]) if row >= 0 else 0.0

    def prt_at(self, column: str, i: int) -> float:
        row = int(self.c["partner_group"][i])
        return float(self._partners[column][row]) if row >= 0 else 0.0


def _signals(b: Batch, d: _Derived) -> np.ndarray:
    """The K × n matrix of signal probabilities (0 where a signal does not fire)."""
    c, n = d.c, b.n
    P = np.zeros((len(SIGNALS), n))
    z, over = d.pz, d.over

    def put(code: str, p) -> None:
        P[_INDEX[code]] = np.clip(p, 0.0, MAX_P)

    def boost(rate: str, weight: float):
        """0 up to the rate's Z_PARTNER, rising to `weight` two z further on."""
        return weight * np.clip((z[rate] - Z_PARTNER[rate]) / 2.0, 0.0, 1.0)

    def partner_ramp(rate: str, base: float, per: float, cap: float):
        return _ramp(z[rate] - Z_PARTNER[rate], base, per, cap)

    put("UNSOLD_SERIAL", np.where(~c["unit_known"], W["UNSOLD_SERIAL"], 0.0))
    dup = (c["duplicate_count"] > 0) | (c["invoice_count"] > 0)
    put("DUPLICATE", np.where(dup, W["DUPLICATE"], 0.0))
    base, per, cap = W["SERIAL_OTHER_PARTNER"]
    others = c["serial_other_partners"]
    put("SERIAL_OTHER_PARTNER", np.where(others > 0, _ramp(others - 1, base, per, cap), 0.0))
    alone, partner_part = W["SOLD_IN_OTHER_REGION"]
    p = 1 - (1 - alone) * (1 - boost("sold_elsewhere_share", partner_part))
    put("SOLD_IN_OTHER_REGION", np.where(d.moved, p, 0.0))
    base, per, cap = W["SHARED_CUSTOMER"]
    units = c["customer_units"]
    put(
        "SHARED_CUSTOMER",
        np.where(
            units >= SHARED_CUSTOMER_UNITS,
            _ramp(units - SHARED_CUSTOMER_UNITS, base, per, cap),
            0.0,
        ),
    )
    just_sold = (d.days_since_sale >= 0) & (d.days_since_sale <= JUST_AFTER_SALE_DAYS) & ~c["doa"]
    put("JUST_AFTER_SALE", np.where(just_sold, W["JUST_AFTER_SALE"], 0.0))
    alone, partner_part = W["NEAR_EXPIRY"]
    near = (d.days_to_end >= 0) & (d.days_to_end <= NEAR_EXPIRY_DAYS)
    p = 1 - (1 - alone) * (1 - boost("near_expiry_share", partner_part))
    put("NEAR_EXPIRY", np.where(near, p, 0.0))
    knots, weights = W["LABOUR_ABOVE_STANDARD"]
    put(
        "LABOUR_ABOVE_STANDARD",
        np.where(d.long_job, np.interp(d.labour_ratio, knots, weights), 0.0),
    )
    base, per, cap = W["LABOUR_VS_PEERS"]
    fires = over["labour_ratio"] & d.long_job
    put("LABOUR_VS_PEERS", np.where(fires, partner_ramp("labour_ratio", base, per, cap), 0.0))
    # Parts: the claim against the peer group's claims, and the partner's parts per claim.
    base, per, cap, partner_w = W["PARTS_VS_PEERS"]
    p_claim = np.where(d.many_parts, _ramp(d.z_parts - Z_CLAIM, base, per, cap), 0.0)
    p_partner = np.where(d.partner_parts, partner_w, 0.0)
    put("PARTS_VS_PEERS", 1 - (1 - p_claim) * (1 - p_partner))
    base, per, cap, partner_w = W["COST_VS_PEERS"]
    p_claim = np.where(d.costly, _ramp(d.z_cost - Z_COST, base, per, cap), 0.0)
    p_partner = np.where(d.partner_cost, partner_w, 0.0)
    put("COST_VS_PEERS", 1 - (1 - p_claim) * (1 - p_partner))
    base, per, cap, partner_w = W["DEFECTIVES_NOT_RETURNED"]
    missing = c["defectives_missing"]
    p_claim = np.where(missing > 0, _ramp(missing - 1, base, per, cap), 0.0)
    p_partner = np.where((missing > 0) & over["defectives_share"], partner_w, 0.0)
    put("DEFECTIVES_NOT_RETURNED", 1 - (1 - p_claim) * (1 - p_partner))
    cents = c["amount_cents"]
    round_amount = (cents >= 10_000) & (cents % 5_000 == 0)
    put("ROUND_AMOUNT", np.where(round_amount, W["ROUND_AMOUNT"], 0.0))
    base, per, cap = W["REPEATED_AMOUNT"]
    faults = c["amount_faults"]
    put(
        "REPEATED_AMOUNT",
        np.where(
            (faults >= REPEATED_AMOUNT_FAULTS) & (cents > 0),
            _ramp(faults - REPEATED_AMOUNT_FAULTS, base, per, cap),
            0.0,
        ),
    )
    base, per, cap = W["CLAIM_RATE_VS_PEERS"]
    fires = over["claim_rate"]
    put("CLAIM_RATE_VS_PEERS", np.where(fires, partner_ramp("claim_rate", base, per, cap), 0.0))
    base, per, cap = W["DOA_RATE_VS_PEERS"]
    fires = over["doa_rate"] & c["doa"]
    put("DOA_RATE_VS_PEERS", np.where(fires, partner_ramp("doa_rate", base, per, cap), 0.0))
    own, base, per, cap = W["NFF_RATE_VS_PEERS"]
    p_own = np.where(c["nff"] == 1, own, 0.0)
    p_partner = np.where(d.partner_nff, partner_ramp("nff_rate", base, per, cap), 0.0)
    put("NFF_RATE_VS_PEERS", 1 - (1 - p_own) * (1 - p_partner))
    per, cap = W["PARTNER_ANOMALY"]
    a = d.anomaly
    put(
        "PARTNER_ANOMALY",
        np.where(a > ANOMALY_FLAG, np.minimum(cap, per * (a - ANOMALY_FLAG)), 0.0),
    )
    return P


# --- sentences ------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _num(x: float, places: int = 1) -> str:
    return f"{x:.{places}f}"


def _money(x: float) -> str:
    return f"{x:.2f}"


def _day(d: int) -> str:
    return (EPOCH + timedelta(days=int(d))).isoformat()


def _claim_number(pk: int) -> str:
    return claim_number(int(pk))


_RATE_LABELS = {
    "claim_rate": lambda: _("claims per 100 units sold"),
    "doa_rate": lambda: _("DOA rate"),
    "nff_rate": lambda: _("no-fault-found rate"),
    "parts_per_claim": lambda: _("parts per claim"),
    "cost_per_claim": lambda: _("cost per claim"),
    "labour_ratio": lambda: _("labour against the standard"),
    "near_expiry_share": lambda: _("claims near expiry"),
    "defectives_share": lambda: _("defectives not returned"),
    "sold_elsewhere_share": lambda: _("units sold in other regions"),
}


class _Remembered:
    """gettext and ngettext remembered for one batch: the language does not change within
    it, and Django's lookup costs more than the sentence."""

    def __init__(self) -> None:
        self.texts: dict = {}

    def gettext(self, text: str) -> str:
        found = self.texts.get(text)
        if found is None:
            found = self.texts[text] = _(text)
        return found

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        key = (singular, plural, n)
        found = self.texts.get(key)
        if found is None:
            found = self.texts[key] = ngettext(singular, plural, n)
        return found


def _sentence(code: str, b: Batch, d: _Derived, i: int, _, ngettext) -> str:  # noqa: C901
    """The sentence of a signal that fired on claim i. `_` and `ngettext` are the batch's
    remembered translations (named so that makemessages finds the texts)."""
    c = d.c
    ci = lambda col: int(c[col][i])  # noqa: E731
    prt = lambda col: d.prt_at(col, i)  # noqa: E731
    if code == "UNSOLD_SERIAL":
        return _("The serial number is not in the sales register: no unit with it was sold.")
    if code == "DUPLICATE":
        parts = []
        if ci("duplicate_count"):
            parts.append(
                _(
                    "Claim %(number)s on the same serial with the same fault code %(fault)s was"
                    " repaired %(days)s days earlier."
                )
                % {
                    "number": _claim_number(ci("duplicate_of")),
                    "fault": b.vocab[ci("fault_code")] or "—",
                    "days": ci("duplicate_gap_days"),
                }
            )
        if ci("invoice_count"):
            parts.append(
                _("This partner already used the same invoice number on claim %(number)s.")
                % {"number": _claim_number(ci("invoice_of"))}
            )
        return " ".join(parts)
    if code == "SERIAL_OTHER_PARTNER":
        n = ci("serial_other_partners")
        return ngettext(
            "The same serial number was also claimed by %(n)s other partner.",
            "The same serial number was also claimed by %(n)s other partners.",
            n,
        ) % {"n": n}
    if code == "SOLD_IN_OTHER_REGION":
        text = _("The unit was sold in %(sold)s but repaired in %(region)s.") % {
            "sold": b.vocab[ci("sold_region")],
            "region": b.vocab[ci("region")] or "—",
        }
        if d.pz["sold_elsewhere_share"][i] > Z_PARTNER["sold_elsewhere_share"]:
            text += " " + _(
                "%(share)s of this partner's claims are for units sold in another region"
                " (peers: %(peer)s)."
            ) % {
                "share": _pct(prt("sold_elsewhere_share")),
                "peer": _pct(prt("sold_elsewhere_share_peer")),
            }
        return text
    if code == "SHARED_CUSTOMER":
        return _("%(n)s different units were claimed under the same customer phone or address.") % {
            "n": ci("customer_units")
        }
    if code == "JUST_AFTER_SALE":
        return _("Repaired %(days)s days after the sale on %(sold)s.") % {
            "days": int(d.days_since_sale[i]),
            "sold": _day(ci("sold_day")),
        }
    if code == "NEAR_EXPIRY":
        text = _("Repaired %(days)s days before the coverage ended on %(ends)s.") % {
            "days": int(d.days_to_end[i]),
            "ends": _day(ci("coverage_end_day")),
        }
        if d.pz["near_expiry_share"][i] > Z_PARTNER["near_expiry_share"]:
            text += " " + _(
                "%(share)s of this partner's claims are this close to expiry (peers: %(peer)s)."
            ) % {
                "share": _pct(prt("near_expiry_share")),
                "peer": _pct(prt("near_expiry_share_peer")),
            }
        return text
    if code == "LABOUR_ABOVE_STANDARD":
        return _("Labour %(minutes)s min is %(ratio)s× the standard %(standard)s min.") % {
            "minutes": ci("labour_minutes"),
            "ratio": _num(d.labour_ratio[i]),
            "standard": ci("standard_minutes"),
        }
    if code == "LABOUR_VS_PEERS":
        return _(
            "This partner's labour averages %(ratio)s× the standard time (peers: %(peer)s×)."
        ) % {"ratio": _num(prt("labour_ratio"), 2), "peer": _num(prt("labour_ratio_peer"), 2)}
    if code == "PARTS_VS_PEERS":
        texts = []
        if d.many_parts[i]:
            texts.append(
                _("%(parts)s parts on one claim; the peers' claims have %(median)s (median).")
                % {"parts": ci("parts_count"), "median": _num(d.grp_at("parts_median", i), 0)}
            )
        if d.partner_parts[i]:
            texts.append(
                _("This partner averages %(ppc)s parts per claim (peers: %(peer)s).")
                % {"ppc": _num(prt("parts_per_claim")), "peer": _num(prt("parts_per_claim_peer"))}
            )
        return " ".join(texts)
    if code == "COST_VS_PEERS":
        texts = []
        if d.costly[i]:
            texts.append(
                _("Claimed %(amount)s against a peer median of %(median)s.")
                % {"amount": _money(d.amount[i]), "median": _money(d.grp_at("cost_median", i))}
            )
        if d.partner_cost[i]:
            texts.append(
                _("This partner averages %(cpc)s per claim (peers: %(peer)s).")
                % {"cpc": _money(prt("cost_per_claim")), "peer": _money(prt("cost_per_claim_peer"))}
            )
        return " ".join(texts)
    if code == "DEFECTIVES_NOT_RETURNED":
        n = ci("defectives_missing")
        text = ngettext(
            "%(n)s defective part that must come back was not returned.",
            "%(n)s defective parts that must come back were not returned.",
            n,
        ) % {"n": n}
        if d.over["defectives_share"][i]:
            text += " " + _(
                "This partner leaves defectives unreturned on %(share)s of its parts claims"
                " (peers: %(peer)s)."
            ) % {"share": _pct(prt("defectives_share")), "peer": _pct(prt("defectives_share_peer"))}
        return text
    if code == "ROUND_AMOUNT":
        return _("The claimed amount %(amount)s is a round number.") % {
            "amount": _money(d.amount[i])
        }
    if code == "REPEATED_AMOUNT":
        return _("This partner claimed exactly %(amount)s for %(n)s different fault codes.") % {
            "amount": _money(d.amount[i]),
            "n": ci("amount_faults"),
        }
    if code == "CLAIM_RATE_VS_PEERS":
        return _(
            "This partner files %(rate)s claims per 100 units sold in %(region)s (peers: %(peer)s)."
        ) % {
            "rate": _num(prt("claim_rate")),
            "region": b.vocab[ci("region")] or "—",
            "peer": _num(prt("claim_rate_peer")),
        }
    if code == "DOA_RATE_VS_PEERS":
        return _(
            "Dead on arrival: %(rate)s of this partner's claims are DOA (peers: %(peer)s)."
        ) % {
            "rate": _pct(prt("doa_rate")),
            "peer": _pct(prt("doa_rate_peer")),
        }
    if code == "NFF_RATE_VS_PEERS":
        texts = []
        if ci("nff") == 1:
            texts.append(_("Inspection found no fault in what was returned."))
        if d.partner_nff[i]:
            texts.append(
                _(
                    "No fault was found in %(rate)s of this partner's inspected returns"
                    " (peers: %(peer)s)."
                )
                % {"rate": _pct(prt("nff_rate")), "peer": _pct(prt("nff_rate_peer"))}
            )
        return " ".join(texts)
    if code == "PARTNER_ANOMALY":
        top = [int(prt("anomaly_top1")), int(prt("anomaly_top2"))]
        names = ", ".join(str(_RATE_LABELS[RATES[k]]()) for k in top if k >= 0)
        return _(
            "This partner's rates together stand out among its peers (isolation-forest score"
            " %(score)s; most unusual: %(names)s)."
        ) % {"score": _num(prt("anomaly"), 2), "names": names or "—"}
    raise ValueError(code)


# --- combining ------------------------------------------------------------------------------


def _combine(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores (n) and points (K × n) from the signal probabilities (K × n)."""
    L = -np.log1p(-P)  # each signal's share of −log Π(1 − p)
    total = L.sum(axis=0)
    scores = np.floor(100.0 * -np.expm1(-total) + 0.5).astype(np.int64)
    scores = np.clip(scores, 0, 100)
    points = np.zeros(P.shape, dtype=np.int64)
    rows = np.flatnonzero(total > 0)
    if len(rows):
        share = L[:, rows] / total[rows]
        raw = share * scores[rows]
        floor = np.floor(raw + 1e-9)
        # Rounded so that a tie stays a tie whatever the shape of the batch: float sums in a
        # different order differ in the last bits, and the batch and the single claim must agree.
        remainder = np.round(raw - floor, 9)
        deficit = scores[rows] - floor.sum(axis=0)
        # Largest remainder first; ties go to the signal listed first.
        order = np.argsort(-remainder, axis=0, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(len(SIGNALS))[:, None], axis=0)
        floor += rank < deficit
        points[:, rows] = floor.astype(np.int64)
    return scores, points


def signal_matrix(batch: Batch) -> np.ndarray:
    """The probability of every signal (rows, in SIGNALS order) for every claim (columns)."""
    return _signals(batch, _Derived(batch))


def combine(P: np.ndarray) -> np.ndarray:
    """The scores (0–100) of a signal matrix."""
    return _combine(P)[0]


def _sentence_keys(code: str, d: _Derived) -> list[np.ndarray]:
    """Every value the sentence of `code` depends on: claims equal on these get the same
    sentence, which is written once."""
    c = d.c
    pg, g = c["partner_group"], c["group"]
    keys = {
        "UNSOLD_SERIAL": [],
        "DUPLICATE": [
            c["duplicate_count"] > 0,
            c["duplicate_of"],
            c["fault_code"],
            c["duplicate_gap_days"],
            c["invoice_count"] > 0,
            c["invoice_of"],
        ],
        "SERIAL_OTHER_PARTNER": [c["serial_other_partners"]],
        "SOLD_IN_OTHER_REGION": [c["sold_region"], c["region"], pg],
        "SHARED_CUSTOMER": [c["customer_units"]],
        "JUST_AFTER_SALE": [d.days_since_sale, c["sold_day"]],
        "NEAR_EXPIRY": [d.days_to_end, c["coverage_end_day"], pg],
        "LABOUR_ABOVE_STANDARD": [c["labour_minutes"], c["standard_minutes"]],
        "LABOUR_VS_PEERS": [pg],
        "PARTS_VS_PEERS": [c["parts_count"], g, pg, d.many_parts, d.partner_parts],
        "COST_VS_PEERS": [c["amount_cents"], g, pg, d.costly, d.partner_cost],
        "DEFECTIVES_NOT_RETURNED": [c["defectives_missing"], pg],
        "ROUND_AMOUNT": [c["amount_cents"]],
        "REPEATED_AMOUNT": [c["amount_cents"], c["amount_faults"]],
        "CLAIM_RATE_VS_PEERS": [pg, c["region"]],
        "DOA_RATE_VS_PEERS": [pg],
        "NFF_RATE_VS_PEERS": [c["nff"], c["doa"], pg, d.partner_nff],
        "PARTNER_ANOMALY": [pg],
    }
    return keys[code]


def score_batch(batch: Batch) -> BatchResult:
    """Score every claim of the batch: vectorised signals, then the sentences of the signals
    that fired, each distinct sentence written once."""
    d = _Derived(batch)
    P = _signals(batch, d)
    scores, points = _combine(P)
    pair_k, pair_i = np.nonzero(P > 0)  # by signal, then by claim
    pair_points = points[pair_k, pair_i]
    pair_text = np.empty(len(pair_k), dtype=object)
    words = _Remembered()
    bounds = np.searchsorted(pair_k, np.arange(len(SIGNALS) + 1))
    for k, code in enumerate(SIGNALS):
        a, b = int(bounds[k]), int(bounds[k + 1])
        if a == b:
            continue
        rows = pair_i[a:b]
        columns = [np.asarray(col)[rows] for col in _sentence_keys(code, d)] if b - a > 1 else []
        if columns:
            keys = np.column_stack(columns).astype(np.float64)
            _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
            texts = np.empty(len(first), dtype=object)
            texts[:] = [
                _sentence(code, batch, d, int(rows[j]), words.gettext, words.ngettext)
                for j in first.tolist()
            ]
            pair_text[a:b] = texts[inverse.reshape(-1)]
        else:
            pair_text[a:b] = _sentence(code, batch, d, int(rows[0]), words.gettext, words.ngettext)
    # Per claim: highest points first; equal points in signal order.
    order = np.lexsort((pair_k, -pair_points, pair_i))
    pair_i = pair_i[order]
    return BatchResult(
        scores=scores,
        starts=np.searchsorted(pair_i, np.arange(batch.n + 1)),
        codes=pair_k[order],
        points=pair_points[order],
        sentences=pair_text[order],
    )


def score(
    facts: ClaimRiskFacts,
    peer: PeerGroupStats | None = None,
    partner: PartnerStats | None = None,
) -> RiskResult:
    """One claim's risk: the batch arithmetic on a batch of one."""
    return score_batch(Batch.from_facts([facts], [peer], [partner])).result(0)
