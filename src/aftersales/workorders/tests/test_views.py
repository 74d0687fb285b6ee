"""The work-order screens through Django's test client: who may open which screen, each
side-panel action by plain POST (redirect) and by htmx (the main region comes back), refusals
shown in words next to the form, partner scoping, the case file's section, the dispatch board,
"My day", the service record, and the customer's quote and tracking pages."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client

from aftersales.core import clock
from aftersales.workorders import selectors
from aftersales.workorders import services as wo
from aftersales.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def login(people):
    def make(who: str) -> Client:
        client = Client()
        client.force_login(people[who].user)
        return client

    return make


@pytest.fixture
def order(people, repair_case):
    """An on-site job at Madrid, scheduled tomorrow and dispatched to the technician."""
    sup = people["supervisor"].user
    created = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="on_site")
    start = clock.now().replace(microsecond=0) + timedelta(days=1)
    wo.work_order_schedule(
        actor=sup, number=created.number, window_start=start, window_end=start + timedelta(hours=2)
    )
    wo.work_order_assign(
        actor=sup, number=created.number, technician_username=people["technician"].user.username
    )
    return WorkOrder.objects.get(pk=created.pk)


@pytest.fixture
def partner_order(people, repair_case):
    sup = people["supervisor"].user
    created = wo.work_order_create(
        actor=sup, case_number=repair_case.number, kind="workshop", partner_code="ASP-A"
    )
    return created


def url(order, action: str = "") -> str:
    base = f"/work-orders/{order.number}/"
    return f"{base}do/{action}/" if action else base


def text(response) -> str:
    return response.content.decode()


def status_of(order) -> str:
    return WorkOrder.objects.get(pk=order.pk).status


# Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/work-orders/",
        "/work-orders/WO-000001/",
        "/dispatch/",
        "/my-day/",
        "/technicians/x/record/",
    ],
)
def test_anonymous_is_sent_to_login(path):
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("supervisor", 200),
        ("admin", 200),
        ("agent", 200),
        ("technician", 200),
        ("warehouse", 200),  # based at the same centre
        ("partner_a", 404),
        ("partner_b", 404),
    ],
)
def test_work_order_page_by_role(who, status, login, order):
    response = login(who).get(url(order))
    assert response.status_code == status
    if status == 200:
        body = text(response)
        assert order.number in body and "Lucía García" in body
        assert 'class="badge wo-status status-dispatched">dispatched<' in body


def test_partner_sees_its_own_job_and_not_the_other_partners(login, partner_order):
    assert login("partner_a").get(url(partner_order)).status_code == 200
    assert login("partner_b").get(url(partner_order)).status_code == 404
    assert login("partner_b").post(url(partner_order, "cancel"), {"reason": "x"}).status_code == 404
    assert status_of(partner_order) == "draft"
    listing = text(login("partner_b").get("/work-orders/"))
    assert partner_order.number not in listing
    assert partner_order.number in text(login("partner_a").get("/work-orders/"))


def test_technician_sees_only_their_jobs(login, people, repair_case, order):
    other = wo.work_order_create(
        actor=people["supervisor"].user, case_number=repair_case.number, kind="remote"
    )
    tech = login("technician")
    assert tech.get(url(order)).status_code == 200
    assert tech.get(url(other)).status_code == 404


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("supervisor", "/dispatch/", 200),
        ("manager", "/dispatch/", 200),
        ("agent", "/dispatch/", 403),
        ("technician", "/dispatch/", 403),
        ("partner_a", "/dispatch/", 403),
        ("technician", "/my-day/", 200),
        ("partner_a", "/my-day/", 200),
        ("supervisor", "/my-day/", 403),
        ("agent", "/my-day/", 403),
        ("technician", "/technicians/technician/record/", 200),
        ("supervisor", "/technicians/technician/record/", 200),
        ("agent", "/technicians/technician/record/", 403),
        ("technician", "/technicians/supervisor/record/", 404),
        ("supervisor", "/technicians/nobody/record/", 404),
        ("agent", "/work-orders/", 200),
        ("partner_a", "/work-orders/", 200),
        ("warehouse", "/work-orders/", 200),
    ],
)
def test_screens_by_role(who, path, status, login, order):
    assert login(who).get(path).status_code == status


def test_another_technicians_record_is_404(login, people, network):
    from aftersales.accounts.services import user_create

    user_create(username="tech_two", role="technician", password="x-password-123456")
    assert login("technician").get("/technicians/tech_two/record/").status_code == 404


def test_navigation_links(login):
    assert 'href="/dispatch/"' in text(login("supervisor").get("/"))
    assert 'href="/dispatch/"' not in text(login("agent").get("/"))
    tech_home = text(login("technician").get("/"))
    assert 'href="/my-day/"' in tech_home and 'href="/dispatch/"' not in tech_home


# The side panel ------------------------------------------------------------------------------


def test_panel_offers_only_what_is_allowed_now(login, order):
    sup = text(login("supervisor").get(url(order)))
    assert 'id="action-assign"' in sup and 'id="action-start"' in sup
    assert 'id="action-verify"' not in sup and 'id="action-close"' not in sup
    agent = text(login("agent").get(url(order)))
    assert 'id="action-assign"' not in agent and 'id="action-start"' not in agent
    assert 'id="action-cancel"' in agent
    tech = text(login("technician").get(url(order)))
    assert 'id="action-start"' in tech and 'id="action-assign"' not in tech


def test_full_on_site_job_by_plain_posts(login, order):
    tech, sup = login("technician"), login("supervisor")
    response = tech.post(url(order, "start"))
    assert response.status_code == 302 and response["Location"] == url(order)
    assert status_of(order) == "in_progress"
    page_after = text(tech.get(url(order)))
    assert f"Work started on {order.number}." in page_after
    assert 'id="action-visit"' in page_after and '<canvas class="signature-pad"' in page_after

    response = tech.post(
        url(order, "visit"),
        {
            "fault_code": "E21",
            "cause": "Blocked pump",
            "action_taken": "Cleaned",
            "result": "fixed",
        },
    )
    assert response.status_code == 302
    assert (
        tech.post(url(order, "labour"), {"labour_code": "REP", "minutes": "45"}).status_code == 302
    )
    response = tech.post(
        url(order, "part"), {"part_number": "DP-100", "quantity": "1", "location": "MAD-WH"}
    )
    assert response.status_code == 302
    body = text(tech.get(url(order)))
    assert "Blocked pump" in body and "DP-100" in body and "MAD-WH" in body and "REP" in body
    assert "Total" in body

    # Without the customer's acceptance an on-site job is refused, in words.
    response = tech.post(url(order, "complete"), {"result": "fixed"})
    assert response.status_code == 422
    assert "An on-site job is completed with the customer&#x27;s acceptance." in text(response)
    assert status_of(order) == "in_progress"

    response = tech.post(
        url(order, "complete"), {"accepted_by": "Lucía García", "signature": SIGNATURE}
    )
    assert response.status_code == 302
    done = WorkOrder.objects.get(pk=order.pk)
    assert done.status == "completed" and bytes(done.acceptance_signature) == PNG
    assert done.accepted_by == "Lucía García" and not done.acceptance_typed

    assert sup.post(url(order, "verify"), {"outcome": "pass"}).status_code == 302
    assert status_of(order) == "verified"
    assert sup.post(url(order, "close")).status_code == 302
    assert status_of(order) == "closed"


def test_actions_by_htmx_answer_with_the_main_region(login, order):
    tech = login("technician")
    response = tech.post(url(order, "start"), headers=HX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body and 'class="case-head wo-head"' in body
    assert f"Work started on {order.number}." in body
    assert status_of(order) == "in_progress"
    response = tech.post(
        url(order, "complete"),
        {"accepted_by": "Lucía", "typed": "on", "result": "fixed"},
        headers=HX,
    )
    assert response.status_code == 200 and "completed" in text(response)
    assert WorkOrder.objects.get(pk=order.pk).acceptance_typed


def test_refusals_in_words_plain_and_htmx(login, order):
    sup = login("supervisor")
    # Verifying a job that is not completed: a 409 with the service's sentence.
    response = sup.post(url(order, "verify"), {"outcome": "pass"})
    assert response.status_code == 409
    assert "Only a completed job is checked." in text(response)
    response = sup.post(url(order, "verify"), {"outcome": "pass"}, headers=HX)
    assert response.status_code == 409 and "<html" not in text(response)
    assert 'class="form-error" role="alert">Only a completed job is checked.' in text(response)
    # A form that does not parse: 422, fields marked.
    response = sup.post(url(order, "schedule"), {"day": "soon"}, headers=HX)
    assert response.status_code == 422 and "Check the fields below." in text(response)
    # A refusal the API answers with 403 still shows its words to htmx (which swaps 422).
    tech = login("technician")
    tech.post(url(order, "start"))
    response = login("warehouse").post(url(order, "visit"), {"result": "fixed"}, headers=HX)
    assert response.status_code == 403  # warehouse may not work on the card at all
    response = sup.post(url(order, "cancel"), {"reason": ""}, headers=HX)
    assert response.status_code == 422


def test_service_forbidden_becomes_422_for_htmx(login, people, repair_case, order):
    # A second technician at the centre, not assigned: the service refuses (403).
    from aftersales.accounts.services import user_create
    from aftersales.network.services import staff_assign_centre

    user_create(username="tech2", role="technician", password="x-password-123456")
    staff_assign_centre(username="tech2", centre_code="MAD")
    sup = login("supervisor")
    sup.post(url(order, "assign"), {"who": "tech:tech2"})
    assert WorkOrder.objects.get(pk=order.pk).technician.username == "tech2"
    # The first technician no longer sees the job at all.
    assert login("technician").post(url(order, "start")).status_code == 404


def test_unknown_action_is_404_and_role_without_permission_403(login, order):
    assert login("supervisor").post(url(order, "explode")).status_code == 404
    response = login("agent").post(url(order, "assign"), {"who": ""})
    assert response.status_code == 403


def test_assign_schedule_and_custody(login, people, partner_order):
    # A supervisor based at a centre sees that centre's jobs; the manager sees partners' too.
    assert login("supervisor").get(url(partner_order)).status_code == 404
    sup = login("manager")
    response = sup.post(
        url(partner_order, "schedule"),
        {"day": (clock.today() + timedelta(days=2)).isoformat(), "start": "10:00", "end": "12:00"},
        headers=HX,
    )
    assert response.status_code == 200 and "Appointment set." in text(response)
    assert status_of(partner_order) == "dispatched"  # it had a partner already
    partner = login("partner_a")
    response = partner.post(
        url(partner_order, "custody"),
        {"kind": "picked_up", "accessories": "hose", "condition": "scratched"},
    )
    assert response.status_code == 302
    body = text(partner.get(url(partner_order)))
    assert "Open pickup receipt PR-" in body and "hose" in body
    assert re.search(r'href="/receipts/PR-\d{6}/pdf/"', body)
    # Returning needs a signature name: refused in words.
    response = partner.post(url(partner_order, "custody"), {"kind": "returned"})
    assert response.status_code == 422
    assert "The customer signs for the returned product" in text(response)


def test_paid_workshop_job_quote_invoice_payment(login, people, repair_case, settings):
    sup = people["supervisor"].user
    order = wo.work_order_create(
        actor=sup,
        case_number=repair_case.number,
        kind="workshop",
        category="A",
        category_reason="Water damage",
    )
    start = clock.now() + timedelta(hours=1)
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=1)
    )
    wo.work_order_assign(
        actor=sup, number=order.number, technician_username=people["technician"].user.username
    )
    tech = login("technician")
    body = text(tech.get(url(order)))
    assert "Category A: Water damage" in body and 'id="action-quote"' in body
    tech.post(url(order, "labour"), {"labour_code": "REP", "minutes": "60", "planned": "on"})
    tech.post(url(order, "part"), {"part_number": "DP-100", "quantity": "1", "planned": "on"})
    response = tech.post(url(order, "quote"), follow=True)
    message = text(response)
    link = re.search(r"http://testserver(/quotes/[\w-]+/)", message).group(1)
    assert "Planned (for the quote)" in message

    # The customer's page: lines, total, two buttons; no login.
    customer = Client()
    quote_page = customer.get(link)
    assert quote_page.status_code == 200
    assert "Accept the quote" in text(quote_page) and "109.51 EUR" in text(quote_page)
    response = customer.post(link, {"answer": "accept"})
    assert response.status_code == 302
    assert "You accepted this quote" in text(customer.get(link))
    response = customer.post(link, {"answer": "decline"})
    assert response.status_code == 409 and "already answered" in text(response)

    tech.post(url(order, "start"))
    tech.post(url(order, "labour"), {"labour_code": "REP", "minutes": "60"})
    tech.post(url(order, "part"), {"part_number": "DP-100", "quantity": "1"})
    response = tech.post(url(order, "complete"), {"result": "fixed"})
    assert response.status_code == 302, text(response)
    agent = login("agent")
    response = agent.post(url(order, "invoice"), follow=True)
    assert "Invoice INV-" in text(response) and 'id="action-payment"' in text(response)
    invoice = selectors.invoice_of(order)
    response = agent.post(
        url(order, "payment"), {"amount": str(invoice.total + 1), "method": "card"}, headers=HX
    )
    assert response.status_code == 422 and "still due" in text(response)
    response = agent.post(url(order, "payment"), {"amount": str(invoice.total), "method": "card"})
    assert response.status_code == 302
    assert ">paid<" in text(agent.get(url(order)))


def test_recorded_approval_by_agent(login, people, repair_case):
    sup = people["supervisor"].user
    order = wo.work_order_create(
        actor=sup, case_number=repair_case.number, kind="workshop", category="A",
        category_reason="Not covered",
    )  # fmt: skip
    wo.work_order_add_labour(
        actor=sup, number=order.number, minutes=30, labour_code="REP", planned=True
    )
    wo.quote_issue(actor=sup, number=order.number)
    agent = login("agent")
    assert 'id="action-approval"' in text(agent.get(url(order)))
    response = agent.post(url(order, "approval"), {"answer": "decline"}, headers=HX)
    assert response.status_code == 200 and "Quote declined." in text(response)
    assert status_of(order) == "cancelled"


def test_quote_link_unknown_is_404_and_limited(settings):
    settings.TRACK_FAILURE_RATE = "3/m"
    client = Client()
    answers = [client.get(f"/quotes/not-a-secret-{i}/") for i in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert "This link does not lead to a quote." in text(answers[0])
    limited = client.get("/quotes/nope/")
    assert limited.status_code == 429 and "Too many attempts" in text(limited)


# The case file ----------------------------------------------------------------------------


def test_case_file_lists_work_orders_and_opens_one(login, repair_case, order):
    sup = login("supervisor")
    body = text(sup.get(f"/cases/{repair_case.number}/"))
    assert 'id="wo-head"' in body and order.number in body
    assert 'id="action-work-order"' in body and 'name="category_reason"' in body
    agent_body = text(login("agent").get(f"/cases/{repair_case.number}/"))
    assert 'name="category_reason"' not in agent_body and 'name="kind"' in agent_body
    assert 'id="action-work-order"' not in text(
        login("warehouse").get(f"/cases/{repair_case.number}/")
    )

    response = sup.post(
        f"/cases/{repair_case.number}/work-orders/", {"kind": "workshop", "owner": "centre:MAD"}
    )
    assert response.status_code == 302
    created = WorkOrder.objects.order_by("-pk").first()
    assert response["Location"] == url(created) and created.kind == "workshop"

    response = sup.post(f"/cases/{repair_case.number}/work-orders/", {"kind": "remote"}, headers=HX)
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/work-orders/WO-")

    # Refusals: a category override without a reason comes back next to the form.
    response = sup.post(
        f"/cases/{repair_case.number}/work-orders/",
        {"kind": "on_site", "category": "A"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "Say why the category differs from the entitlement." in text(response)
    assert "<html" not in text(response)


def test_case_file_of_partner_shows_only_its_work_orders(login, people, partner_order, order):
    body = text(login("partner_a").get(f"/cases/{order.case.number}/"))
    # A partner sees the case only when it is theirs; the office case is not.
    if "Page not found" not in body:
        assert order.number not in body


# Dispatch board, list, My day, service record ---------------------------------------------------


def test_dispatch_board_assigns_from_the_unassigned_queue(login, people, repair_case, order):
    sup = people["supervisor"].user
    loose = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="workshop")
    tomorrow = clock.today() + timedelta(days=1)
    board = login("supervisor")
    body = text(board.get("/dispatch/", {"week": tomorrow.isoformat()}))
    assert 'id="q-unassigned"' in body and 'id="q-unscheduled"' in body
    assert f'id="card-{loose.pk}"' in body  # unscheduled: waits for a time
    assert order.number in body  # on the technician's row
    payload = {
        "number": loose.number,
        "week": tomorrow.isoformat(),
        "who": "tech:technician",
        "day": tomorrow.isoformat(),
        "start": "08:00",
        "end": "10:00",
    }
    response = board.post("/dispatch/assign/", payload, headers=HX)
    assert response.status_code == 200
    body = text(response)
    assert 'id="board"' in body and "<html" not in body and f"{loose.number} dispatched" in body
    assert status_of(loose) == "dispatched"
    # Overlapping appointments of one technician carry the word.
    other = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="remote")
    payload.update(number=other.number, start="09:00", end="11:00")
    response = board.post("/dispatch/assign/", payload)
    assert response.status_code == 302 and response["Location"].startswith("/dispatch/?week=")
    assert "overlaps" in text(board.get("/dispatch/", {"week": tomorrow.isoformat()}))
    # A refusal (the job has started) shows on the card.
    wo.work_order_start(actor=people["technician"].user, number=other.number)
    response = board.post("/dispatch/assign/", payload, headers=HX)
    assert response.status_code == 409 and "can no longer be reassigned" in text(response)
    # Bad input.
    response = board.post("/dispatch/assign/", {**payload, "end": "07:00"})
    assert response.status_code == 422


def test_work_order_list_filters(login, order, partner_order):
    client = login("manager")
    body = text(client.get("/work-orders/"))
    assert order.number in body and partner_order.number in body
    body = text(client.get("/work-orders/", {"partner": "ASP-A"}))
    assert partner_order.number in body and order.number not in body
    body = text(client.get("/work-orders/", {"technician": "technician", "status": "dispatched"}))
    assert order.number in body and partner_order.number not in body
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    assert order.number in text(client.get("/work-orders/", {"day": tomorrow}))


def test_my_day_and_its_big_buttons(login, people, order):
    tech = login("technician")
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    body = text(tech.get("/my-day/", {"day": tomorrow}))
    assert order.number in body and 'href="tel:' in body
    assert ">Start</button>" in body
    here = f"/my-day/?day={tomorrow}"
    response = tech.post(url(order, "start"), {"next": here})
    assert response.status_code == 302 and response["Location"] == here
    body = text(tech.get(here))
    assert "?do=visit&amp;next=" in body and "?do=complete&amp;next=" in body
    # The focused page opens the chosen action first and keeps the way back.
    focused = text(tech.get(url(order), {"do": "complete", "next": here}))
    assert 'id="action-complete" open' in focused
    assert f'name="next" value="{here}"' in focused
    response = tech.post(url(order, "visit"), {"result": "fixed", "next": here}, headers=HX)
    assert response.status_code == 200 and response["HX-Redirect"] == here
    # An outside address is never followed.
    response = tech.post(
        url(order, "labour"), {"labour_code": "X", "minutes": "5", "next": "https://evil.example/"}
    )
    assert response["Location"] == url(order)


def test_service_record(login, people, order):
    tech = login("technician")
    tech.post(url(order, "start"))
    tech.post(url(order, "visit"), {"result": "fixed"})
    tech.post(url(order, "labour"), {"labour_code": "REP", "minutes": "90"})
    month = clock.today().strftime("%Y-%m")
    body = text(tech.get("/technicians/technician/record/", {"month": month}))
    assert order.number in body and "Total: 1 job" in body and "1 h 30 min" in body
    assert f"record.csv?month={month}" in body and f"record.pdf?month={month}" in body
    assert "No work recorded" in text(
        tech.get("/technicians/technician/record/", {"month": "2001-01"})
    )


def test_spanish(login, order):
    client = login("supervisor")
    response = client.get(url(order), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    body = text(response)
    assert '<html lang="es"' in body and "Cliente" in body


# The customer's tracking page -------------------------------------------------------------


def test_tracking_page_says_ready_for_pickup(people, repair_case):
    sup, tech = people["supervisor"].user, people["technician"].user
    order = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="workshop")
    start = clock.now() + timedelta(hours=1)
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=1)
    )
    wo.work_order_assign(actor=sup, number=order.number, technician_username=tech.username)
    wo.custody_record(actor=tech, number=order.number, event=wo.CustodyInput(kind="picked_up"))
    wo.custody_record(actor=tech, number=order.number, event=wo.CustodyInput(kind="received"))

    def track(**extra):
        return Client().post(
            "/track/", {"number": repair_case.number, "contact": "lucia@example.com"}, **extra
        )

    body = text(track())
    assert "Received at Madrid Service since" in body
    wo.work_order_start(actor=tech, number=order.number)
    wo.work_order_complete(actor=tech, number=order.number, result="fixed")
    wo.work_order_verify(actor=sup, number=order.number, passed=True)
    assert "Ready for pickup at Madrid Service." in text(track())
    assert '<html lang="es"' in text(track(HTTP_ACCEPT_LANGUAGE="es"))
