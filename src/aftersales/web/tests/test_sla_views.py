"""The SLA in the staff UI: the case file's SLA block, the case list's SLA column, the at-risk
queue (partner-scoped) and the Spanish labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from aftersales.sla import selectors as sla
from aftersales.web.templatetags.web_tags import duration_text

pytestmark = pytest.mark.django_db

# Monday 10:00 in Madrid: the default policy gives a repair 8 office hours to first response
# (due Monday 18:00) and 10 office days to resolution.
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Madrid")).astimezone(UTC)


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def travel():
    """travel(instant) keeps the clock still there until the next call or the test's end."""
    moves: list = []

    def move(instant):
        if moves:
            moves.pop().stop()
        traveller = time_machine.travel(instant, tick=False)
        traveller.start()
        moves.append(traveller)

    yield move
    for traveller in moves:
        traveller.stop()


def test_duration_text():
    assert duration_text(3 * 3600 + 20 * 60) == "3 h 20 min"
    assert duration_text(26 * 3600 + 59) == "1 day 2 h"
    assert duration_text(2 * 86_400) == "2 days"
    assert duration_text(0) == "0 min"


def test_case_file_shows_clocks_on_time_then_breached(client_as, make_case, travel):
    travel(MONDAY_10)
    case = make_case()
    client = client_as("agent")
    body = text_of(client.get(f"/cases/{case.number}/"))
    assert 'id="sla-head"' in body
    assert "first response" in body and "resolution" in body
    assert 'class="badge sla-on_time">on time<' in body
    assert "8 h left" in body
    assert '<time datetime="' in body  # due, with the exact time on hover

    travel(MONDAY_10 + timedelta(days=1, hours=10))  # Tuesday 20:00: first response missed
    body = text_of(client.get(f"/cases/{case.number}/"))
    assert 'class="badge sla-breached">breached<' in body
    assert "overdue by 1 day 2 h" in body


def test_case_file_at_risk_past_the_warning_point(client_as, make_case, travel):
    travel(MONDAY_10)
    case = make_case()
    travel(MONDAY_10 + timedelta(hours=7))  # 17:00, past 80 % of the 8 hours
    body = text_of(client_as("agent").get(f"/cases/{case.number}/"))
    assert 'class="badge sla-at_risk">at risk<' in body
    assert "1 h left" in body


def test_case_list_has_the_sla_column_in_one_query(
    client_as, make_case, travel, django_assert_max_num_queries
):
    travel(MONDAY_10)
    cases = [make_case(summary=f"Case {i}", type=t) for i, t in enumerate(["repair", "complaint"])]
    travel(MONDAY_10 + timedelta(days=2))
    response = client_as("agent").get("/cases/")
    body = text_of(response)
    assert ">SLA</th>" in body
    assert 'class="badge sla-breached">breached<' in body
    rows = response.context["rows"]
    assert {c.pk for c in rows} == {c.pk for c in cases}
    assert all(row.sla_clock is not None for row in rows)
    with django_assert_max_num_queries(1):
        urgent = sla.most_urgent_clocks([c.pk for c in cases])
    assert all(view.target == "first_response" for view in urgent.values())


def test_at_risk_lists_breached_cases_and_scopes_partners(client_as, make_case, travel):
    travel(MONDAY_10)
    brand = make_case(summary="Brand case")
    own = make_case("partner_a", type="installation", summary="Partner A case")
    travel(MONDAY_10 + timedelta(days=2))

    body = text_of(client_as("supervisor").get("/at-risk/"))
    assert brand.number in body and own.number in body
    assert 'class="badge sla-breached">breached<' in body
    assert "overdue by" in body

    partner_a = text_of(client_as("partner_a").get("/at-risk/"))
    assert own.number in partner_a and brand.number not in partner_a
    partner_b = text_of(client_as("partner_b").get("/at-risk/"))
    assert own.number not in partner_b and brand.number not in partner_b
    assert client_as("partner_b").get(f"/cases/{own.number}/").status_code == 404


def test_at_risk_pages_with_a_cursor(client_as, make_case, travel, monkeypatch):
    travel(MONDAY_10)
    first = make_case(summary="First")
    second = make_case(summary="Second", type="complaint")
    travel(MONDAY_10 + timedelta(days=40))
    real = sla.at_risk
    monkeypatch.setattr(sla, "at_risk", lambda viewer, **kw: real(viewer, **{**kw, "limit": 1}))
    client = client_as("agent")
    page_one = client.get("/at-risk/")
    assert page_one.context["next_url"]
    page_two = client.get("/at-risk/" + page_one.context["next_url"])
    one, two = page_one.context["rows"], page_two.context["rows"]
    assert len(one) == len(two) == 1
    assert (one[0].case.pk, one[0].clock.target) != (two[0].case.pk, two[0].clock.target)
    assert {one[0].case.pk, two[0].case.pk} <= {first.pk, second.pk}
    # A cursor this page did not give out starts again at the top.
    assert client.get("/at-risk/", {"cursor": "garbage"}).status_code == 200


def test_at_risk_needs_login_and_is_in_the_navigation(client, client_as):
    assert client.get("/at-risk/").status_code == 302
    body = text_of(client_as("agent").get("/"))
    assert 'href="/at-risk/"' in body and "SLA at risk or breached" in body


def test_spanish_sla_labels(client_as, make_case, travel):
    travel(MONDAY_10)
    case = make_case()
    travel(MONDAY_10 + timedelta(days=2))
    body = text_of(
        client_as("agent").get(f"/cases/{case.number}/", headers={"Accept-Language": "es"})
    )
    assert "primera respuesta" in body
    assert ">incumplido<" in body
    assert "En riesgo" in text_of(
        client_as("agent").get("/at-risk/", headers={"Accept-Language": "es"})
    )
