"""Risk scoring against the database: the peer statistics snapshot, one claim on submission,
and every claim in batch. The signals and their arithmetic are in `risk.py` (pure); this module
only gathers facts.

The snapshot (`PeerStatistics`, refreshed by `refresh_peer_statistics` and by `rescore_all`
before it scores) covers the claims repaired in the last `CLAIM_PEER_WINDOW_DAYS`. Its sums,
medians and MADs are computed with numpy from the same one-pass read of the claims' columns
the batch scorer makes anyway (a mask for the window), which costs one scan of the claims
instead of four aggregate queries; the units sold come from the install base. Its `metrics`:

* a peer-group row (partner null; region, product_line)::

    {"window": [start, end], "claims": n, "units_sold": u, "partners": k,
     "claim": {"labour_ratio"|"parts"|"cost": {"median": x, "mad": y}},
     "partner_rates": {rate: {"median": x, "mad": y}}}   # over the peer partners

* a partner row (one per partner with claims in the window)::

    {"window": [start, end],
     "repeated_amounts": {cents: distinct fault codes billed at that amount, when ≥ 3},
     "overall": {"claims": n, "rates": {rate: x}, "peers": {rate: median of all partners},
                 "z": {rate: robust z against all partners (shares only)}},
     "groups": {"<region>|<product line>": {"region", "product_line", "claims", "units_sold",
                "rates": {rate: x}, "peers": {rate: peer median}, "z": {rate: robust z},
                "signal": {rate: {"value", "peer", "z", "scope": "group" | "all"}},
                "anomaly": isolation-forest score, "anomaly_top": [rate, rate]}}}

where the rates are `risk.RATES`: claims per 100 units sold in the region and product line,
DOA rate, no-fault-found rate, parts and cost per claim, labour minutes over standard minutes,
share of claims in the last five weeks of coverage, share of parts claims with defectives
missing, share of claims on units sold in another region. A partner is compared with its peers
only with at least `MIN_PARTNER_CLAIMS` claims in the group and at least `MIN_PEERS` such
partners there (its z-scores are 0 otherwise); a share's z-score never counts a deviation
within the share's binomial standard error. The shares (DOA, NFF, near expiry, defectives,
sold elsewhere) are about the partner's conduct rather than its market, so the partner is
also compared with all partners over all its groups; `signal` holds, per rate, whichever of
the two comparisons deviates more: what the partner's claims in that group are scored on.

`score_claim` reads the claim's fact columns, two indexed queries (the claims on the same
serial; the counts by invoice number, phone and address) and the two snapshot rows it needs;
it never scans the history. How often the partner billed the claim's exact amount for other
faults comes from the snapshot (`repeated_amounts`): counting it live would read every claim
of the partner. `rescore_all` reads every claim's
columns in one pass into numpy arrays, counts the same groups with sorting instead of queries,
and writes the scores to the claims' risk rows (`ClaimRisk`, a narrow table of its own) in
bulk: `COPY` into a temporary table and one `UPDATE … FROM` on PostgreSQL, an `executemany`
upsert in one transaction on SQLite; only claims whose score or reasons changed (or that were
never scored) are written. Both go through `risk.score_batch`, so a
claim gets the same score and reasons from either (the tests check it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from aftersales.claims import risk
from aftersales.claims.models import Claim, PeerStatistics
from aftersales.core import clock

__all__ = ["current_batch", "refresh_peer_statistics", "rescore_all", "score_claim"]

MIN_PARTNER_CLAIMS = 20
MIN_PEERS = 3
MIN_SHARE_BASE = 10  # a partner counts in the peers' median of a share with this many cases
FETCH_ROWS = 50_000
WRITE_ROWS = 50_000
WRITE_CONNECTIONS = 2  # PostgreSQL: the machine's cores; index maintenance is the cost
PARALLEL_WRITE_MIN = 100_000
_AMOUNT_SPAN = 2**36  # partner id × this + amount in cents: one key (amounts < 687 million)
RANDOM_STATE = 20240607  # the isolation forest's, fixed so that a rescoring is reproducible


def _key(region: str, product_line: str) -> str:
    return f"{region}|{product_line}"


# --- SQL fragments per engine ---------------------------------------------------------------


def _day(column: str) -> str:
    """A date column as days since 1970-01-01 (NULL stays NULL)."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def _cents(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"ROUND({column} * 100)::bigint"
    return f"CAST(ROUND({column} * 100) AS INTEGER)"


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    if len(values) == 0 or weights.sum() <= 0:
        return 0.0
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cumulative = np.cumsum(w)
    return float(v[np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def _median_mad(values: np.ndarray, weights: np.ndarray | None = None) -> dict:
    values = np.asarray(values, dtype=float)
    weights = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
    median = _weighted_median(values, weights)
    mad = _weighted_median(np.abs(values - median), weights)
    return {"median": round(median, 6), "mad": round(mad, 6)}


# --- the snapshot ---------------------------------------------------------------------------


def _units_sold() -> dict[tuple[str, str], int]:
    """Units sold (the install base) per customer region and product line. PostgreSQL joins
    and counts; on SQLite, whose join of millions of units to their customers takes many
    seconds, the two tables' columns are read and counted with numpy instead."""
    if connection.vendor == "postgresql":
        from aftersales.customers.models import Unit

        rows = Unit.objects.values_list("customer__region", "product__category").annotate(
            n=Count("id")
        )
        return {(region or "", line or ""): n for region, line, n in rows}
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, category FROM catalog_product")
        products = cursor.fetchall()
        cursor.execute("SELECT id, region FROM customers_customer")
        regions: dict[str, int] = {}
        ids, codes = [], []
        for pk, region in cursor.fetchall():
            ids.append(pk)
            codes.append(regions.setdefault(region or "", len(regions)))
        if not ids:
            return {}
        region_of = np.full(max(ids) + 1, -1, dtype=np.int64)
        region_of[np.array(ids)] = np.array(codes)
        cursor.execute("SELECT customer_id, product_id FROM customers_unit")
        pairs = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 2)
    line_of = np.full(max((p for p, _ in products), default=0) + 1, -1, dtype=np.int64)
    lines: dict[str, int] = {}
    for pk, category in products:
        line_of[pk] = lines.setdefault(category or "", len(lines))
    if not len(pairs):
        return {}
    key = region_of[pairs[:, 0]] * max(1, len(lines)) + line_of[pairs[:, 1]]
    found, counts = np.unique(key, return_counts=True)
    region_names = {k: r for r, k in regions.items()}
    line_names = {k: line for line, k in lines.items()}
    width = max(1, len(lines))
    return {
        (region_names[int(k) // width], line_names[int(k) % width]): int(n)
        for k, n in zip(found.tolist(), counts.tolist(), strict=True)
    }


_SUMS = (
    "claims",
    "doa",
    "nff",
    "inspected",
    "parts",
    "cost",
    "labour",
    "standard",
    "near_expiry",
    "with_parts",
    "missing",
    "sold_elsewhere",
)


def _rates(s: dict) -> tuple[dict[str, float], dict[str, int]]:
    """A partner's rates from its sums, and how many cases each share is a share of."""
    n = s["claims"]
    sold = s["units_sold"]
    rates = {
        "claim_rate": 100.0 * n / sold if sold else 0.0,
        "doa_rate": s["doa"] / n,
        "nff_rate": s["nff"] / s["inspected"] if s["inspected"] else 0.0,
        "parts_per_claim": s["parts"] / n,
        "cost_per_claim": s["cost"] / n,
        "labour_ratio": s["labour"] / s["standard"] if s["standard"] else 0.0,
        "near_expiry_share": s["near_expiry"] / n,
        "defectives_share": s["missing"] / s["with_parts"] if s["with_parts"] else 0.0,
        "sold_elsewhere_share": s["sold_elsewhere"] / n,
    }
    bases = {
        "doa_rate": n,
        "nff_rate": s["inspected"],
        "near_expiry_share": n,
        "defectives_share": s["with_parts"],
        "sold_elsewhere_share": n,
    }
    return rates, bases


def _peer_stats(members: list[dict]) -> dict[str, dict | None]:
    """Median and MAD of each rate over the partners big enough to compare (None: too few)."""
    big = [e for e in members if e["claims"] >= MIN_PARTNER_CLAIMS]
    stats: dict[str, dict | None] = {}
    for r in risk.RATES:
        # A share's peers are the partners with enough of what it is a share of.
        eligible = [e for e in big if r not in risk.SHARES or e["bases"][r] >= MIN_SHARE_BASE]
        stats[r] = (
            _median_mad(np.array([e["rates"][r] for e in eligible]))
            if len(eligible) >= MIN_PEERS
            else None
        )
    return stats


def _z(entry: dict, stats: dict[str, dict | None]) -> dict[str, float]:
    out = {}
    for r in risk.RATES:
        s = stats[r]
        if entry["claims"] < MIN_PARTNER_CLAIMS or s is None:
            out[r] = 0.0
            continue
        floor = risk.RATE_FLOORS[r]
        if r in risk.SHARES:
            # For a share, never less than its binomial standard error at the peers' median:
            # 3 DOAs in 30 claims is no news where the peers have 3 %.
            n = entry["bases"][r]
            p = min(max(s["median"], 0.005), 0.995)
            floor = max(floor, (p * (1 - p) / n) ** 0.5 if n else 1.0)
        out[r] = round(float(risk.robust_z(entry["rates"][r], s["median"], s["mad"], floor)), 4)
    return out


def _group_median_mad(groups: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group (dense ids): the median (the lower one of an even count) and the MAD."""
    count = np.bincount(groups)
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    middle = starts + (count - 1) // 2

    def lower_median(v: np.ndarray) -> np.ndarray:
        order = np.lexsort((v, groups))
        return v[order][middle]

    median = lower_median(values)
    mad = lower_median(np.abs(values - median[groups]))
    return median, mad


def _window_aggregates(
    data: dict[str, np.ndarray], vocab: list[str], start: date, today: date
) -> tuple[list[tuple], dict[tuple[str, str], dict], dict[int, dict[str, int]]]:
    """The claims repaired in the window: per partner, region and product line the sums
    the rates are made of; per region and product line the medians and MADs of the repairs'
    (DOA swaps aside) parts, cost and labour ratio; per partner the exact amounts it billed
    for REPEATED_AMOUNT_FAULTS or more different fault codes ({cents: fault codes})."""
    first_day, last_day = (start - risk.EPOCH).days, (today - risk.EPOCH).days
    rows = np.flatnonzero((data["repair_day"] >= first_day) & (data["repair_day"] <= last_day))
    if not len(rows):
        return [], {}, {}
    col = {k: v[rows] for k, v in data.items()}
    partner, region, line = col["partner_id"], col["region"], col["product_line"]
    cell = _dense(partner, region, line)
    _, representative = np.unique(cell, return_index=True)
    cells = len(representative)
    doa, nff, std = col["doa"].astype(bool), col["nff"], col["standard_minutes"]
    to_end = col["coverage_end_day"] - col["repair_day"]
    near = (col["coverage_end_day"] != risk.NO_DAY) & (to_end >= 0)
    near &= to_end <= risk.NEAR_EXPIRY_DAYS
    sold_region = col["sold_region"]
    elsewhere = col["unit_known"].astype(bool) & (sold_region != 0) & (sold_region != region)

    def total(x) -> np.ndarray:
        return np.bincount(cell, weights=np.asarray(x, dtype=float), minlength=cells)

    sums = [  # in the order of _SUMS
        np.bincount(cell, minlength=cells).astype(float),
        total(doa),
        total(nff == 1),
        total(nff >= 0),
        total(col["parts_count"]),
        total(col["amount_cents"]) / 100.0,
        total(np.where(std > 0, col["labour_minutes"], 0)),
        total(std),
        total(near),
        total(col["parts_count"] > 0),
        total(col["defectives_missing"] > 0),
        total(elsewhere),
    ]
    partner_rows = [
        (int(partner[r]), vocab[region[r]], vocab[line[r]], *(float(s[k]) for s in sums))
        for k, r in enumerate(representative.tolist())
    ]

    groups: dict[tuple[str, str], dict] = {}
    repairs = ~doa
    for name, mask, values in (
        ("parts", repairs, col["parts_count"].astype(float)),
        ("cost", repairs, col["amount_cents"] / 100.0),
        (
            "labour_ratio",
            repairs & (std > 0),
            col["labour_minutes"] / np.maximum(std, 1).astype(float),
        ),
    ):
        picked = np.flatnonzero(mask)
        if not len(picked):
            continue
        g = _dense(region[picked], line[picked])
        median, mad = _group_median_mad(g, values[picked])
        _, first = np.unique(g, return_index=True)
        for k, r in enumerate(picked[first].tolist()):
            groups.setdefault((vocab[region[r]], vocab[line[r]]), {})[name] = {
                "median": round(float(median[k]), 6),
                "mad": round(float(mad[k]), 6),
            }

    repeated: dict[int, dict[str, int]] = {}
    amount = _dense(partner, col["amount_cents"])
    faults = _distinct_per(amount, col["fault_code"])
    often = np.flatnonzero((faults >= risk.REPEATED_AMOUNT_FAULTS) & (col["amount_cents"] > 0))
    if len(often):
        _, first = np.unique(amount[often], return_index=True)
        for r in often[first].tolist():
            cents = str(int(col["amount_cents"][r]))
            repeated.setdefault(int(partner[r]), {})[cents] = int(faults[r])
    return partner_rows, groups, repeated


def refresh_peer_statistics(*, today: date | None = None) -> int:
    """Recompute the snapshot over the rolling window ending `today`; returns rows written.
    The aggregates come from one pass over the claims' columns (the pass the batch scorer
    makes anyway), the units sold from the install base."""
    return _refresh(*_fetch(), today=today or clock.today())


def _refresh(data: dict[str, np.ndarray], vocab: list[str], *, today: date) -> int:
    start = today - timedelta(days=settings.CLAIM_PEER_WINDOW_DAYS)
    window = [start.isoformat(), today.isoformat()]
    partner_rows, groups, repeated = _window_aggregates(data, vocab, start, today)
    units = _units_sold()

    # The partners, per peer group and over all their groups.
    entries = []
    totals: dict[int, dict] = {}
    for partner_id, region, line, *values in partner_rows:
        sums = {k: float(v or 0) for k, v in zip(_SUMS, values, strict=True)}
        sums["units_sold"] = units.get((region, line), 0)
        rates, bases = _rates(sums)
        entries.append(
            {
                "partner_id": partner_id,
                "region": region,
                "product_line": line,
                "claims": int(sums["claims"]),
                "units_sold": sums["units_sold"],
                "rates": rates,
                "bases": bases,
            }
        )
        total = totals.setdefault(partner_id, dict.fromkeys((*_SUMS, "units_sold"), 0.0))
        for k, v in sums.items():
            total[k] += v
    entries.sort(key=lambda e: (e["partner_id"], e["region"], e["product_line"]))
    overall = {}
    for partner_id, sums in sorted(totals.items()):
        rates, bases = _rates(sums)
        overall[partner_id] = {"claims": int(sums["claims"]), "rates": rates, "bases": bases}

    by_group_entries: dict[tuple[str, str], list[dict]] = {}
    for e in entries:
        by_group_entries.setdefault((e["region"], e["product_line"]), []).append(e)
    peer_rates = {}
    for group, members in by_group_entries.items():
        stats = peer_rates[group] = _peer_stats(members)
        for e in members:
            e["peers"] = {r: (stats[r]["median"] if stats[r] else 0.0) for r in risk.RATES}
            e["z"] = _z(e, stats)
    # The shares are about the partner's own conduct, not its market: a partner is also
    # compared with every partner, over all its groups, which gives a small group the
    # statistical power of the partner's whole volume (a DOA wave spilling into a second
    # region). The larger of the two deviations is the one its claims are scored on.
    everyone = _peer_stats(list(overall.values()))
    for o in overall.values():
        o["peers"] = {r: (everyone[r]["median"] if everyone[r] else 0.0) for r in risk.RATES}
        o["z"] = _z(o, everyone)
    for e in entries:
        o = overall[e["partner_id"]]
        signal = {}
        for r in risk.RATES:
            use_all = r in risk.SHARES and o["z"][r] > e["z"][r]
            source = o if use_all else e
            signal[r] = {
                "value": round(source["rates"][r], 6),
                "peer": round(source["peers"][r], 6),
                "z": source["z"][r],
                "scope": "all" if use_all else "group",
            }
        e["signal"] = signal

    compared = [e for e in entries if e["claims"] >= MIN_PARTNER_CLAIMS]
    if compared:
        z = np.array([[e["signal"][r]["z"] for r in risk.RATES] for e in compared])
        scores = risk.partner_anomaly(z, random_state=RANDOM_STATE)
        for e, s, zrow in zip(compared, scores, z, strict=True):
            e["anomaly"] = round(float(s), 4)
            top = [k for k in np.argsort(-zrow, kind="stable")[:2] if zrow[k] > 0]
            e["anomaly_top"] = [risk.RATES[k] for k in top]

    now = clock.now()
    rows: list[PeerStatistics] = []
    for (region, line), members in sorted(by_group_entries.items()):
        metrics = {
            "window": window,
            "claims": sum(e["claims"] for e in members),
            "units_sold": units.get((region, line), 0),
            "partners": len(members),
            "claim": groups.get((region, line), {}),
            "partner_rates": {r: s for r, s in peer_rates[(region, line)].items() if s},
        }
        rows.append(
            PeerStatistics(
                partner_id=None,
                region=region,
                product_line=line,
                window_start=start,
                window_end=today,
                metrics=metrics,
                computed_at=now,
            )
        )

    def rounded(values: dict) -> dict:
        return {r: round(v, 6) for r, v in values.items()}

    by_partner: dict[int, list[dict]] = {}
    for e in entries:
        by_partner.setdefault(e["partner_id"], []).append(e)
    for partner_id, mine in by_partner.items():
        o = overall[partner_id]
        metrics = {
            "window": window,
            "repeated_amounts": repeated.get(partner_id, {}),
            "overall": {
                "claims": o["claims"],
                "rates": rounded(o["rates"]),
                "peers": rounded(o["peers"]),
                "z": o["z"],
            },
            "groups": {
                _key(e["region"], e["product_line"]): {
                    "region": e["region"],
                    "product_line": e["product_line"],
                    "claims": e["claims"],
                    "units_sold": e["units_sold"],
                    "rates": rounded(e["rates"]),
                    "peers": rounded(e["peers"]),
                    "z": e["z"],
                    "signal": e["signal"],
                    "anomaly": e.get("anomaly", 0.5),
                    "anomaly_top": e.get("anomaly_top", []),
                }
                for e in mine
            },
        }
        rows.append(
            PeerStatistics(
                partner_id=partner_id,
                region="",
                product_line="",
                window_start=start,
                window_end=today,
                metrics=metrics,
                computed_at=now,
            )
        )
    with transaction.atomic():
        PeerStatistics.objects.all().delete()
        PeerStatistics.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _group_stats(metrics: dict) -> risk.PeerGroupStats:
    claim = metrics.get("claim", {})

    def get(name: str, what: str, default: float) -> float:
        return float(claim.get(name, {}).get(what, default))

    return risk.PeerGroupStats(
        claims=int(metrics.get("claims", 0)),
        labour_median=get("labour_ratio", "median", 1.0),
        labour_mad=get("labour_ratio", "mad", 0.0),
        parts_median=get("parts", "median", 0.0),
        parts_mad=get("parts", "mad", 0.0),
        cost_median=get("cost", "median", 0.0),
        cost_mad=get("cost", "mad", 0.0),
    )


def _partner_stats(entry: dict) -> risk.PartnerStats:
    """What the claims of a partner in a group are scored on: per rate, the larger deviation
    of the group's and the partner-wide comparison (see refresh_peer_statistics)."""
    signal = entry.get("signal", {})
    return risk.PartnerStats(
        claims=int(entry.get("claims", 0)),
        rates={r: s["value"] for r, s in signal.items()},
        peers={r: s["peer"] for r, s in signal.items()},
        z={r: s["z"] for r, s in signal.items()},
        anomaly=float(entry.get("anomaly", 0.5)),
        anomaly_top=tuple(entry.get("anomaly_top", ())),
    )


# --- one claim ------------------------------------------------------------------------------


_COUNTS_SQL = """
    SELECT
      (SELECT COUNT(*) FROM claims_claim
        WHERE invoice_number = %(invoice)s AND invoice_number <> ''
          AND partner_id = %(partner)s AND id < %(own)s),
      (SELECT MAX(id) FROM claims_claim
        WHERE invoice_number = %(invoice)s AND invoice_number <> ''
          AND partner_id = %(partner)s AND id < %(own)s),
      (SELECT COUNT(DISTINCT serial_number) FROM claims_claim
        WHERE customer_phone = %(phone)s AND customer_phone <> ''),
      (SELECT COUNT(DISTINCT serial_number) FROM claims_claim
        WHERE customer_address_key = %(address)s AND customer_address_key <> '')
"""


def _claim_facts(claim: Claim, *, amount_faults: int) -> risk.ClaimRiskFacts:
    """The claim's fact columns and its counts among the other claims: the claims on the
    same serial (index on serial), and one statement of indexed counts (invoice number,
    phone, address)."""
    own = claim.pk or 2**62  # unsaved: every stored claim came before it
    window = settings.CLAIM_DUPLICATE_DAYS
    repair = claim.repair_date
    dup_count = dup_of = dup_gap = 0
    other_partners = 0
    with connection.cursor() as cursor:
        if claim.serial_number:
            cursor.execute(
                "SELECT id, partner_id, fault_code, repair_date FROM claims_claim"
                " WHERE serial_number = %s",
                [claim.serial_number],
            )
            partners = set()
            latest = None
            for pk, partner_id, fault, day in cursor.fetchall():
                partners.add(partner_id)
                if pk == claim.pk or fault != claim.fault_code:
                    continue
                if isinstance(day, str):  # a raw SQLite cursor answers text
                    day = date.fromisoformat(day)
                gap = (repair - day).days
                if 0 <= gap <= window and (gap > 0 or pk < own):
                    dup_count += 1
                    if latest is None or (day, pk) > latest:
                        latest = (day, pk)
            partners.discard(claim.partner_id)
            other_partners = len(partners)
            if latest is not None:
                dup_of, dup_gap = latest[1], (repair - latest[0]).days
        cursor.execute(
            _COUNTS_SQL,
            {
                "invoice": claim.invoice_number,
                "partner": claim.partner_id,
                "own": own,
                "phone": claim.customer_phone,
                "address": claim.customer_address_key,
            },
        )
        invoice_count, invoice_of, by_phone, by_address = cursor.fetchone()
    invoice_of = invoice_of or 0
    customer_units = max(by_phone or 0, by_address or 0)
    return risk.ClaimRiskFacts(
        repair_date=repair,
        claim_id=claim.pk or 0,
        unit_known=claim.unit_id is not None,
        region=claim.region,
        sold_region=claim.sold_region,
        fault_code=claim.fault_code,
        sold_on=claim.sold_on,
        coverage_ends_on=claim.coverage_ends_on,
        doa=claim.doa,
        no_fault_found=claim.no_fault_found,
        labour_minutes=claim.labour_minutes,
        standard_minutes=claim.standard_minutes,
        parts_count=claim.parts_count,
        defectives_missing=claim.defectives_missing,
        claimed_amount=claim.claimed_amount,
        duplicate_count=dup_count,
        duplicate_of=dup_of,
        duplicate_gap_days=dup_gap,
        invoice_count=invoice_count,
        invoice_of=invoice_of,
        serial_other_partners=other_partners,
        customer_units=customer_units,
        amount_faults=amount_faults,
    )


def score_claim(claim: Claim) -> risk.RiskResult:
    """The risk of one (saved) claim: its facts, a few indexed counts and the snapshot. Does
    not write the claim."""
    peer = partner = None
    amount_faults = 0
    cents = str(int((claim.claimed_amount * 100).to_integral_value()))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partner_id, metrics FROM claims_peerstatistics WHERE partner_id = %s"
            " OR (partner_id IS NULL AND region = %s AND product_line = %s)",
            [claim.partner_id, claim.region, claim.product_line],
        )
        snapshot = cursor.fetchall()
    for partner_id, metrics in snapshot:
        if isinstance(metrics, str):  # SQLite answers the JSON as text
            metrics = json.loads(metrics)
        if partner_id is None:
            peer = _group_stats(metrics)
        else:
            amount_faults = int(metrics.get("repeated_amounts", {}).get(cents, 0))
            entry = metrics.get("groups", {}).get(_key(claim.region, claim.product_line))
            if entry is not None:
                partner = _partner_stats(entry)
    return risk.score(_claim_facts(claim, amount_faults=amount_faults), peer, partner)


# --- every claim ----------------------------------------------------------------------------

_COLUMNS = (
    "id",
    "partner_id",
    "unit_known",
    "serial_number",
    "fault_code",
    "invoice_number",
    "region",
    "product_line",
    "sold_region",
    "customer_phone",
    "customer_address_key",
    "repair_day",
    "sold_day",
    "coverage_end_day",
    "labour_minutes",
    "standard_minutes",
    "parts_count",
    "defectives_missing",
    "doa",
    "nff",
    "amount_cents",
)
_HASHED = ("serial_number", "invoice_number", "customer_phone", "customer_address_key")
_CODED = ("fault_code", "region", "product_line", "sold_region")


def _select_sql() -> str:
    return f"""
        SELECT id, partner_id, CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END,
               serial_number, fault_code, invoice_number, region, product_line, sold_region,
               customer_phone, customer_address_key,
               {_day("repair_date")},
               COALESCE({_day("sold_on")}, {risk.NO_DAY}),
               COALESCE({_day("coverage_ends_on")}, {risk.NO_DAY}),
               labour_minutes, standard_minutes, parts_count, defectives_missing,
               CASE WHEN doa THEN 1 ELSE 0 END,
               CASE WHEN no_fault_found IS NULL THEN -1 WHEN no_fault_found THEN 1 ELSE 0 END,
               {_cents("claimed_amount")}
        FROM claims_claim
    """


def _fetch() -> tuple[dict[str, np.ndarray], list[str]]:
    """Every claim's columns in one pass (a server-side cursor on PostgreSQL): numbers as
    arrays, low-cardinality strings coded through one vocabulary, the others hashed (only
    equality matters for them)."""
    vocab: dict[str, int] = {"": 0}
    chunks: dict[str, list[np.ndarray]] = {c: [] for c in _COLUMNS}

    def code(s: str) -> int:
        k = vocab.get(s)
        if k is None:
            k = vocab[s] = len(vocab)
        return k

    position = {c: k for k, c in enumerate(_COLUMNS)}
    with connection.chunked_cursor() as cursor:
        cursor.execute(_select_sql())
        while True:
            rows = cursor.fetchmany(FETCH_ROWS)
            if not rows:
                break
            columns = list(zip(*rows, strict=True))
            m = len(rows)
            for c in _COLUMNS:
                values = columns[position[c]]
                if c in _HASHED:
                    array = np.fromiter(map(hash, values), dtype=np.int64, count=m)
                elif c in _CODED:
                    array = np.fromiter(map(code, values), dtype=np.int64, count=m)
                else:
                    array = np.array(values, dtype=np.int64)
                chunks[c].append(array)
    data = {
        c: np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        for c, parts in chunks.items()
    }
    words = [""] * len(vocab)
    for word, k in vocab.items():
        words[k] = word
    # "" hashes to some value too: mark the empty ones explicitly.
    empty = hash("")
    for c in _HASHED:
        data[f"{c}_empty"] = data[c] == empty
    return data, words


def _dense(*keys: np.ndarray) -> np.ndarray:
    """Dense ids (0…G−1) of the rows' key tuples: equal tuples, equal ids."""
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort(keys[::-1])
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for k in keys:
        sk = k[order]
        change[1:] |= sk[1:] != sk[:-1]
    ids = np.empty(n, dtype=np.int64)
    ids[order] = np.cumsum(change) - 1
    return ids


def _distinct_per(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per row: how many distinct `values` the rows of its group hold."""
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    pairs = _dense(groups, values)
    _, first = np.unique(pairs, return_index=True)
    per_group = np.bincount(groups[first], minlength=int(groups.max()) + 1)
    return per_group[groups]


def _counts(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The batch form of `_claim_facts`' queries, by sorting."""
    n = len(data["id"])
    ids, day = data["id"], data["repair_day"]
    out = {
        c: np.zeros(n, dtype=np.int64)
        for c in (
            "duplicate_count",
            "duplicate_of",
            "duplicate_gap_days",
            "invoice_count",
            "invoice_of",
            "serial_other_partners",
            "customer_units",
        )
    }
    if n == 0:
        return out
    # Earlier claims (by repair date, then id) on the same serial and fault code, in window.
    has_serial = ~data["serial_number_empty"]
    group = _dense(data["serial_number"], data["fault_code"])
    key = (group << 32) + (day - day.min())
    order = np.lexsort((ids, key))
    sorted_key = key[order]
    left = np.searchsorted(sorted_key, sorted_key - settings.CLAIM_DUPLICATE_DAYS, side="left")
    earlier = np.arange(n) - left
    previous = np.maximum(np.arange(n) - 1, 0)
    dup = np.zeros(n, dtype=np.int64)
    dup[order] = earlier
    dup_of = np.zeros(n, dtype=np.int64)
    dup_of[order] = np.where(earlier > 0, ids[order][previous], 0)
    gap = np.zeros(n, dtype=np.int64)
    gap[order] = np.where(earlier > 0, day[order] - day[order][previous], 0)
    out["duplicate_count"] = np.where(has_serial, dup, 0)
    out["duplicate_of"] = np.where(has_serial, dup_of, 0)
    out["duplicate_gap_days"] = np.where(has_serial, gap, 0)
    # Other partners on the same serial.
    serial_group = _dense(data["serial_number"])
    out["serial_other_partners"] = np.where(
        has_serial, _distinct_per(serial_group, data["partner_id"]) - 1, 0
    )
    # Earlier claims (by id) of the same partner with the same invoice number.
    has_invoice = ~data["invoice_number_empty"]
    if has_invoice.any():
        rows = np.flatnonzero(has_invoice)
        group = _dense(data["partner_id"][rows], data["invoice_number"][rows])
        order = np.lexsort((ids[rows], group))
        g = group[order]
        starts = np.searchsorted(g, g, side="left")
        position = np.arange(len(rows)) - starts
        previous = np.maximum(np.arange(len(rows)) - 1, 0)
        count = np.zeros(len(rows), dtype=np.int64)
        count[order] = position
        last = np.zeros(len(rows), dtype=np.int64)
        last[order] = np.where(position > 0, ids[rows][order][previous], 0)
        out["invoice_count"][rows] = count
        out["invoice_of"][rows] = last
    # Distinct serials under one phone, one address: the larger.
    for column in ("customer_phone", "customer_address_key"):
        present = ~data[f"{column}_empty"]
        if present.any():
            rows = np.flatnonzero(present)
            units = _distinct_per(_dense(data[column][rows]), data["serial_number"][rows])
            out["customer_units"][rows] = np.maximum(out["customer_units"][rows], units)
    return out


def _snapshot_tables(
    data: dict[str, np.ndarray], vocab: list[str]
) -> tuple[np.ndarray, np.ndarray, dict, dict, np.ndarray]:
    """Per claim: its row in the peer-group table and in the partner table, the tables, and
    how many fault codes its partner billed at its exact amount (from the snapshot)."""
    repeated_keys: list[int] = []
    repeated_faults: list[int] = []
    group_stats: list[risk.PeerGroupStats] = []
    group_index: dict[tuple[str, str], int] = {}
    partner_stats: list[risk.PartnerStats] = []
    partner_index: dict[tuple[int, str, str], int] = {}
    for partner_id, region, line, metrics in PeerStatistics.objects.values_list(
        "partner_id", "region", "product_line", "metrics"
    ).order_by("id"):
        if partner_id is None:
            group_index[(region, line)] = len(group_stats)
            group_stats.append(_group_stats(metrics))
        else:
            for cents, faults in metrics.get("repeated_amounts", {}).items():
                repeated_keys.append(partner_id * _AMOUNT_SPAN + int(cents))
                repeated_faults.append(faults)
            for entry in metrics.get("groups", {}).values():
                partner_index[(partner_id, entry["region"], entry["product_line"])] = len(
                    partner_stats
                )
                partner_stats.append(_partner_stats(entry))
    n = len(data["id"])
    group = np.full(n, -1, dtype=np.int64)
    partner_group = np.full(n, -1, dtype=np.int64)
    if n:
        # Look up each distinct (region, product line) and (partner, region, product line) once.
        g = _dense(data["region"], data["product_line"])
        _, first = np.unique(g, return_index=True)
        table = np.full(len(first), -1, dtype=np.int64)
        for k, row in enumerate(first):
            key = (vocab[data["region"][row]], vocab[data["product_line"][row]])
            table[k] = group_index.get(key, -1)
        group = table[g]
        pg = _dense(data["partner_id"], data["region"], data["product_line"])
        _, first = np.unique(pg, return_index=True)
        table = np.full(len(first), -1, dtype=np.int64)
        for k, row in enumerate(first):
            key = (
                int(data["partner_id"][row]),
                vocab[data["region"][row]],
                vocab[data["product_line"][row]],
            )
            table[k] = partner_index.get(key, -1)
        partner_group = table[pg]
    groups = risk.Batch.group_table(group_stats) if group_stats else risk.Batch.empty_tables()[0]
    partners = (
        risk.Batch.partner_table(partner_stats) if partner_stats else risk.Batch.empty_tables()[1]
    )
    amount_faults = np.zeros(n, dtype=np.int64)
    if repeated_keys and n:
        keys = np.array(repeated_keys, dtype=np.int64)
        order = np.argsort(keys)
        keys, found = keys[order], np.array(repeated_faults, dtype=np.int64)[order]
        wanted = data["partner_id"] * _AMOUNT_SPAN + data["amount_cents"]
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        amount_faults = np.where(keys[at] == wanted, found[at], 0)
    return group, partner_group, groups, partners, amount_faults


def current_batch() -> risk.Batch:
    """Every claim as a `risk.Batch`, against the current snapshot (for rescoring and for
    measuring the signals: see bench/claims.py)."""
    return _batch(*_fetch())


def _batch(data: dict[str, np.ndarray], vocab: list[str]) -> risk.Batch:
    counts = _counts(data)
    group, partner_group, groups, partners, amount_faults = _snapshot_tables(data, vocab)
    claims = {
        "claim_id": data["id"],
        "region": data["region"],
        "sold_region": data["sold_region"],
        "fault_code": data["fault_code"],
        "repair_day": data["repair_day"],
        "sold_day": data["sold_day"],
        "coverage_end_day": data["coverage_end_day"],
        "nff": data["nff"],
        "labour_minutes": data["labour_minutes"],
        "standard_minutes": data["standard_minutes"],
        "parts_count": data["parts_count"],
        "defectives_missing": data["defectives_missing"],
        "amount_cents": data["amount_cents"],
        **counts,
        "amount_faults": amount_faults,
        "group": group,
        "partner_group": partner_group,
        "unit_known": data["unit_known"].astype(bool),
        "doa": data["doa"].astype(bool),
    }
    return risk.Batch(claims=claims, groups=groups, partners=partners, vocab=vocab)


def _write_postgres_part(conn, rows: list[tuple[int, int, str]], now) -> int:
    """COPY (id, score, reasons) into a temporary table, then one UPDATE … FROM it and one
    INSERT of the claims that have no risk row yet."""
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        # Inside an outer transaction (a test, a caller's atomic block) ON COMMIT has not come
        # yet from an earlier call: start from an empty table either way.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.claims_rescore")
        cursor.execute(
            "CREATE TEMP TABLE claims_rescore (id bigint PRIMARY KEY, risk_score smallint,"
            " risk_reasons jsonb) ON COMMIT DROP"
        )
        with cursor.cursor.copy(
            "COPY claims_rescore (id, risk_score, risk_reasons) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute("ANALYZE claims_rescore")
        cursor.execute(
            "UPDATE claims_claimrisk AS r SET score = t.risk_score, reasons = t.risk_reasons,"
            " scored_at = %s FROM claims_rescore AS t WHERE r.claim_id = t.id AND (r.scored_at"
            " IS NULL OR r.score <> t.risk_score OR r.reasons <> t.risk_reasons)",
            [now],
        )
        written = cursor.rowcount
        cursor.execute(
            "INSERT INTO claims_claimrisk (claim_id, score, reasons, scored_at)"
            " SELECT t.id, t.risk_score, t.risk_reasons, %s FROM claims_rescore AS t"
            " WHERE NOT EXISTS (SELECT 1 FROM claims_claimrisk AS r WHERE r.claim_id = t.id)",
            [now],
        )
        return written + cursor.rowcount


def _write_postgres_thread(rows: list[tuple[int, int, str]], now) -> int:
    from django.db import connections

    try:
        return _write_postgres_part(connections[connection.alias], rows, now)
    finally:
        connections.close_all()  # this thread's own connection


def _write(
    ids: np.ndarray,
    result: risk.BatchResult,
    progress: Callable[[int, int], None] | None,
) -> int:
    """Write the scores to the claims' risk rows; a claim whose score and reasons are
    unchanged (and that was scored before) is left alone. The rows are narrow and carry two
    indexes, so even a rescoring that changes every score stays cheap; PostgreSQL writes with
    WRITE_CONNECTIONS connections at once (halves of the claims, each its own transaction)
    unless the caller holds a transaction. Returns the claims written."""
    n = len(ids)
    now = clock.now()
    id_list = ids.tolist()
    scores = result.scores.tolist()
    reasons = result.reasons_json()
    if connection.vendor == "postgresql":
        rows = list(zip(id_list, scores, reasons, strict=True))
        parts = WRITE_CONNECTIONS if n >= PARALLEL_WRITE_MIN else 1
        if parts == 1 or connection.in_atomic_block:
            written = _write_postgres_part(connection, rows, now)
        else:
            from concurrent.futures import ThreadPoolExecutor

            size = -(-n // parts)
            with ThreadPoolExecutor(parts) as pool:
                futures = [
                    pool.submit(_write_postgres_thread, rows[k : k + size], now)
                    for k in range(0, n, size)
                ]
                written = sum(f.result() for f in futures)
        if progress:
            progress(n, n)
        return written
    stamp = connection.ops.adapt_datetimefield_value(now)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for first in range(0, n, WRITE_ROWS):
            last = min(n, first + WRITE_ROWS)
            cursor.executemany(
                "INSERT INTO claims_claimrisk AS r (claim_id, score, reasons, scored_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (claim_id) DO UPDATE SET"
                " score = excluded.score, reasons = excluded.reasons,"
                " scored_at = excluded.scored_at WHERE r.scored_at IS NULL"
                " OR r.score <> excluded.score OR r.reasons <> excluded.reasons",
                [(id_list[i], scores[i], reasons[i], stamp) for i in range(first, last)],
            )
            written += max(cursor.rowcount, 0)
            if progress:
                progress(last, n)
    return written


def rescore_all(
    *,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
    timings: dict | None = None,
) -> int:
    """Refresh the peer statistics, then score every claim and write its risk row (score,
    reasons, scored_at) where they changed (statuses do not change; a claim whose
    score and reasons come out the same keeps its scored_at). Returns the claims scored.
    `timings`, when given, receives the seconds each step took and the claims written."""
    clock_at = [time.perf_counter()]

    def lap(step: str) -> None:
        now = time.perf_counter()
        if timings is not None:
            timings[step] = round(now - clock_at[0], 3)
        clock_at[0] = now

    if progress:
        progress(0, Claim.objects.count())
    data, vocab = _fetch()
    lap("fetch_s")
    _refresh(data, vocab, today=today or clock.today())
    lap("refresh_s")
    batch = _batch(data, vocab)
    lap("group_counts_s")
    result = risk.score_batch(batch)
    lap("score_s")
    written = _write(batch.claims["claim_id"], result, progress)
    lap("write_s")
    if timings is not None:
        timings["claims_written"] = written
    return batch.n
