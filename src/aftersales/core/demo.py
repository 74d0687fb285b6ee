"""A realistic demo data set: catalog, policies, partners, staff, customers, units, contracts
and cases with timelines. Built through the services; idempotent (keyed on codes and serials)."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction

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
    if progress is not None:
        progress(units)
    return f"demo: {created_units} new units, {created_cases} new cases"


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
