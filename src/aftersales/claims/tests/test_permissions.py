"""Who may call which claims endpoint: every role on every endpoint. A role the permission
table refuses gets 403; a role it allows gets an answer from the business (2xx, or a 4xx
about the claim: 404 outside its scope, 409 for a step out of order, 422 for input), never
403 or 500. Partner B never sees partner A's claims, statements or scorecard."""

from __future__ import annotations

import pytest

from aftersales.accounts.rules import PERMISSIONS
from aftersales.claims import services
from aftersales.claims.tests.conftest import good_lines
from aftersales.core import clock

pytestmark = pytest.mark.django_db

PERSONAS = [
    "admin",
    "manager",
    "supervisor",
    "agent",
    "technician",
    "warehouse",
    "partner_a",
    "partner_b",
]
TODAY = "{today}"

ENDPOINTS = [
    ("submit", "post", "/api/v1/claims", "claims.submit", {"lines": [{"kind": "travel"}]}),
    ("list", "get", "/api/v1/claims", "claims.read", None),
    ("queue", "get", "/api/v1/claims/review-queue", "claims.review", None),
    ("get", "get", "/api/v1/claims/{claim}", "claims.read", None),
    ("reply", "post", "/api/v1/claims/{claim}/reply", "claims.reply", {"message": "Here."}),
    (
        "request_info",
        "post",
        "/api/v1/claims/{claim}/request-info",
        "claims.review",
        {"question": "Why?"},
    ),
    ("approve", "post", "/api/v1/claims/{claim}/approve", "claims.review", {}),
    (
        "decide_lines",
        "post",
        "/api/v1/claims/{claim}/decide-lines",
        "claims.review",
        {"lines": [{"id": 1, "approved_amount": "0", "reason_code": "other"}]},
    ),
    ("reject", "post", "/api/v1/claims/{claim}/reject", "claims.review", {"reason": "No."}),
    (
        "chargeback",
        "post",
        "/api/v1/claims/{paid}/chargebacks",
        "claims.statement",
        {"amount": "1.00", "reason": "Audit."},
    ),
    ("bulk", "post", "/api/v1/claims/bulk-approve", "claims.review", {"numbers": ["{claim}"]}),
    ("statements", "get", "/api/v1/claim-statements", "claims.read", None),
    (
        "issue",
        "post",
        "/api/v1/claim-statements",
        "claims.statement",
        {"partner_code": "ASP-A", "period_start": TODAY, "period_end": TODAY},
    ),
    ("statement", "get", "/api/v1/claim-statements/{statement}", "claims.read", None),
    ("pdf", "get", "/api/v1/claim-statements/{statement}.pdf", "claims.read", None),
    ("csv", "get", "/api/v1/claim-statements/{statement}.csv", "claims.read", None),
    ("scorecard", "get", "/api/v1/partners/ASP-A/scorecard", "claims.read", None),
    ("audits", "get", "/api/v1/claim-audits", "claims.audit", None),
    (
        "draw",
        "post",
        "/api/v1/claim-audits",
        "claims.audit",
        {"period_start": TODAY, "period_end": TODAY, "size": 1, "seed": 1},
    ),
    ("record", "post", "/api/v1/claim-audits/{audit}", "claims.audit", {"outcome": "passed"}),
    ("standards", "get", "/api/v1/labour-standards", "claims.read", None),
    (
        "set_standard",
        "post",
        "/api/v1/labour-standards",
        "claims.configure",
        {"product_line": "washing_machine", "labour_code": "DOOR", "minutes": 20},
    ),
]

# Paths about partner A's own objects: partner B answers 404 there.
PARTNER_A_ONLY = ("{claim}", "{paid}", "{statement}", "/partners/ASP-A/")


@pytest.fixture
def scene(people, submit):
    """Partner A's claim in review, a paid claim on a statement, and an audit of it."""
    today = clock.today()
    review = submit(lines=good_lines(minutes=75), invoice_number="R")
    paid = submit(fault_code="E10", invoice_number="P")
    assert (review.status, paid.status) == ("review", "auto_approved")
    statement = services.statement_issue(
        actor=people["admin"].user, partner_code="ASP-A", period_start=today, period_end=today
    )
    (audit,) = services.audit_sample_draw(
        actor=people["admin"].user, period_start=today, period_end=today, size=1, seed=1
    )
    return {
        "claim": review.number,
        "paid": paid.number,
        "statement": statement.number,
        "audit": audit.pk,
        "today": today.isoformat(),
    }


def _fill(value, scene: dict):
    if isinstance(value, str):
        return value.format(**scene)
    if isinstance(value, list):
        return [_fill(v, scene) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, scene) for k, v in value.items()}
    return value


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "method", "path", "permission", "body"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
def test_permission_matrix(people, scene, persona, name, method, path, permission, body):
    who = people[persona]
    url = path.format(**scene)
    response = who.get(url) if method == "get" else who.post(url, _fill(body, scene))
    role = who.user.role
    if role in PERMISSIONS[permission]:
        assert response.status_code != 403, (persona, name, response.content)
        assert response.status_code < 500, (persona, name, response.content)
        if persona == "partner_b" and any(key in path for key in PARTNER_A_ONLY):
            assert response.status_code == 404, (persona, name, response.content)
            assert response.json()["code"] == "not_found"
    else:
        assert response.status_code == 403, (persona, name, response.content)
        assert response.json()["code"] == "forbidden"


def test_partner_b_sees_nothing_of_partner_a(people, scene):
    b = people["partner_b"]
    for url in (
        f"/api/v1/claims/{scene['claim']}",
        f"/api/v1/claim-statements/{scene['statement']}",
        f"/api/v1/claim-statements/{scene['statement']}.pdf",
        f"/api/v1/claim-statements/{scene['statement']}.csv",
        "/api/v1/partners/ASP-A/scorecard",
    ):
        response = b.get(url)
        assert response.status_code == 404, (url, response.content)
        assert response.json()["code"] == "not_found"
    assert b.get("/api/v1/claims").json()["items"] == []
    assert b.get("/api/v1/claim-statements").json()["items"] == []
    assert b.post(f"/api/v1/claims/{scene['claim']}/reply", {"message": "x"}).status_code == 404
    # Its own scorecard, though, it may read.
    assert b.get("/api/v1/partners/ASP-B/scorecard").status_code == 200
