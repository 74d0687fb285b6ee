"""The staff UI through Django's test client: access, each action with and without htmx,
refusals shown next to the form, partner scoping, and the Spanish rendering."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from aftersales.cases import selectors as case_selectors
from aftersales.cases import services as case_services
from aftersales.core import clock
from aftersales.customers import selectors as customer_selectors
from aftersales.web import paging
from aftersales.web.tests.fixtures import UI_PASSWORD

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def case_url(case, action: str = "") -> str:
    return f"/cases/{case.number}/{action + '/' if action else ''}"


def text_of(response) -> str:
    return response.content.decode()


# Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/intake/",
        "/intake/search/?q=x",
        "/cases/",
        "/cases/SC-000001/",
        "/units/UI-SN-1/",
        "/customers/1/",
        "/search/?q=x",
    ],
)
def test_anonymous_get_is_sent_to_login(path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login") + "?next=")


@pytest.mark.parametrize(
    "path",
    [
        "/intake/case/",
        "/intake/customer/",
        "/intake/unit/",
        "/cases/SC-000001/entries/",
        "/cases/SC-000001/handoff/",
        "/cases/SC-000001/status/",
    ],
)
def test_anonymous_post_is_sent_to_login_and_writes_nothing(path, make_case):
    case = make_case()
    before = case_selectors.timeline(case).count()
    response = Client().post(path, {"kind": "note", "body": "x", "status": "closed"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
    assert case_selectors.timeline(case).count() == before


def test_anonymous_htmx_request_redirects_the_whole_window(make_case):
    case = make_case()
    response = Client().post(
        case_url(case, "entries"),
        {"kind": "note", "body": "x"},
        headers={**HX, "HX-Current-URL": f"http://testserver{case_url(case)}"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/login/?next=%2Fcases%2F{case.number}%2F"


ROLE_ACCESS = [
    # (who, path template, expected status)
    ("admin", "/intake/", 200),
    ("manager", "/intake/", 200),
    ("supervisor", "/intake/", 200),
    ("agent", "/intake/", 200),
    ("technician", "/intake/", 200),
    ("warehouse", "/intake/", 403),
    ("partner_a", "/intake/", 200),
    ("warehouse", "/cases/", 200),
    ("partner_a", "/cases/", 200),
    ("technician", "/", 200),
    ("partner_b", "/", 200),
    ("warehouse", "/customers/{customer}/", 200),
    ("agent", "/customers/{customer}/", 200),
    ("partner_a", "/customers/{customer}/", 404),
    ("partner_a", "/units/UI-SN-1/", 200),
    ("warehouse", "/units/UI-SN-1/", 200),
]


@pytest.mark.parametrize(("who", "path", "status"), ROLE_ACCESS)
def test_each_role_reaches_what_it_may(who, path, status, client_as, ui_world):
    url = path.format(customer=ui_world["customer"].pk)
    assert client_as(who).get(url).status_code == status


def test_navigation_follows_the_role(client_as):
    agent_page = text_of(client_as("agent").get("/"))
    assert 'href="/intake/"' in agent_page
    assert 'href="/admin/"' not in agent_page
    assert 'href="/admin/"' in text_of(client_as("admin").get("/"))
    assert 'href="/admin/"' in text_of(client_as("manager").get("/"))
    assert 'href="/intake/"' not in text_of(client_as("warehouse").get("/"))


def test_unknown_pages_are_404_with_the_html_page(client_as):
    response = client_as("agent").get("/cases/SC-999999/")
    assert response.status_code == 404
    assert "<html" in text_of(response)
    assert client_as("agent").get("/units/NOPE/").status_code == 404
    assert client_as("agent").get("/customers/999999/").status_code == 404
    assert client_as("agent").get("/cases/not-a-number/").status_code == 404


# Login and logout --------------------------------------------------------------------------


def test_login_page_and_login(ui_users, clean_cache):
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200
    assert 'for="id_username"' in text_of(page) and 'for="id_password"' in text_of(page)
    response = client.post("/login/", {"username": "ui_agent", "password": UI_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_with_a_message(ui_users, clean_cache):
    response = Client().post("/login/", {"username": "ui_agent", "password": "wrong"})
    assert response.status_code == 200
    assert 'role="alert"' in text_of(response)


def test_failed_logins_are_rate_limited_per_client(ui_users, clean_cache, settings, time_machine):
    settings.LOGIN_FAILURE_RATE = "3/m"
    # Time stands still: a slow run must not see the limit's window roll over mid-test.
    time_machine.move_to(clock.now(), tick=False)
    client = Client()
    statuses = [
        client.post("/login/", {"username": "ui_agent", "password": "wrong"}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    # Past the limit even the right password waits for the window to pass.
    right = client.post("/login/", {"username": "ui_agent", "password": UI_PASSWORD})
    assert right.status_code == 429
    assert "Too many attempts" in text_of(right)
    # Looking at the page is never limited.
    assert client.get("/login/").status_code == 200


def test_successful_logins_do_not_count(ui_users, clean_cache, settings):
    settings.LOGIN_FAILURE_RATE = "2/m"
    for _ in range(4):
        client = Client()
        assert (
            client.post("/login/", {"username": "ui_agent", "password": UI_PASSWORD}).status_code
            == 302
        )


def test_logout_is_a_post(client_as):
    client = client_as("agent")
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == reverse("web:login")
    assert client.get("/").status_code == 302


# Layout ------------------------------------------------------------------------------------


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize(
    "path", ["/", "/intake/?serial=UI-SN-1", "/cases/", "/units/UI-SN-1/", "/search/?q=Jan"]
)
def test_pages_have_no_inline_script_or_style_and_load_htmx(path, client_as, make_case):
    make_case()
    body = text_of(client_as("agent").get(path))
    assert not INLINE_SCRIPT.search(body)
    assert "style=" not in body and "<style" not in body and "onclick" not in body
    assert "/static/vendor/htmx-2.0.11.min.js" in body
    assert '"includeIndicatorStyles": false' in body
    assert "/static/web/app.css" in body


def test_case_page_has_no_inline_script_or_style(client_as, make_case):
    body = text_of(client_as("agent").get(case_url(make_case())))
    assert not INLINE_SCRIPT.search(body)
    assert "style=" not in body


def test_static_assets_are_served(client_as):
    client = client_as("agent")
    for path in (
        "/static/web/app.css",
        "/static/web/app.js",
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/vendor/pico-2.1.1.min.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        b"".join(response.streaming_content) if response.streaming else response.content


# Dashboard ---------------------------------------------------------------------------------


def test_dashboard_counts(client_as, make_case, ui_users):
    make_case("agent")  # open, owned by the agent
    make_case("agent", type="complaint", summary="Rude technician")
    make_case("partner_a", type="installation", summary="Install please")  # new, unowned
    response = client_as("agent").get("/")
    counts = response.context["counts"]
    assert counts["mine"] == 2
    assert counts["unowned_new"] == 1
    assert counts["opened_since"] == 3
    assert counts["by_status"]["open"] == 2 and counts["by_status"]["new"] == 1
    assert response.context["active_total"] == 3
    body = text_of(response)
    assert "owner=none" in body and "owner=me" in body


def test_dashboard_of_a_partner_counts_only_its_own_cases(client_as, make_case):
    make_case("agent")
    make_case("partner_a", type="installation")
    counts = client_as("partner_b").get("/").context["counts"]
    assert counts["opened_since"] == 0 and sum(counts["by_status"].values()) == 0
    assert client_as("partner_a").get("/").context["counts"]["opened_since"] == 1


# Search and intake -------------------------------------------------------------------------


def test_intake_search_as_you_type_finds_units_customers_and_cases(client_as, make_case):
    case = make_case()
    client = client_as("agent")
    page = text_of(client.get("/intake/"))
    assert 'hx-trigger="input changed delay:250ms' in page
    by_serial = client.get("/intake/search/", {"q": "UI-SN"}, headers=HX)
    assert "<html" not in text_of(by_serial)
    assert "UI-SN-1" in text_of(by_serial)  # units by serial prefix
    exact = text_of(client.get("/intake/search/", {"q": "UI-SN-1"}, headers=HX))
    assert case.number in exact  # cases by the exact serial
    by_name = text_of(client.get("/intake/search/", {"q": "berg"}, headers=HX))
    assert "Jan Berg" in by_name
    by_phone = text_of(client.get("/intake/search/", {"q": "+49 170 555 0001"}, headers=HX))
    assert "Jan Berg" in by_phone and case.number in by_phone
    by_mail = text_of(client.get("/intake/search/", {"q": "JAN@example.com"}, headers=HX))
    assert "Jan Berg" in by_mail
    by_number = text_of(client.get("/intake/search/", {"q": case.number}, headers=HX))
    assert case.number in by_number
    nothing = text_of(client.get("/intake/search/", {"q": "zzzz"}, headers=HX))
    assert "Nothing matches" in nothing


def test_intake_search_without_javascript_renders_the_whole_screen(client_as, ui_world):
    response = client_as("agent").get("/intake/search/", {"q": "berg"})
    assert "<html" in text_of(response) and "Jan Berg" in text_of(response)
    full = client_as("agent").get("/intake/", {"q": "berg"})
    assert "Jan Berg" in text_of(full)


def test_partner_search_shows_no_customers(client_as, ui_world):
    body = text_of(client_as("partner_a").get("/intake/search/", {"q": "UI-SN"}, headers=HX))
    assert "UI-SN-1" in body and "Jan Berg" not in body
    assert "Jan Berg" not in text_of(
        client_as("partner_a").get("/intake/search/", {"q": "Jan"}, headers=HX)
    )


def test_picking_a_unit_shows_the_verdict_and_the_active_case_before_the_form(client_as, make_case):
    client = client_as("agent")
    fresh = text_of(client.get("/intake/", {"serial": "UI-SN-1"}))
    assert "category-C" in fresh and "In warranty until" in fresh
    assert "Already open" not in fresh
    case = make_case()
    body = text_of(client.get("/intake/", {"serial": "UI-SN-1"}))
    assert "Already open" in body and case.number in body
    # The verdict and the open case come before the new-case form.
    assert body.index("category-C") < body.index("Already open") < body.index("Open case")
    old = text_of(client.get("/intake/", {"serial": "UI-OLD-1"}))
    assert "category-A" in old and "Warranty ended on" in old
    assert "No unit has serial number NOPE" in text_of(client.get("/intake/", {"serial": "NOPE"}))


def test_intake_opens_a_case_then_reuses_it(client_as, ui_world):
    client = client_as("agent")
    form = {
        "type": "repair",
        "channel": "phone",
        "priority": "high",
        "summary": "Leaks water",
        "description": "Since Monday",
        "serial_number": "UI-SN-1",
    }
    response = client.post("/intake/case/", form)
    assert response.status_code == 302
    case = ui_world["unit"].cases.get()
    assert response["Location"] == case_url(case)
    assert case.priority == "high" and case.category == "C" and case.owner.username == "ui_agent"
    page = client.get(response["Location"])
    assert f"Case {case.number} opened." in text_of(page)

    again = client.post("/intake/case/", {**form, "summary": "Still leaking"}, follow=True)
    assert again.redirect_chain[-1][0] == case_url(case)
    assert f"Added to the open case {case.number}." in text_of(again)
    assert "Still leaking" in text_of(again)


def test_intake_case_for_a_customer_without_units(client_as, ui_world):
    client = client_as("agent")
    loner = ui_world["loner"]
    page = text_of(client.get("/intake/", {"customer": loner.pk}))
    assert "No units registered for this customer." in page
    assert "New case for this customer (no unit)" in page
    response = client.post(
        "/intake/case/",
        {
            "type": "complaint",
            "channel": "email",
            "priority": "normal",
            "summary": "Nobody called back",
            "customer_id": loner.pk,
        },
    )
    assert response.status_code == 302
    case = customer_selectors.customer_get(loner.pk).cases.get()
    assert case.unit is None and case.category == "A"


def test_intake_case_errors_are_shown_not_raised(client_as, ui_world):
    client = client_as("agent")
    missing = client.post(
        "/intake/case/",
        {"type": "repair", "channel": "phone", "priority": "normal", "summary": "x"},
    )
    assert missing.status_code == 422
    assert "Pick a unit or a customer first." in text_of(missing)
    unknown = client.post(
        "/intake/case/",
        {
            "type": "repair",
            "channel": "phone",
            "priority": "normal",
            "summary": "x",
            "serial_number": "NOPE-9",
        },
    )
    assert unknown.status_code == 422
    assert "No unit has serial number NOPE-9." in text_of(unknown)
    blank = client.post(
        "/intake/case/",
        {
            "type": "repair",
            "channel": "phone",
            "priority": "normal",
            "summary": "",
            "serial_number": "UI-SN-1",
        },
    )
    assert blank.status_code == 422


def test_warehouse_cannot_open_cases(client_as, ui_world):
    response = client_as("warehouse").post(
        "/intake/case/",
        {
            "type": "repair",
            "channel": "phone",
            "priority": "normal",
            "summary": "x",
            "serial_number": "UI-SN-1",
        },
    )
    assert response.status_code == 403
    assert not ui_world["unit"].cases.exists()


def test_partner_case_from_intake_waits_unowned_and_is_the_partners(client_as, ui_world):
    response = client_as("partner_a").post(
        "/intake/case/",
        {
            "type": "repair",
            "channel": "partner",
            "priority": "normal",
            "summary": "Brought in",
            "serial_number": "UI-SN-1",
        },
    )
    assert response.status_code == 302
    case = ui_world["unit"].cases.get()
    assert case.status == "new" and case.owner is None and case.partner.code == "UI-A"


def test_partner_contact_opens_its_own_case_beside_another_organisations(client_as, make_case):
    brand_case = make_case("agent")
    response = client_as("partner_a").post(
        "/intake/case/",
        {
            "type": "repair",
            "channel": "partner",
            "priority": "normal",
            "summary": "Same fault",
            "serial_number": "UI-SN-1",
        },
        follow=True,
    )
    assert response.status_code == 200
    body = text_of(response)
    assert brand_case.number not in body
    partner_case = brand_case.unit.cases.exclude(pk=brand_case.pk).get()
    assert partner_case.partner.code == "UI-A"
    assert partner_case.number in body


def test_intake_creates_a_customer_and_registers_a_unit(client_as, ui_world):
    client = client_as("agent")
    response = client.post(
        "/intake/customer/",
        {
            "name": "Eva Nowak",
            "email": "eva@example.com",
            "phone": "+48 600 100 200",
            "country": "pl",
            "language": "en",
        },
    )
    assert response.status_code == 302
    customer = customer_selectors.customer_list(q="eva@example.com").get()
    assert response["Location"] == f"/intake/?customer={customer.pk}"
    page = text_of(client.get(response["Location"]))
    assert "Customer Eva Nowak created." in page and "Register a unit" in page

    unit = client.post(
        "/intake/unit/",
        {
            "serial_number": "UI-NEW-7",
            "sku": "UI-WM",
            "sold_on": "2026-01-10",
            "customer_id": customer.pk,
            "dealer": "Shop",
        },
    )
    assert unit.status_code == 302 and unit["Location"] == "/intake/?serial=UI-NEW-7"
    assert customer_selectors.unit_get("UI-NEW-7").customer_id == customer.pk

    duplicate = client.post(
        "/intake/unit/",
        {
            "serial_number": "UI-NEW-7",
            "sku": "UI-WM",
            "sold_on": "2026-01-10",
            "customer_id": customer.pk,
        },
    )
    assert duplicate.status_code == 409
    assert "already registered" in text_of(duplicate)


def test_intake_customer_errors_are_shown(client_as, ui_world):
    response = client_as("agent").post(
        "/intake/customer/", {"name": "X", "country": "1x", "language": "en"}
    )
    assert response.status_code == 422
    assert "two-letter ISO country code" in text_of(response)
    assert (
        client_as("technician")
        .post("/intake/customer/", {"name": "X", "country": "DE", "language": "en"})
        .status_code
        == 403
    )


def test_top_bar_search_goes_straight_to_a_case_or_unit(client_as, make_case):
    case = make_case()
    client = client_as("agent")
    assert client.get("/search/", {"q": case.number})["Location"] == case_url(case)
    assert client.get("/search/", {"q": "UI-SN-1"})["Location"] == "/units/UI-SN-1/"
    results = client.get("/search/", {"q": "Berg"})
    assert results.status_code == 200 and "/customers/" in text_of(results)
    # Someone else's case is not found, and nothing says it exists.
    other = client_as("partner_b").get("/search/", {"q": case.number})
    assert other.status_code == 200 and case_url(case) not in text_of(other)


# Case list ---------------------------------------------------------------------------------


def test_case_list_filters(client_as, make_case):
    mine = make_case("agent", summary="Mine open")
    unowned = make_case("partner_a", type="installation", summary="Nobody's")
    urgent = make_case("supervisor", serial="UI-OLD-1", priority="urgent", summary="Urgent one")
    client = client_as("agent")

    def numbers(**params):
        return [c.number for c in client.get("/cases/", params).context["rows"]]

    assert numbers() == [urgent.number, unowned.number, mine.number]
    assert numbers(owner="me") == [mine.number]
    assert numbers(owner="none") == [unowned.number]
    assert numbers(status=["new"]) == [unowned.number]
    assert set(numbers(status=["new", "open"])) == {mine.number, unowned.number, urgent.number}
    assert numbers(type="installation") == [unowned.number]
    assert numbers(priority="urgent") == [urgent.number]
    assert numbers(q="UI-OLD-1") == [urgent.number]
    assert numbers(q=mine.number) == [mine.number]
    assert numbers(sort="priority")[0] == urgent.number
    assert numbers(sort="number", dir="asc") == [mine.number, unowned.number, urgent.number]
    # A bad filter value is reported, not a crash.
    bad = client.get("/cases/", {"status": "bogus"})
    assert bad.status_code == 200 and len(bad.context["rows"]) == 3


def test_case_list_pages_by_keyset(client_as, make_case, monkeypatch):
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    created = [
        make_case("agent", type=t, summary=t)
        for t in ("repair", "complaint", "installation", "training", "delivery")
    ]
    client = client_as("agent")
    for sort in ("number", "opened", "updated", "priority"):
        seen, url = [], f"/cases/?sort={sort}"
        while url:
            response = client.get(url if url.startswith("/") else "/cases/" + url)
            seen += [c.number for c in response.context["rows"]]
            url = response.context["next_url"]
        assert sorted(seen) == sorted(c.number for c in created), sort
        assert len(seen) == len(set(seen)), sort
    first = client.get("/cases/")
    assert 'rel="next"' in text_of(first) and "cursor=" in first.context["next_url"]
    # A cursor not given out by the list is ignored, not a 500.
    assert client.get("/cases/", {"cursor": "!!!"}).status_code == 200


def test_case_list_of_a_partner_holds_only_its_cases(client_as, make_case):
    make_case("agent")
    own = make_case("partner_a", type="installation")
    rows = client_as("partner_a").get("/cases/").context["rows"]
    assert [c.number for c in rows] == [own.number]
    assert list(client_as("partner_b").get("/cases/").context["rows"]) == []


def test_case_list_shows_relative_times_with_exact_titles(client_as, make_case):
    make_case()
    body = text_of(client_as("agent").get("/cases/"))
    assert re.search(r'<time datetime="[^"]+" title="[^"]+">', body)
    assert 'class="badge status-open"' in body


# Case file ---------------------------------------------------------------------------------


def test_case_page_shows_the_whole_file(client_as, make_case):
    case = make_case()
    case_services.case_add_entry(number=case.number, actor=case.owner, kind="note", body="Internal")
    response = client_as("agent").get(case_url(case))
    body = text_of(response)
    for expected in (
        case.number,
        "Drum does not spin",
        "Jan Berg",
        "jan@example.com",
        "+491705550001",
        "UI-SN-1",
        "Washing machine UI-WM",
        case.category_reason,
        "Internal",
        "customer can see",
        "ui_agent",
    ):
        assert expected in body, expected
    assert body.index("Case opened") < body.index("Internal")  # oldest first
    allowed = [c[0] for c in response.context["status_form"].fields["status"].widget.choices]
    assert allowed == ["in_progress", "cancelled"]


def test_case_page_canonical_number(client_as, make_case):
    case = make_case()
    response = client_as("agent").get(f"/cases/sc-{case.pk}/")
    assert response.status_code == 302 and response["Location"] == case_url(case)


def test_add_entry_without_javascript(client_as, make_case):
    case = make_case()
    response = client_as("agent").post(
        case_url(case, "entries"), {"kind": "message", "body": "Technician comes Monday"}
    )
    assert response.status_code == 302 and response["Location"] == case_url(case)
    entry = case_selectors.timeline(case).last()
    assert entry.body == "Technician comes Monday" and entry.visible_to_customer


def test_add_entry_with_htmx_returns_the_main_region(client_as, make_case):
    case = make_case()
    response = client_as("agent").post(
        case_url(case, "entries"), {"kind": "note", "body": "Checked the pump"}, headers=HX
    )
    assert response.status_code == 200
    body = text_of(response)
    assert "<html" not in body and "Checked the pump" in body and "Entry added." in body
    entry = case_selectors.timeline(case).last()
    assert not entry.visible_to_customer


def test_add_entry_visible_checkbox_makes_a_note_public(client_as, make_case):
    case = make_case()
    client_as("agent").post(
        case_url(case, "entries"), {"kind": "call", "body": "Called", "visible_to_customer": "on"}
    )
    assert case_selectors.timeline(case).last().visible_to_customer


def test_add_entry_invalid_shows_errors(client_as, make_case):
    case = make_case()
    for headers in ({}, HX):
        response = client_as("agent").post(
            case_url(case, "entries"), {"kind": "status_change", "body": ""}, headers=headers
        )
        assert response.status_code == 422
        assert "Check the fields below." in text_of(response)


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_handoff(headers, client_as, make_case, ui_users):
    case = make_case()
    response = client_as("agent").post(
        case_url(case, "handoff"),
        {"to": "ui_technician", "reason": "Needs a visit"},
        headers=headers,
    )
    if headers:
        assert response.status_code == 200 and "Case handed to ui_technician." in text_of(response)
    else:
        assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == ui_users["technician"]
    assert case_selectors.handoff_count(case) == 1


def test_handoff_select_lists_brand_people_who_can_own(client_as, make_case):
    case = make_case()
    choices = [
        c[0]
        for c in client_as("agent")
        .get(case_url(case))
        .context["handoff_form"]
        .fields["to"]
        .widget.choices
    ]
    assert "ui_technician" in choices and "ui_supervisor" in choices
    assert "ui_warehouse" not in choices and "ui_partner_a" not in choices
    assert "ui_agent" not in choices  # the current owner


def test_handoff_refused_is_shown_next_to_the_form(client_as, make_case):
    case = make_case()
    for headers in ({}, HX):
        response = client_as("agent").post(
            case_url(case, "handoff"), {"to": "ui_warehouse", "reason": "x"}, headers=headers
        )
        assert response.status_code == 422
        assert "is not a brand user who can own cases" in text_of(response)


def test_technician_may_not_hand_off_but_may_write(client_as, make_case):
    case = make_case()
    client = client_as("technician")
    assert "handoff_form" not in client.get(case_url(case)).context
    assert (
        client.post(case_url(case, "handoff"), {"to": "ui_agent", "reason": "x"}).status_code == 403
    )
    assert client.post(case_url(case, "entries"), {"kind": "note", "body": "ok"}).status_code == 302


def test_warehouse_reads_but_cannot_act(client_as, make_case):
    case = make_case()
    client = client_as("warehouse")
    page = client.get(case_url(case))
    assert page.status_code == 200 and not page.context["can_write"]
    assert client.post(case_url(case, "entries"), {"kind": "note", "body": "x"}).status_code == 403
    assert client.post(case_url(case, "status"), {"status": "in_progress"}).status_code == 403


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_change_status(headers, client_as, make_case):
    case = make_case()
    response = client_as("agent").post(
        case_url(case, "status"),
        {"status": "in_progress", "reason": "Diagnosis"},
        headers=headers,
    )
    assert response.status_code == (200 if headers else 302)
    case.refresh_from_db()
    assert case.status == "in_progress"
    if headers:
        body = text_of(response)
        assert "Status changed." in body and "waiting for parts" in body


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_refused_transition_shows_the_message_not_a_500(headers, client_as, make_case):
    case = make_case()
    response = client_as("agent").post(
        case_url(case, "status"), {"status": "closed", "reason": ""}, headers=headers
    )
    assert response.status_code == 409
    body = text_of(response)
    assert "A case that is open cannot become closed." in body
    assert 'role="alert"' in body
    case.refresh_from_db()
    assert case.status == "open"


def test_final_case_offers_no_status_or_handoff(client_as, make_case, ui_users):
    case = make_case()
    case_services.case_change_status(
        number=case.number, actor=ui_users["agent"], status="cancelled"
    )
    context = client_as("agent").get(case_url(case)).context
    assert "status_form" not in context and "handoff_form" not in context


# Partner scoping ---------------------------------------------------------------------------


def test_partner_sees_its_own_case_and_not_anothers(client_as, make_case):
    own = make_case("partner_a", type="installation")
    brand = make_case("agent")
    partner_a, partner_b = client_as("partner_a"), client_as("partner_b")
    page = partner_a.get(case_url(own))
    assert page.status_code == 200
    assert "jan@example.com" not in text_of(page)  # contact details stay with the brand
    assert partner_b.get(case_url(own)).status_code == 404
    assert partner_a.get(case_url(brand)).status_code == 404


def test_partner_actions_on_anothers_case_are_404_and_write_nothing(client_as, make_case):
    own = make_case("partner_a", type="installation")
    before = case_selectors.timeline(own).count()
    client = client_as("partner_b")
    assert client.post(case_url(own, "entries"), {"kind": "note", "body": "x"}).status_code == 404
    assert client.post(case_url(own, "status"), {"status": "cancelled"}).status_code == 404
    assert case_selectors.timeline(own).count() == before


def test_partner_works_on_its_own_case(client_as, make_case):
    own = make_case("partner_a", type="installation")
    client = client_as("partner_a")
    assert (
        client.post(case_url(own, "entries"), {"kind": "note", "body": "On it"}).status_code == 302
    )
    refused = client.post(case_url(own, "status"), {"status": "open"})
    assert refused.status_code == 409
    assert "Hand the case to an owner to open it." in text_of(refused)


# Units and customers -----------------------------------------------------------------------


def test_unit_page(client_as, make_case):
    case = make_case()
    body = text_of(client_as("agent").get("/units/UI-SN-1/"))
    for expected in (
        "UI-SN-1",
        "Washing machine UI-WM",
        "Jan Berg",
        "In warranty until",
        "UI-24",
        case.number,
        "No service contracts.",
    ):
        assert expected in body, expected


def test_unit_page_for_a_partner_hides_the_customer_and_other_cases(client_as, make_case):
    brand = make_case("agent")
    own = make_case("partner_a", type="installation")
    body = text_of(client_as("partner_a").get("/units/UI-SN-1/"))
    assert "Jan Berg" not in body and "jan@example.com" not in body
    assert "In warranty until" in body
    assert own.number in body and brand.number not in body


def test_customer_page(client_as, make_case, ui_world):
    case = make_case()
    body = text_of(client_as("agent").get(f"/customers/{ui_world['customer'].pk}/"))
    for expected in ("Jan Berg", "jan@example.com", "UI-SN-1", "UI-OLD-1", case.number):
        assert expected in body, expected


# Spanish -----------------------------------------------------------------------------------


def test_spanish_from_accept_language(client_as, make_case):
    case = make_case()
    client = client_as("agent")
    dashboard = text_of(client.get("/", headers={"Accept-Language": "es"}))
    assert 'lang="es"' in dashboard
    assert "Casos" in dashboard and "Panel" in dashboard and "Cerrar sesión" in dashboard
    page = text_of(client.get(case_url(case), headers={"Accept-Language": "es"}))
    assert "Cronología" in page and "abierto" in page and "Cambiar estado" in page
    english = text_of(client.get("/", headers={"Accept-Language": "en"}))
    assert "Dashboard" in english


def test_language_switcher_sets_the_language(client_as):
    client = client_as("agent")
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert "Filtrar" in text_of(client.get("/cases/"))


def test_language_menu_after_a_refused_post_returns_to_the_case(client_as, make_case):
    case = make_case()
    response = client_as("agent").post(case_url(case, "status"), {"status": "closed"})
    assert f'name="next" value="{case_url(case)}"' in text_of(response)
