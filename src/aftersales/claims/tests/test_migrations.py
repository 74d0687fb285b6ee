"""The move of the risk scores to their own table keeps every installed score."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from aftersales.claims.models import ClaimRisk

BEFORE = [("claims", "0001_initial")]
AFTER = [("claims", "0002_claim_risk_table")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_scores_move_to_the_risk_table_and_back(submit):
    claim = submit()
    ClaimRisk.objects.filter(claim=claim).update(score=64, reasons=[{"code": "X", "points": 64}])
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT risk_score FROM claims_claim WHERE id = %s", [claim.pk])
            assert cursor.fetchone() == (64,)
            cursor.execute("UPDATE claims_claim SET risk_score = 71 WHERE id = %s", [claim.pk])
    finally:
        _migrate(AFTER)
    moved = ClaimRisk.objects.get(claim=claim)
    assert moved.score == 71 and moved.reasons == [{"code": "X", "points": 64}]
    assert moved.scored_at is not None
