"""A realistic demo data set: catalog, policies, partners, staff, customers, units, contracts
and cases with timelines. Built through the services; idempotent (keyed on codes and serials)."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Mod

from aftersales.accounts.models import User
from aftersales.accounts.services import user_create
from aftersales.cases import services as cases
from aftersales.cases.models import Case
from aftersales.catalog import services as catalog
from aftersales.catalog.models import Product, WarrantyPolicy
from aftersales.core import clock
from aftersales.customers import services as customers
from aftersales.customers.models import Customer, ServiceContract, Unit
from aftersales.network.models import Partner
from aftersales.network.services import partner_create
from aftersales.workorders.rules import VISIT_KINDS

POLICIES = [
    ("STD-24", "Standard 2 years", 24, "sale", [("ES", 36), ("PT", 36)], True, True, False),
    ("PRO-12", "Professional 1 year from installation", 12, "installation", [], True, True, True),
    (
        "PHONE-12",
        "Handset 1 year",
        12,
        "sale",
        [("DE", 24), ("FR", 24), ("ES", 36)],
        True,
        True,
        False,
    ),
]
PRODUCTS = [
    ("WM-800", "Washing machine WM-800", "washing_machine", "STD-24"),
    ("WM-1200", "Washing machine WM-1200 Steam", "washing_machine", "STD-24"),
    ("FR-300", "Fridge-freezer FR-300", "refrigerator", "STD-24"),
    ("DW-45", "Dishwasher DW-45", "dishwasher", "STD-24"),
    ("AC-9K", "Split air-conditioner AC-9K", "air_conditioner", "PRO-12"),
    ("BOIL-24", "Gas boiler BOIL-24", "boiler", "PRO-12"),
    ("TV-55Q", 'Television 55" TV-55Q', "television", "STD-24"),
    ("PH-X2", "Smartphone PH-X2", "phone", "PHONE-12"),
]
PARTNERS = [("ASP-NORTH", "Servicios Técnicos Norte"), ("ASP-SOUTH", "Reparaciones del Sur")]
STAFF = [
    ("manager", "manager", None),
    ("supervisor", "supervisor", None),
    ("agent", "agent", None),
    ("agent_two", "agent", None),
    ("technician", "technician", None),
    ("warehouse", "warehouse", None),
    ("partner_north", "partner", "ASP-NORTH"),
    ("partner_south", "partner", "ASP-SOUTH"),
]
FIRST = [
    "Ana",
    "Jan",
    "Lucía",
    "Marco",
    "Sofía",
    "Pedro",
    "Elena",
    "Tomás",
    "Ines",
    "Hugo",
    "Marta",
    "Pablo",
    "Laura",
    "Diego",
    "Carmen",
    "Olga",
    "Karl",
    "Nina",
    "Omar",
    "Rosa",
]
LAST = [
    "García",
    "Berg",
    "Martínez",
    "Rossi",
    "López",
    "Silva",
    "Fernández",
    "Novak",
    "Ruiz",
    "Moreau",
    "Santos",
    "Weber",
    "Díaz",
    "Costa",
    "Romero",
    "Keller",
]
COUNTRIES = [
    ("ES", "+34 6", "es"),
    ("DE", "+49 170 ", "en"),
    ("FR", "+33 6 ", "en"),
    ("PT", "+351 91", "es"),
    ("GB", "+44 7700 9", "en"),
    ("CN", "+86 138 ", "en"),
]
PROBLEMS = [
    ("repair", "Drum does not spin", "The drum stops after the first rinse and shows E21."),
    ("repair", "Not cooling", "The fridge compartment is warm since yesterday; freezer is fine."),
    ("repair", "No picture, sound only", "The screen stays black but the sound works."),
    (
        "installation",
        "Installation appointment",
        "New unit delivered; needs installing and commissioning.",
    ),
    ("technical_guidance", "How to descale", "Customer asks how to run the descaling programme."),
    (
        "complaint",
        "Technician did not come",
        "The appointment on Tuesday was missed without notice.",
    ),
    ("repair", "Water leak under the door", "Water on the floor after every wash."),
    (
        "training",
        "Staff training request",
        "Hotel wants its housekeeping team trained on the new units.",
    ),
]

CITIES = ["Madrid", "Berlin", "Lyon", "Porto", "Leeds", "Shanghai"]
LOGIN_FILE = "initial_login.txt"


@dataclass(frozen=True)
class Login:
    username: str
    password: str | None
    created: bool

    def describe(self) -> str:
        if self.password:
            return (
                f"Log in at http://127.0.0.1:8000/login/ as {self.username} with password "
                f"{self.password} (demo staff users share it; kept in "
                f"{settings.DATA_DIR / LOGIN_FILE})"
            )
        return f"Log in as {self.username} (the password was set by an operator)."


def ensure_admin_login() -> Login:
    """The first admin, with a generated password kept in the data folder for the operator."""
    login_file = settings.DATA_DIR / LOGIN_FILE
    if User.objects.filter(username="admin").exists():
        password = login_file.read_text().strip() if login_file.exists() else None
        return Login("admin", password, created=False)
    password = secrets.token_urlsafe(9)
    user_create(username="admin", role="admin", password=password, check_password_strength=False)
    login_file.write_text(password + "\n")
    login_file.chmod(0o600)
    return Login("admin", password, created=True)


def database_is_empty() -> bool:
    return not Unit.objects.exists() and not Product.objects.exists()


def _demo_password() -> str:
    login_file = settings.DATA_DIR / LOGIN_FILE
    return login_file.read_text().strip() if login_file.exists() else secrets.token_urlsafe(9)


def _catalog() -> None:
    for code, name, months, starts, overrides, parts, labour, travel in POLICIES:
        if not WarrantyPolicy.objects.filter(code=code).exists():
            catalog.policy_create(
                code=code,
                name=name,
                months=months,
                starts_from=starts,
                covers_parts=parts,
                covers_labour=labour,
                covers_travel=travel,
                country_overrides=[{"country": c, "months": m} for c, m in overrides],
                exclusions="Damage from misuse, lime scale, transport or unauthorised repair.",
            )
    for sku, name, category, policy in PRODUCTS:
        if not Product.objects.filter(sku=sku).exists():
            catalog.product_create(sku=sku, name=name, category=category, warranty_policy=policy)


def _people() -> None:
    for code, name in PARTNERS:
        if not Partner.objects.filter(code=code).exists():
            partner_create(code=code, name=name)
    password = _demo_password()
    for username, role, partner in STAFF:
        if not User.objects.filter(username=username).exists():
            user_create(
                username=username,
                role=role,
                password=password,
                partner_code=partner,
                check_password_strength=False,
            )


def _customer(rng: random.Random, index: int) -> Customer:
    email = f"customer{index:05d}@example.com"
    existing = Customer.objects.filter(email=email).first()
    if existing is not None:
        return existing
    country, prefix, language = rng.choice(COUNTRIES)
    digits = "".join(str(rng.randint(0, 9)) for _ in range(12 - len(prefix.replace(" ", ""))))
    return customers.customer_create(
        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        email=email,
        phone=prefix + digits,
        country=country,
        language=language,
        address=f"Calle {rng.randint(1, 200)}, {rng.choice(CITIES)}",
        tier=rng.choice(["standard"] * 6 + ["premium", "key_account"]),
    )


def load(*, units: int = 300, seed: int = 7, progress: Callable[[int], None] | None = None) -> str:
    rng = random.Random(seed)
    today = clock.today()
    _catalog()
    _people()
    actors = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in STAFF])}
    skus = [p[0] for p in PRODUCTS]
    created_units = created_cases = 0
    for index in range(1, units + 1):
        serial = f"DEMO-{index:06d}"
        # Draw every random number whatever exists, so a re-run follows the same sequence.
        customer_index = rng.randint(1, max(units // 2, 1))
        sku = rng.choice(skus)
        age_days = rng.randint(3, 1500)
        installed_after = rng.choice([None, 0, 2, 10])
        wants_contract = rng.random() < 0.15
        problem = rng.choice(PROBLEMS) if rng.random() < 0.35 else None
        path = rng.random()
        with transaction.atomic():
            customer = _customer(rng, customer_index)
            unit = Unit.objects.filter(serial_number=serial).first()
            if unit is None:
                sold_on = today - timedelta(days=age_days)
                unit = customers.unit_register(
                    serial_number=serial,
                    sku=sku,
                    customer_id=customer.pk,
                    sold_on=sold_on,
                    installed_on=None
                    if installed_after is None
                    else sold_on + timedelta(days=installed_after),
                    dealer=rng.choice(["MediaHogar", "ElectroSur", "Online shop", "Kaufhaus Nord"]),
                )
                created_units += 1
                if wants_contract:
                    number = f"AMC-{index:06d}"
                    if not ServiceContract.objects.filter(number=number).exists():
                        starts = unit.sold_on + timedelta(days=700)
                        customers.contract_create(
                            number=number,
                            customer_id=unit.customer_id,
                            serial_numbers=[serial],
                            starts_on=starts,
                            ends_on=starts + timedelta(days=1094),
                            price=Decimal("149.00"),
                            currency="EUR",
                        )
                if problem is not None and not Case.objects.filter(unit=unit).exists():
                    _demo_case(unit, problem, path, actors)
                    created_cases += 1
        if progress is not None and index % 10 == 0:
            progress(index)
    _network()
    made = _workorders(actors)
    claimed = _claims()
    if progress is not None:
        progress(units)
    return (
        f"demo: {created_units} new units, {created_cases} new cases, {made} new work orders, "
        f"{claimed} new warranty claims"
    )


def _demo_case(
    unit: Unit, problem: tuple[str, str, str], path: float, actors: dict[str, User]
) -> None:
    kind, summary, description = problem
    opener = actors["partner_north"] if path < 0.1 else actors["agent"]
    case, _reused = cases.case_open(
        actor=opener,
        type=kind,
        channel="partner" if opener.is_partner else "phone",
        serial_number=unit.serial_number,
        summary=summary,
        description=description,
        priority="high" if path > 0.9 else "normal",
    )
    number = case.number
    if opener.is_partner:
        cases.case_handoff(
            number=number,
            actor=actors["supervisor"],
            to_username="agent",
            reason="Taken from the partner queue",
        )
    if path < 0.25:
        return
    agent = actors["agent"]
    cases.case_add_entry(
        number=number,
        actor=agent,
        kind="call",
        body="Called the customer; confirmed the symptoms and the address.",
    )
    cases.case_change_status(
        number=number, actor=agent, status="in_progress", reason="Diagnosis started"
    )
    if path < 0.45:
        cases.case_add_entry(
            number=number,
            actor=agent,
            kind="message",
            body="We are looking into it and will call you with an appointment.",
        )
        return
    if path < 0.6:
        cases.case_change_status(
            number=number, actor=agent, status="waiting_parts", reason="Spare part ordered"
        )
        return
    if path < 0.7:
        cases.case_handoff(
            number=number, actor=agent, to_username="agent_two", reason="Shift change"
        )
        return
    cases.case_change_status(
        number=number, actor=agent, status="resolved", reason="Repaired on site"
    )
    cases.case_add_entry(
        number=number,
        actor=agent,
        kind="message",
        body="Your appliance has been repaired. Thank you for your patience.",
    )
    if path > 0.85:
        cases.case_change_status(
            number=number, actor=agent, status="closed", reason="Customer confirmed"
        )


# --- the service network and a week of work orders (issue 4) ---------------------------------

CENTRES = [
    # code, name, region, parent, address, product lines
    ("MAD", "Madrid Service Centre", "madrid", None, "Calle de Alcalá 210, 28028 Madrid", []),
    (
        "MAD-N",
        "Madrid Norte (branch)",
        "madrid-norte",
        "MAD",
        "Avenida de Burgos 12, 28036 Madrid",
        ["washing_machine", "dishwasher", "refrigerator"],
    ),
    ("VLC", "Valencia Service Centre", "valencia", None, "Carrer de Colón 45, 46004 València", []),
]
DEMO_TIME_ZONE = "Europe/Madrid"
REGIONS = ["madrid", "madrid-norte", "valencia"]
PARTNER_NETWORK = {
    "ASP-NORTH": (["madrid-norte", "valencia"], ["washing_machine", "dishwasher"], "32"),
    "ASP-SOUTH": (["valencia", "madrid"], [], "28"),
}
# username, based at
TECHNICIANS = [
    ("technician", "MAD"),
    ("tech_ana", "MAD"),
    ("tech_luis", "MAD"),
    ("tech_marta", "MAD-N"),
    ("tech_jorge", "VLC"),
    ("tech_pilar", "VLC"),
]
LOCATIONS = [
    ("MAD-WH", "Madrid warehouse", "warehouse", "MAD", None),
    ("MAD-VAN1", "Madrid van 1 (tech_ana)", "van", "MAD", None),
    ("MADN-SHELF", "Madrid Norte shelf", "shelf", "MAD-N", None),
    ("VLC-WH", "Valencia warehouse", "warehouse", "VLC", None),
    ("ASPN-WH", "Técnicos Norte stock", "warehouse", None, "ASP-NORTH"),
    ("ASPS-WH", "Reparaciones del Sur stock", "warehouse", None, "ASP-SOUTH"),
]
PARTS = [
    ("DP-100", "Drain pump", "42.50"),
    ("BELT-1200", "Drive belt", "18.90"),
    ("DOOR-LOCK", "Door lock", "24.00"),
    ("THERM-FR", "Fridge thermostat", "27.00"),
    ("GASKET-DW", "Dishwasher door gasket", "22.40"),
    ("PCB-TV55", "TV main board", "189.00"),
    ("FAN-AC", "Indoor fan motor", "64.00"),
    ("IGN-BOIL", "Boiler ignition electrode", "15.60"),
    ("SCR-PHX2", "PH-X2 screen", "119.00"),
]
LABOUR = {"REP": {"hourly": "48"}, "INST": {"flat": "60"}, "DIAG": {"flat": "35"}}
FAULT_CODES = {
    "washing_machine": [
        ("E21", "Drain pump blocked"),
        ("E10", "Water inlet"),
        ("E40", "Door lock"),
    ],
    "refrigerator": [("F1", "Temperature sensor"), ("F3", "Not cooling")],
    "dishwasher": [("E15", "Leak in the base"), ("E24", "Drain blocked")],
    "television": [("NP", "No picture"), ("NS", "No sound")],
    "air_conditioner": [("E1", "Room sensor"), ("P4", "Compressor protection")],
    "boiler": [("F28", "No ignition"), ("F22", "Low water pressure")],
    "phone": [("SCR", "Broken screen"), ("BAT", "Battery drains")],
}
PART_FOR = {
    "washing_machine": "DP-100",
    "refrigerator": "THERM-FR",
    "dishwasher": "GASKET-DW",
    "television": "PCB-TV55",
    "air_conditioner": "FAN-AC",
    "boiler": "IGN-BOIL",
    "phone": "SCR-PHX2",
}
# The week's jobs: (target status, kind, where: centre code or partner code). Every status and
# every kind appears; "invoiced" is paid work quoted, done, invoiced, paid and closed.
WORK_PLAN = [
    ("draft", "on_site", "MAD"),
    ("draft", "workshop", "VLC"),
    ("draft", "remote", "MAD"),
    ("scheduled", "on_site", "MAD"),
    ("scheduled", "installation", "VLC"),
    ("scheduled", "preventive", "MAD"),
    ("dispatched", "on_site", "MAD"),
    ("dispatched", "on_site", "MAD"),
    ("dispatched", "installation", "MAD"),
    ("dispatched", "on_site", "VLC"),
    ("dispatched", "on_site", "ASP-SOUTH"),
    ("dispatched", "preventive", "VLC"),
    ("in_progress", "on_site", "MAD"),
    ("in_progress", "workshop", "MAD"),
    ("in_progress", "remote", "VLC"),
    ("in_progress", "on_site", "ASP-NORTH"),
    ("waiting_parts", "on_site", "MAD"),
    ("waiting_parts", "workshop", "VLC"),
    ("waiting_parts", "on_site", "MAD"),
    ("waiting_approval", "workshop", "MAD"),
    ("completed", "on_site", "MAD"),
    ("completed", "workshop", "MAD"),
    ("completed", "installation", "VLC"),
    ("completed", "on_site", "ASP-SOUTH"),
    ("completed", "remote", "MAD"),
    ("verified", "on_site", "MAD"),
    ("verified", "workshop", "MAD"),
    ("verified", "workshop", "VLC"),
    ("verified", "preventive", "MAD"),
    ("closed", "on_site", "MAD"),
    ("closed", "on_site", "VLC"),
    ("closed", "workshop", "MAD"),
    ("closed", "installation", "MAD"),
    ("closed", "remote", "VLC"),
    ("closed", "on_site", "ASP-NORTH"),
    ("invoiced", "workshop", "MAD"),
    ("cancelled", "on_site", "MAD"),
    ("cancelled", "workshop", "VLC"),
    ("cancelled", "installation", "MAD"),
    ("qc_failed", "on_site", "MAD"),
]
PARTNER_USERS = {"ASP-NORTH": "partner_north", "ASP-SOUTH": "partner_south"}


def _network() -> None:
    """Centres (one with a branch), where staff are based, partners' territory, stock
    locations, parts, rate cards and fault codes. Each piece is created once."""
    from aftersales.billing.models import RateCard
    from aftersales.billing.services import rate_card_create
    from aftersales.catalog.models import Part
    from aftersales.inventory.models import StockLocation
    from aftersales.inventory.services import stock_location_create
    from aftersales.network.models import ServiceCentre
    from aftersales.network.services import (
        partner_update,
        service_centre_create,
        staff_assign_centre,
    )
    from aftersales.workorders.models import FaultCode
    from aftersales.workorders.services import fault_code_create

    for code, name, region, parent, address, lines in CENTRES:
        if not ServiceCentre.objects.filter(code=code).exists():
            service_centre_create(
                code=code,
                name=name,
                region=region,
                parent_code=parent,
                address=address,
                country="ES",
                time_zone=DEMO_TIME_ZONE,
                product_lines=lines,
            )
    password = _demo_password()
    for username, centre in TECHNICIANS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user, _password = user_create(
                username=username,
                role="technician",
                password=password,
                check_password_strength=False,
            )
        if user.service_centre_id is None:
            staff_assign_centre(username=username, centre_code=centre)
    for username, centre in (("supervisor", "MAD"), ("warehouse", "MAD")):
        user = User.objects.filter(username=username).first()
        if user is not None and user.service_centre_id is None:
            staff_assign_centre(username=username, centre_code=centre)
    for code, (regions, lines, rate) in PARTNER_NETWORK.items():
        partner = Partner.objects.filter(code=code).first()
        if partner is not None and not partner.regions:
            partner_update(
                code=code,
                regions=regions,
                product_lines=lines,
                labour_rate=rate,
                time_zone=DEMO_TIME_ZONE,
            )
    for code, name, kind, centre, partner in LOCATIONS:
        if not StockLocation.objects.filter(code=code).exists():
            stock_location_create(
                code=code,
                name=name,
                kind=kind,
                centre_code=centre,
                partner_code=partner,
                # A van is driven by a technician: the demo's first one after "technician".
                technician_username=TECHNICIANS[1][0] if kind == "van" else None,
            )
    categories = {number: category for category, number in PART_FOR.items()}
    for number, name, price in PARTS:
        if not Part.objects.filter(number=number).exists():
            # The catalog has no part service yet: parts are configuration data.
            part = Part.objects.create(number=number, name=name, list_price=Decimal(price))
            category = categories.get(number) or "washing_machine"
            part.fits.add(*Product.objects.filter(category=category))
    if not RateCard.objects.filter(centre__isnull=True, partner__isnull=True).exists():
        rate_card_create(
            name="Brand default rates",
            hourly_rate="45",
            travel_per_visit="20",
            travel_per_km="0.35",
            tax_rate="21",
            labour=LABOUR,
        )
    for centre, hourly in (("MAD", "48"), ("VLC", "44")):
        if not RateCard.objects.filter(centre__code=centre).exists():
            rate_card_create(
                name=f"{centre} rates",
                centre_code=centre,
                hourly_rate=hourly,
                travel_per_visit="25",
                travel_per_km="0.40",
                tax_rate="21",
                labour=LABOUR,
            )
    for category, codes in FAULT_CODES.items():
        for code, description in codes:
            if not FaultCode.objects.filter(product_category=category, code=code).exists():
                fault_code_create(product_category=category, code=code, description=description)
    # Customers' service regions. No customer service sets a region yet: seed data only.
    for index, region in enumerate(REGIONS):
        Customer.objects.filter(region="").annotate(slot=Mod("id", len(REGIONS))).filter(
            slot=index
        ).update(region=region)


def _workorders(actors: dict[str, User]) -> int:
    """About forty work orders across this week in every status and kind, made through the
    services so that every timeline is real. Runs once: any existing work order stops it."""
    from zoneinfo import ZoneInfo

    from aftersales.workorders.models import WorkOrder

    if WorkOrder.objects.exists():
        return 0
    units = list(
        Unit.objects.filter(serial_number__startswith="DEMO-")
        .select_related("product", "customer")
        .order_by("serial_number")[: len(WORK_PLAN)]
    )
    if not units:
        return 0
    staff = {u.username: u for u in User.objects.filter(username__in=[t[0] for t in TECHNICIANS])}
    people = {**actors, **staff}
    zone = ZoneInfo(DEMO_TIME_ZONE)
    today = clock.today()
    monday = today - timedelta(days=today.weekday())
    by_centre = {"MAD": [], "VLC": []}
    for username, centre in TECHNICIANS:
        by_centre["VLC" if centre == "VLC" else "MAD"].append(username)
    made = 0
    for index, ((target, kind, where), unit) in enumerate(zip(WORK_PLAN, units, strict=False)):
        day = monday + timedelta(days=index % 6)
        hour = 8 + (index * 3) % 10
        start = datetime.combine(day, time(hour, 0), tzinfo=zone)
        pool = by_centre.get(where, [])
        technician = pool[index % len(pool)] if pool else None
        with transaction.atomic():
            _demo_job(
                people,
                unit,
                target=target,
                kind=kind,
                where=where,
                technician=technician,
                start=start,
            )
        made += 1
    return made


# Standard minutes per labour code, the same for every product line of the demo.
LABOUR_STANDARDS = {"REP": 60, "DIAG": 30, "INST": 90}
SYNTHETIC_CLAIMS = 2000


def _claims() -> int:
    """Labour standards, the demo partners' warranty claims for their finished jobs (through
    the services, so validated, scored and on the timeline), and a synthetic network of
    partners with 2,000 scored claims, 5 % of them abusive, so that the review queue,
    scorecards and audit samples have something to show. Runs once."""
    from aftersales.claims import scoring, synthetic
    from aftersales.claims import selectors as claim_selectors
    from aftersales.claims import services as claim_services
    from aftersales.claims.models import Claim
    from aftersales.workorders.models import WorkOrder

    if Claim.objects.exists():
        return 0
    manager = User.objects.get(username="manager")
    for category in FAULT_CODES:
        for code, minutes in LABOUR_STANDARDS.items():
            claim_services.labour_standard_set(
                actor=manager, product_line=category, labour_code=code, minutes=minutes
            )
    done = WorkOrder.objects.filter(
        partner__code__in=PARTNER_USERS, status__in=["completed", "verified", "closed"]
    ).select_related("partner")
    for order in done.order_by("pk"):
        partner_user = User.objects.get(username=PARTNER_USERS[order.partner.code])
        draft, lines = claim_selectors.claim_draft_from_work_order(partner_user, order.number)
        if not lines:
            continue
        claim_services.claim_submit(
            actor=partner_user,
            work_order_number=order.number,
            serial_number=draft.get("serial_number"),
            repair_date=draft.get("repair_date"),
            fault_code=draft.get("fault_code", ""),
            invoice_number=f"{order.partner.code}-{order.pk:05d}",
            lines=lines,
        )
    world = synthetic.generate(claims=SYNTHETIC_CLAIMS, fraud_rate=0.05, seed=7)
    synthetic.load(world)
    scoring.rescore_all()
    claim_services.claims_recheck_unpaid()
    return Claim.objects.count()


def _demo_job(
    people: dict[str, User],
    unit: Unit,
    *,
    target: str,
    kind: str,
    where: str,
    technician: str | None,
    start: datetime,
) -> None:
    from aftersales.billing import services as billing
    from aftersales.workorders import services as wo

    partner = where if where.startswith("ASP-") else None
    planner = people["supervisor"] if where == "MAD" else people["manager"]
    worker = people[PARTNER_USERS[partner]] if partner else people[technician]
    category = unit.product.category
    wants_paid = target in ("invoiced", "waiting_approval")
    case, _reused = cases.case_open(
        actor=people["agent"],
        type="installation" if kind == "installation" else "repair",
        channel="phone",
        serial_number=unit.serial_number,
        summary={
            "installation": "Installation and commissioning",
            "preventive": "Yearly maintenance visit",
            "remote": "Guided diagnosis by phone",
        }.get(kind, "Repair: " + category.replace("_", " ")),
    )
    order = wo.work_order_create(
        actor=planner,
        case_number=case.number,
        kind=kind,
        centre_code=None if partner else where,
        partner_code=partner,
        category="A" if wants_paid else None,
        category_reason="Out of warranty: the customer pays" if wants_paid else "",
        instructions="Call 30 minutes before arriving." if kind in VISIT_KINDS else "",
    )
    number = order.number
    # Paid work (chosen, or because the unit is out of warranty) is quoted before it is done
    # and invoiced before it is archived.
    paid = order.category == "A"
    if target == "draft":
        return
    wo.work_order_schedule(
        actor=planner, number=number, window_start=start, window_end=start + timedelta(hours=2)
    )
    if target == "cancelled":
        wo.work_order_cancel(actor=planner, number=number, reason="The customer cancelled")
        return
    if target == "scheduled":
        return
    wo.work_order_assign(
        actor=planner,
        number=number,
        technician_username=None if partner else technician,
        partner_code=partner,
    )
    if target == "dispatched":
        return
    workshop = kind == "workshop"
    keeper = people["warehouse"] if where == "MAD" else planner
    if workshop:
        wo.custody_record(
            actor=worker,
            number=number,
            event=wo.CustodyInput(
                kind="picked_up",
                place="Customer's home",
                accessories="Power cord" if category != "phone" else "Charger, case",
                condition="Light scratches on the side",
            ),
        )
        wo.custody_record(
            actor=keeper,
            number=number,
            event=wo.CustodyInput(kind="received", place="Workshop shelf B"),
        )
    wo.work_order_start(actor=worker, number=number)
    fault = FAULT_CODES.get(category, [("", "")])[0][0]
    part = PART_FOR.get(category, "DP-100")
    arrived = clock.now()
    if target == "in_progress":
        if kind != "remote":
            wo.work_order_record_visit(
                actor=worker,
                number=number,
                visit=wo.VisitInput(arrived_at=arrived, fault_code=fault, notes="Diagnosis"),
            )
        return
    if target == "waiting_parts":
        wo.work_order_record_visit(
            actor=worker,
            number=number,
            visit=wo.VisitInput(
                arrived_at=arrived,
                departed_at=arrived + timedelta(minutes=40),
                distance_km=Decimal("14.5"),
                fault_code=fault,
                cause="Worn part",
                result="needs_parts",
            ),
        )
        return
    if paid:
        wo.work_order_add_labour(
            actor=worker, number=number, minutes=60, labour_code="REP", planned=True
        )
        wo.work_order_add_part(
            actor=worker, number=number, part_number=part, quantity=1, planned=True
        )
        _quote, secret = wo.quote_issue(actor=worker, number=number)
        if target == "waiting_approval":
            return
        wo.quote_answer(accept=True, secret=secret)
    wo.work_order_record_visit(
        actor=worker,
        number=number,
        visit=wo.VisitInput(
            arrived_at=arrived,
            departed_at=arrived + timedelta(minutes=55),
            distance_km=None if kind == "remote" or workshop else Decimal("9.0"),
            fault_code=fault,
            cause="Worn part" if kind != "installation" else "",
            action_taken="Replaced the part and tested"
            if kind != "installation"
            else "Installed and commissioned",
            result="fixed",
        ),
    )
    wo.work_order_add_labour(
        actor=worker,
        number=number,
        minutes=50 if kind != "installation" else 90,
        labour_code="INST" if kind == "installation" else "REP",
    )
    if kind not in ("remote", "installation", "preventive"):
        wo.work_order_add_part(actor=worker, number=number, part_number=part, quantity=1)
    wo.work_order_complete(
        actor=worker,
        number=number,
        acceptance=wo.Acceptance(name=unit.customer.name, typed=True)
        if kind in VISIT_KINDS
        else None,
        tests_performed="Full cycle run; no error codes.",
    )
    if target == "completed":
        return
    if target == "qc_failed":
        wo.work_order_verify(
            actor=planner, number=number, passed=False, notes="Photo of the fitted part missing"
        )
        return
    wo.work_order_verify(actor=planner, number=number, passed=True)
    if target == "verified":
        return
    invoice = None
    if paid:
        invoice = billing.invoice_issue(actor=people["agent"], number=number)
    if workshop:
        wo.custody_record(
            actor=people["agent"],
            number=number,
            event=wo.CustodyInput(
                kind="returned", place="Front desk", signed_by=unit.customer.name
            ),
        )
    if invoice is not None:
        billing.payment_record(
            actor=people["agent"], number=number, amount=invoice.total, method="card"
        )
    wo.work_order_close(actor=planner, number=number)
