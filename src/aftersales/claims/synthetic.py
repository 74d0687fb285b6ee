"""A synthetic warranty-claims world with known abuse, for measuring the risk scoring honestly.

`generate()` builds, from a seed alone, a service network (regions, product lines with their
products, parts and standard times, partners serving some regions and lines), the install
base (customers and the units they bought over the last three years) and a year of claims:
mostly legitimate, with a requested share of abuse filed by a minority of dishonest partners.
Every claim carries its label (the abuse pattern, or None). `load()` writes the world into
the database fast and returns {claim pk: label}.

The patterns (PATTERNS), each with the property that defines it:

- phantom_repair: a repair that never happened. The serial was never sold (half of them; no
  unit) or was sold in another region than the one the partner repaired it in (the other
  half): `unit is None or sold_region != region`. Fake customers often share the partner's
  own phone or address.
- inflated_labour: minutes claimed 2–4 times the standard for the labour code
  (`labour_minutes >= 2 * standard_minutes`), half of them with a plausible explanation;
  some with a made-up round total.
- parts_harvesting: many parts on one claim (`parts_count >= 4`, mostly parts whose
  defective must come back) and the defectives kept (`defectives_missing >= 2`).
- duplicate_claim: the same serial and fault code claimed again within the duplicate window
  (3–85 days after the original, `duplicate_of` names it): by the same partner, half of those
  with the same invoice number, or by another partner serving the same region and line.
- false_doa_wave: one partner suddenly files many dead-on-arrival claims within a 5–9 week
  wave (`doa`, unit sold at most 15 days before), three in four found without fault
  (`no_fault_found`).
- near_expiry_cluster: a partner's repairs bunched in the last five weeks of coverage
  (`0 <= coverage_ends_on - repair_date <= 35` days).

Realism, so that the patterns are not trivially separable: dishonest partners file mostly
honest claims; honest partners have their own biases (labour a little above standard, more
DOA, fewer defectives back); honest claims sometimes run long with an explanation, carry
4–5 parts, come from customers who moved region, or are repeat repairs of the same unit;
genuine customers rush in before expiry; every amount is built from rates, prices and
distances, so totals are rarely round.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

import numpy as np

from aftersales.claims.rules import address_key, normalise_phone
from aftersales.core import clock

PATTERNS = (
    "phantom_repair",
    "inflated_labour",
    "parts_harvesting",
    "duplicate_claim",
    "false_doa_wave",
    "near_expiry_cluster",
)

WARRANTY_MONTHS = 24
POLICY_CODE = "SYN-24"
DOA_DAYS = 15
DUPLICATE_DAYS = 90  # settings.CLAIM_DUPLICATE_DAYS by default
SUBMISSION_DAYS = 30  # settings.CLAIM_SUBMISSION_DAYS by default
NEAR_EXPIRY_DAYS = 35
CURRENCY = "EUR"

# --- the network's fixed parts: regions and the catalogue ------------------------------------

# name, country, city, postcode prefix
REGIONS = (
    ("andalucia", "ES", "Sevilla", "41"),
    ("cataluna", "ES", "Barcelona", "08"),
    ("galicia", "ES", "A Coruña", "15"),
    ("aragon", "ES", "Zaragoza", "50"),
    ("castilla-leon", "ES", "Valladolid", "47"),
    ("pais-vasco", "ES", "Bilbao", "48"),
    ("murcia", "ES", "Murcia", "30"),
    ("asturias", "ES", "Oviedo", "33"),
    ("navarra", "ES", "Pamplona", "31"),
    ("baleares", "ES", "Palma", "07"),
    ("canarias", "ES", "Las Palmas", "35"),
    ("extremadura", "ES", "Badajoz", "06"),
)

# Per product line: products (sku, name, price €), labour codes (code, minutes, description),
# parts (number, name, price €, defective must come back, fits: skus or () for all), faults
# (code, description, labour code, primary parts, secondary parts, weight), whether repairs are
# on site (travel) or in the workshop.
CATALOGUE: dict[str, dict] = {
    "washing_machine": {
        "on_site": 0.85,
        "products": (
            ("SYN-WM-700", "Washing machine WM-700", "429.00"),
            ("SYN-WM-900", "Washing machine WM-900 Steam", "619.00"),
            ("SYN-WD-850", "Washer-dryer WD-850", "749.00"),
        ),
        "labour": (
            ("WM-DIAG", 30, "Diagnosis"),
            ("WM-PUMP", 45, "Replace drain pump"),
            ("WM-BELT", 40, "Replace drive belt"),
            ("WM-LOCK", 35, "Replace door lock"),
            ("WM-BRG", 150, "Replace drum bearings"),
            ("WM-PCB", 55, "Replace control board"),
            ("WM-HEAT", 50, "Replace heating element"),
            ("WM-MOTOR", 90, "Replace motor"),
        ),
        "parts": (
            ("SYN-WM-PUMP", "Drain pump", "42.37", True, ()),
            ("SYN-WM-BELT", "Drive belt", "18.64", False, ()),
            ("SYN-WM-LOCK", "Door lock", "24.15", True, ()),
            ("SYN-WM-BRG", "Drum bearing kit", "67.80", True, ()),
            ("SYN-WM-SEAL", "Drum seal", "12.95", False, ()),
            ("SYN-WM-PCB7", "Control board WM-700", "146.30", True, ("SYN-WM-700",)),
            ("SYN-WM-PCB9", "Control board WM-900", "171.45", True, ("SYN-WM-900", "SYN-WD-850")),
            ("SYN-WM-HEAT", "Heating element", "38.90", True, ()),
            ("SYN-WM-MOTOR", "Drive motor", "189.60", True, ()),
            ("SYN-WM-HOSE", "Drain hose", "9.85", False, ()),
            ("SYN-WM-BRUSH", "Carbon brushes", "14.20", False, ()),
        ),
        "faults": (
            ("E21", "Drain pump blocked", "WM-PUMP", ("SYN-WM-PUMP",), ("SYN-WM-HOSE",), 22),
            ("E40", "Door lock", "WM-LOCK", ("SYN-WM-LOCK",), (), 14),
            ("E10", "Water inlet", "WM-DIAG", (), ("SYN-WM-HOSE",), 10),
            ("E51", "Drum does not turn", "WM-BELT", ("SYN-WM-BELT",), ("SYN-WM-BRUSH",), 12),
            ("N01", "Noisy spin", "WM-BRG", ("SYN-WM-BRG",), ("SYN-WM-SEAL",), 9),
            ("E30", "Control fault", "WM-PCB", ("SYN-WM-PCB7", "SYN-WM-PCB9"), (), 11),
            ("E05", "Does not heat", "WM-HEAT", ("SYN-WM-HEAT",), (), 12),
            ("E60", "Motor fault", "WM-MOTOR", ("SYN-WM-MOTOR",), ("SYN-WM-BRUSH",), 10),
        ),
    },
    "refrigerator": {
        "on_site": 0.95,
        "products": (
            ("SYN-FR-300", "Fridge-freezer FR-300", "539.00"),
            ("SYN-FR-500", "American fridge FR-500", "1149.00"),
            ("SYN-FZ-200", "Chest freezer FZ-200", "349.00"),
        ),
        "labour": (
            ("RF-DIAG", 30, "Diagnosis"),
            ("RF-THERM", 40, "Replace thermostat"),
            ("RF-FAN", 45, "Replace evaporator fan"),
            ("RF-SEAL", 35, "Replace door gasket"),
            ("RF-COMP", 180, "Replace compressor and recharge"),
            ("RF-PCB", 50, "Replace control board"),
            ("RF-DEFR", 60, "Replace defrost heater"),
        ),
        "parts": (
            ("SYN-RF-THERM", "Thermostat", "27.35", True, ()),
            ("SYN-RF-FAN", "Evaporator fan", "48.90", True, ()),
            ("SYN-RF-GASKET", "Door gasket", "36.70", False, ()),
            ("SYN-RF-COMP", "Compressor", "214.80", True, ()),
            ("SYN-RF-PCB", "Control board", "132.60", True, ("SYN-FR-300", "SYN-FR-500")),
            ("SYN-RF-DEFR", "Defrost heater", "31.45", True, ()),
            ("SYN-RF-GAS", "Refrigerant R600a charge", "22.90", False, ()),
            ("SYN-RF-SENSOR", "Temperature sensor", "11.75", False, ()),
        ),
        "faults": (
            ("F1", "Temperature sensor", "RF-DIAG", ("SYN-RF-SENSOR",), (), 14),
            ("F3", "Not cooling", "RF-THERM", ("SYN-RF-THERM",), ("SYN-RF-SENSOR",), 18),
            ("F4", "Fan noise", "RF-FAN", ("SYN-RF-FAN",), (), 12),
            ("F5", "Door not sealing", "RF-SEAL", ("SYN-RF-GASKET",), (), 10),
            ("F7", "Compressor", "RF-COMP", ("SYN-RF-COMP",), ("SYN-RF-GAS",), 8),
            ("F8", "Control fault", "RF-PCB", ("SYN-RF-PCB",), (), 9),
            ("F9", "Ice build-up", "RF-DEFR", ("SYN-RF-DEFR",), ("SYN-RF-SENSOR",), 11),
        ),
    },
    "dishwasher": {
        "on_site": 0.9,
        "products": (
            ("SYN-DW-45", "Dishwasher DW-45 Slim", "399.00"),
            ("SYN-DW-60", "Dishwasher DW-60", "529.00"),
            ("SYN-DW-60X", "Dishwasher DW-60X Integrated", "689.00"),
        ),
        "labour": (
            ("DW-DIAG", 30, "Diagnosis"),
            ("DW-PUMP", 45, "Replace drain pump"),
            ("DW-CIRC", 70, "Replace circulation pump"),
            ("DW-HEAT", 50, "Replace heater"),
            ("DW-GASKET", 30, "Replace door gasket"),
            ("DW-PCB", 55, "Replace control board"),
            ("DW-AQUA", 40, "Replace aquastop valve"),
        ),
        "parts": (
            ("SYN-DW-DRAIN", "Drain pump", "39.80", True, ()),
            ("SYN-DW-CIRC", "Circulation pump", "94.25", True, ()),
            ("SYN-DW-HEAT", "Heater", "58.40", True, ()),
            ("SYN-DW-GASKET", "Door gasket", "22.40", False, ()),
            ("SYN-DW-PCB", "Control board", "128.90", True, ()),
            ("SYN-DW-AQUA", "Aquastop valve", "44.15", True, ()),
            ("SYN-DW-FLOAT", "Float switch", "8.65", False, ()),
            ("SYN-DW-ARM", "Spray arm", "16.30", False, ()),
        ),
        "faults": (
            ("E24", "Drain blocked", "DW-PUMP", ("SYN-DW-DRAIN",), ("SYN-DW-FLOAT",), 20),
            ("E15", "Leak in the base", "DW-AQUA", ("SYN-DW-AQUA",), ("SYN-DW-FLOAT",), 15),
            ("E09", "Does not heat", "DW-HEAT", ("SYN-DW-HEAT",), (), 14),
            ("E25", "Poor washing", "DW-CIRC", ("SYN-DW-CIRC",), ("SYN-DW-ARM",), 12),
            ("E11", "Door leaks", "DW-GASKET", ("SYN-DW-GASKET",), (), 9),
            ("E01", "Control fault", "DW-PCB", ("SYN-DW-PCB",), (), 10),
        ),
    },
    "television": {
        "on_site": 0.35,
        "products": (
            ("SYN-TV-43U", 'Television 43" TV-43U', "379.00"),
            ("SYN-TV-55Q", 'Television 55" TV-55Q', "649.00"),
            ("SYN-TV-65Q", 'Television 65" TV-65Q', "989.00"),
        ),
        "labour": (
            ("TV-DIAG", 30, "Diagnosis"),
            ("TV-MAIN", 60, "Replace main board"),
            ("TV-PSU", 50, "Replace power supply"),
            ("TV-BL", 120, "Replace backlight strips"),
            ("TV-TCON", 45, "Replace T-con board"),
            ("TV-PANEL", 90, "Replace panel"),
        ),
        "parts": (
            ("SYN-TV-MAIN43", "Main board 43U", "118.40", True, ("SYN-TV-43U",)),
            ("SYN-TV-MAIN55", "Main board Q", "176.90", True, ("SYN-TV-55Q", "SYN-TV-65Q")),
            ("SYN-TV-PSU", "Power supply board", "68.90", True, ()),
            ("SYN-TV-BL43", "Backlight kit 43", "54.30", True, ("SYN-TV-43U",)),
            ("SYN-TV-BL55", "Backlight kit Q", "79.60", True, ("SYN-TV-55Q", "SYN-TV-65Q")),
            ("SYN-TV-TCON", "T-con board", "47.25", True, ()),
            ("SYN-TV-PANEL", "Panel 55", "389.00", True, ("SYN-TV-55Q",)),
            ("SYN-TV-IR", "IR receiver", "9.40", False, ()),
            ("SYN-TV-REMOTE", "Remote control", "14.90", False, ()),
        ),
        "faults": (
            ("NP", "No picture", "TV-MAIN", ("SYN-TV-MAIN43", "SYN-TV-MAIN55"), (), 16),
            ("NPW", "No power", "TV-PSU", ("SYN-TV-PSU",), (), 18),
            ("DK", "Dark picture", "TV-BL", ("SYN-TV-BL43", "SYN-TV-BL55"), (), 16),
            ("LN", "Lines on screen", "TV-TCON", ("SYN-TV-TCON",), (), 10),
            ("CR", "Cracked panel", "TV-PANEL", ("SYN-TV-PANEL",), (), 4),
            ("NR", "Does not react to remote", "TV-DIAG", ("SYN-TV-IR",), ("SYN-TV-REMOTE",), 8),
        ),
    },
}

LONG_JOB_EXPLANATIONS = (
    "Seized screws on the rear panel; had to be drilled out.",
    "Unit built into the kitchen units; removed and refitted.",
    "Second fault found after the first repair; tested again.",
    "Corroded connectors; cleaned and re-crimped the harness.",
    "Access only through the top; worktop had to be lifted.",
    "Intermittent fault; ran two full test cycles to confirm.",
    "Customer's installation not to standard; corrected the drain.",
)

FIRST = (
    "Ana", "Jan", "Lucía", "Marco", "Sofía", "Pedro", "Elena", "Tomás", "Inés", "Hugo", "Marta",
    "Pablo", "Laura", "Diego", "Carmen", "Olga", "Javier", "Nuria", "Raúl", "Rosa", "Iker",
    "Aitana", "Sergio", "Paula", "Andrés", "Irene", "Álvaro", "Noelia", "Rubén", "Sara",
)  # fmt: skip
LAST = (
    "García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz",
    "Hernández", "Díaz", "Moreno", "Álvarez", "Muñoz", "Romero", "Alonso", "Gutiérrez",
    "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serrano", "Blanco", "Molina",
    "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Iglesias", "Medina", "Garrido", "Cortés",
)  # fmt: skip
STREETS = (
    "Mayor", "Real", "del Sol", "de la Paz", "Nueva", "de Cervantes", "del Carmen", "San Juan",
    "de Goya", "Santa Ana", "del Río", "de la Iglesia", "del Mar", "Ancha", "de Colón",
    "San Pedro", "de Velázquez", "de la Estación", "del Prado", "de Toledo", "San Antonio",
    "de las Flores", "de Castilla", "del Pilar", "de Alcalá", "de la Luna", "San Miguel",
    "del Olmo", "de los Reyes", "de Murillo", "San Sebastián", "del Puerto", "de la Fuente",
    "de Zurbarán", "de Valencia", "de Sevilla", "del Castillo", "de Lepanto", "del Cid",
    "de la Constitución", "de Quevedo", "de Machado", "de Lorca", "San Francisco",
    "de la Libertad", "del Parque", "de Picasso", "de la Reina", "del Mercado", "de Aragón",
    "de Galicia", "del Rosario", "de los Olivos", "San Isidro", "de la Vega", "del Sur",
    "del Norte", "de Unamuno", "de Sorolla", "de la Merced",
)  # fmt: skip
PARTNER_KINDS = (
    "Servicio Técnico", "Reparaciones", "Electro", "Técnicos", "Asistencia", "Frío y Hogar",
    "Electrodomésticos", "Servicios",
)  # fmt: skip

# Serial and phone numbers are affine permutations of indices, so they look random, never
# repeat, and a serial made from an index past the last unit was never sold.
_SERIAL_MOD = 100_000_000
_SERIAL_MUL = 48_271
_PHONE_MUL = 7_919
_ADDRESS_MOD = len(STREETS) * 300 * 12 * 6
_ADDRESS_MUL = 1_000_003
# Days from sale to a dead-on-arrival report (0..DOA_DAYS).
_HONEST_DOA_AGE = (2, 8, 9, 9, 8, 8, 7, 6, 5, 4, 4, 3, 3, 2, 2, 2)
_WAVE_DOA_AGE = (1, 5, 8, 9, 9, 9, 8, 8, 7, 6, 6, 5, 4, 4, 3, 3)
# Customers and phones past this index are invented (phantom repairs' fake customers).
_FAKE_BASE = 60_000_000


# --- what the world is made of ----------------------------------------------------------------


def _cents(text: str) -> int:
    return int(Decimal(text) * 100)


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True, slots=True)
class Region:
    name: str
    country: str
    city: str
    postcode: str


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    line: str
    price_cents: int
    doa_credit_cents: int  # what the brand credits the partner for a DOA swap


@dataclass(frozen=True, slots=True)
class Part:
    number: str
    name: str
    line: str
    price_cents: int
    defective_required: bool
    fits: tuple[str, ...]  # skus


@dataclass(frozen=True, slots=True)
class LabourCode:
    line: str
    code: str
    minutes: int
    description: str


@dataclass(frozen=True, slots=True)
class Fault:
    line: str
    code: str
    description: str
    labour_code: str
    primary: tuple[str, ...]
    secondary: tuple[str, ...]
    weight: int


@dataclass(slots=True)
class Partner:
    index: int
    code: str
    name: str
    regions: tuple[str, ...]
    product_lines: tuple[str, ...]
    labour_rate_cents: int  # per hour
    callout_cents: int
    km_cents: int
    weight: float  # relative claim volume
    patterns: tuple[str, ...] = ()  # the abuse it commits; () = honest
    # Honest habits, which differ between partners.
    labour_bias: float = 1.0
    doa_rate: float = 0.03
    nff_rate: float = 0.2
    return_rate: float = 0.95
    travel_share: float = 0.7
    invoice_prefix: str = ""

    @property
    def dishonest(self) -> bool:
        return bool(self.patterns)


@dataclass(frozen=True, slots=True)
class Line:
    kind: str  # LineKind value
    description: str
    labour_code: str = ""
    minutes: int | None = None
    standard_minutes: int | None = None
    part_number: str = ""
    quantity: int = 1
    unit_price_cents: int = 0
    amount_cents: int = 0
    defective_required: bool = False
    defective_returned: bool = False

    @property
    def amount(self) -> Decimal:
        return money(self.amount_cents)

    @property
    def unit_price(self) -> Decimal:
        return money(self.unit_price_cents)


@dataclass(slots=True)
class Claim:
    partner: int  # index into world.partners
    region: str  # where the partner repaired it
    product_line: str
    product: int  # index into world.products
    fault_code: str
    repair_ord: int  # date ordinal
    submitted_at: datetime | None = None
    lines: tuple[Line, ...] = ()
    unit: int | None = None  # index into world.units; None = a serial never sold
    customer: int | None = None
    serial_number: str = ""
    explanation: str = ""
    invoice_number: str = ""
    doa: bool = False
    no_fault_found: bool | None = None
    sold_ord: int | None = None
    sold_region: str = ""
    coverage_end_ord: int | None = None
    customer_phone: str = ""
    customer_address_key: str = ""
    pattern: str | None = None
    duplicate_of: int | None = None  # index of the original claim (duplicate_claim)
    same_invoice: bool = False
    # Filled by _finish().
    repair_date: date | None = None
    sold_on: date | None = None
    coverage_ends_on: date | None = None
    claimed_cents: int = 0
    labour_minutes: int = 0
    standard_minutes: int = 0
    parts_count: int = 0
    parts_amount_cents: int = 0
    defectives_missing: int = 0
    fake_customer: int | None = None  # phantom: index of the invented phone/address

    @property
    def claimed_amount(self) -> Decimal:
        return money(self.claimed_cents)

    @property
    def parts_amount(self) -> Decimal:
        return money(self.parts_amount_cents)


@dataclass
class SyntheticWorld:
    seed: int
    today: date
    fraud_rate: float
    regions: list[Region]
    product_lines: list[str]
    products: list[Product]
    parts: list[Part]
    labour_standards: list[LabourCode]
    faults: list[Fault]
    partners: list[Partner]
    # The install base, column-wise (a million claims come with four million units).
    customer_region: np.ndarray  # int16 index into regions
    unit_product: np.ndarray  # int16 index into products
    unit_customer: np.ndarray  # int32 index into customers
    unit_sold: np.ndarray  # int32 date ordinal
    claims: list[Claim]
    labels: list[str | None]  # per claim, its pattern or None
    policy_code: str = POLICY_CODE
    warranty_months: int = WARRANTY_MONTHS
    generated_in: float = 0.0

    # The install base, row by row.
    @property
    def customer_count(self) -> int:
        return len(self.customer_region)

    @property
    def unit_count(self) -> int:
        return len(self.unit_product)

    def unit_serial(self, unit: int) -> str:
        product = self.products[int(self.unit_product[unit])]
        return serial_for(self.seed, product.sku, unit)

    def unit_sold_on(self, unit: int) -> date:
        return date.fromordinal(int(self.unit_sold[unit]))

    def unit_region(self, unit: int) -> str:
        return self.regions[int(self.customer_region[int(self.unit_customer[unit])])].name

    def customer_name(self, customer: int) -> str:
        return customer_name(self.seed, customer)

    def customer_phone(self, customer: int) -> str:
        return customer_phone(self.seed, customer)

    def customer_address(self, customer: int) -> str:
        region = self.regions[int(self.customer_region[customer])]
        return customer_address(self.seed, customer, region)

    def sold_serials(self) -> set[str]:
        return {self.unit_serial(i) for i in range(self.unit_count)}

    def pattern_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(PATTERNS, 0)
        for label in self.labels:
            if label is not None:
                counts[label] += 1
        return counts

    def summary(self) -> dict[str, int]:
        return {
            "regions": len(self.regions),
            "product_lines": len(self.product_lines),
            "products": len(self.products),
            "parts": len(self.parts),
            "partners": len(self.partners),
            "dishonest_partners": sum(p.dishonest for p in self.partners),
            "customers": self.customer_count,
            "units": self.unit_count,
            "claims": len(self.claims),
            "claim_lines": sum(len(c.lines) for c in self.claims),
            "abusive_claims": sum(label is not None for label in self.labels),
        }


def serial_for(seed: int, sku: str, index: int) -> str:
    number = (_SERIAL_MUL * index + 7_777 * (seed % 10_000) + 12_345) % _SERIAL_MOD
    return f"SYN{seed}-{sku.removeprefix('SYN-').replace('-', '')}-{number:08d}"


def customer_name(seed: int, customer: int) -> str:
    h = (customer * 2_654_435_761 + seed * 40_503) & 0xFFFFFFFF
    return f"{FIRST[h % len(FIRST)]} {LAST[(h >> 8) % len(LAST)]} {LAST[(h >> 16) % len(LAST)]}"


def customer_phone(seed: int, customer: int) -> str:
    n = (_PHONE_MUL * customer + 1_234_567 * (seed % 97) + 3_301) % 100_000_000
    digits = f"{n:08d}"
    return f"+34 6{digits[:2]} {digits[2:5]} {digits[5:]}"


def customer_address(seed: int, customer: int, region: Region) -> str:
    k = (_ADDRESS_MUL * customer + 17 * seed) % _ADDRESS_MOD
    street, k = STREETS[k % len(STREETS)], k // len(STREETS)
    number, k = k % 300 + 1, k // 300
    floor, k = k % 12 + 1, k // 12
    door = "ABCDEF"[k % 6]
    postcode = f"{region.postcode}{(customer * 37 + seed) % 900 + 10:03d}"
    return f"Calle {street} {number}, {floor}º {door}, {postcode} {region.city}"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(d, day.day))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


# --- generation -------------------------------------------------------------------------------


def generate(
    *, claims: int, fraud_rate: float, seed: int, today: date | None = None
) -> SyntheticWorld:
    """The world for `claims` claims of which about `fraud_rate` are abusive. Pure and
    deterministic: the same arguments give the same world (`today` defaults to the clock's
    date, so pass it when two runs must agree across midnight)."""
    if claims < 1:
        raise ValueError("claims must be at least 1")
    if not 0 <= fraud_rate < 1:
        raise ValueError("fraud_rate must be in [0, 1)")
    started = time.perf_counter()
    world = _Builder(claims=claims, fraud_rate=fraud_rate, seed=seed, today=today).build()
    world.generated_in = time.perf_counter() - started
    return world


class _Builder:
    def __init__(self, *, claims: int, fraud_rate: float, seed: int, today: date | None) -> None:
        self.n = claims
        self.fraud_rate = fraud_rate
        self.seed = seed
        self.today = today or clock.today()
        self.today_ord = self.today.toordinal()
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self._coverage: dict[int, int] = {}
        # Install base built while claims need units.
        self.cust_region: list[int] = []
        self.region_customers: dict[int, list[int]] = defaultdict(list)
        self.unit_product: list[int] = []
        self.unit_customer: list[int] = []
        self.unit_sold: list[int] = []
        self.claims: list[Claim] = []
        self.fake_customers = 0

    # The catalogue and the network.

    def _catalogue(self) -> None:
        # Few partners cannot give every region and line peers: fewer regions and lines then.
        partners = max(12, round(self.n / 400))
        n_regions = 8 if partners < 40 else 10 if partners < 200 else 12
        n_lines = 3 if partners < 40 else 4
        self.regions = [Region(*r) for r in REGIONS[:n_regions]]
        self.region_index = {r.name: i for i, r in enumerate(self.regions)}
        self.lines = list(CATALOGUE)[:n_lines]
        self.products: list[Product] = []
        self.parts: list[Part] = []
        self.labour: list[LabourCode] = []
        self.faults: list[Fault] = []
        for line in self.lines:
            spec = CATALOGUE[line]
            for sku, name, price in spec["products"]:
                cents = _cents(price)
                # A DOA swap is credited at roughly the unit's cost to the brand.
                self.products.append(Product(sku, name, line, cents, round(cents * 0.62)))
            for code, minutes, description in spec["labour"]:
                self.labour.append(LabourCode(line, code, minutes, description))
            skus = tuple(p[0] for p in spec["products"])
            for number, name, price, required, fits in spec["parts"]:
                self.parts.append(Part(number, name, line, _cents(price), required, fits or skus))
            for code, description, labour, primary, secondary, weight in spec["faults"]:
                self.faults.append(
                    Fault(line, code, description, labour, primary, secondary, weight)
                )
        self.part_by_number = {p.number: p for p in self.parts}
        self.labour_by_code = {lc.code: lc for lc in self.labour}
        self.products_of = {
            line: [i for i, p in enumerate(self.products) if p.line == line] for line in self.lines
        }
        self.faults_of = {line: [f for f in self.faults if f.line == line] for line in self.lines}
        self.fault_cum = {
            line: list(accumulate(f.weight for f in self.faults_of[line])) for line in self.lines
        }
        self.fits_of = {
            i: [p for p in self.parts if p.line == prod.line and prod.sku in p.fits]
            for i, prod in enumerate(self.products)
        }

    def _network(self) -> None:
        rng = self.rng
        n_partners = max(12, round(self.n / 400))
        regions = [r.name for r in self.regions]
        partners: list[Partner] = []
        cities = {r.name: r.city for r in self.regions}
        for j in range(n_partners):
            home = regions[j % len(regions)]
            own_regions = [home]
            extra = rng.choices((0, 1, 2), weights=(55, 32, 13))[0]
            for other in rng.sample(regions, len(regions)):
                if len(own_regions) > extra:
                    break
                if other not in own_regions:
                    own_regions.append(other)
            first_line = self.lines[(j // len(regions) + j) % len(self.lines)]
            own_lines = [first_line]
            extra = rng.choices((0, 1, 2), weights=(35, 40, 25))[0]
            for other in rng.sample(self.lines, len(self.lines)):
                if len(own_lines) > extra:
                    break
                if other not in own_lines:
                    own_lines.append(other)
            name = f"{rng.choice(PARTNER_KINDS)} {rng.choice(LAST)} {cities[home]}"
            partners.append(
                Partner(
                    index=j,
                    code=f"SYN{self.seed}-P{j + 1:04d}",
                    name=name,
                    regions=tuple(own_regions),
                    product_lines=tuple(own_lines),
                    labour_rate_cents=rng.randint(76, 112) * 50,
                    callout_cents=rng.randint(1_650, 3_490),
                    km_cents=rng.randint(32, 46),
                    weight=rng.lognormvariate(0, 0.55) * (0.7 + 0.3 * len(own_regions)),
                    labour_bias=rng.lognormvariate(0.02, 0.06),
                    doa_rate=0.03 * rng.lognormvariate(0, 0.35),
                    nff_rate=min(0.45, 0.2 * rng.lognormvariate(0, 0.3)),
                    return_rate=rng.uniform(0.9, 0.995),
                    travel_share=rng.uniform(0.55, 0.95),
                    invoice_prefix=rng.choice(("F", "FAC", "INV", "A", "R", "FV")),
                )
            )
        # Every region and line has at least two partners, so that every claim has peers.
        for region in regions:
            for line in self.lines:
                serving = [p for p in partners if region in p.regions and line in p.product_lines]
                while len(serving) < 2:
                    # Stretch a partner by one region or one line, keeping it at three at most.
                    candidates = [
                        p
                        for p in partners
                        if p not in serving
                        and (
                            (line in p.product_lines and len(p.regions) < 3)
                            or (region in p.regions and len(p.product_lines) < 3)
                        )
                    ] or [p for p in partners if p not in serving]
                    p = min(candidates, key=lambda p: len(p.regions) * len(p.product_lines))
                    if region not in p.regions:
                        p.regions = (*p.regions, region)
                    if line not in p.product_lines:
                        p.product_lines = (*p.product_lines, line)
                    serving.append(p)
        self.partners = partners
        self.cells_of = {
            p.index: [(r, line) for r in p.regions for line in p.product_lines] for p in partners
        }
        self.partner_cum = list(accumulate(p.weight for p in partners))

    def _dishonest(self) -> dict[str, list[Partner]]:
        rng = self.rng
        share = min(0.4, max(0.08, 2.5 * self.fraud_rate))
        count = max(3, round(len(self.partners) * share))
        count = min(count, len(self.partners) // 2)
        chosen = rng.sample(self.partners, count)
        order = list(PATTERNS)
        rng.shuffle(order)
        by_pattern: dict[str, list[Partner]] = {p: [] for p in PATTERNS}
        for k, partner in enumerate(chosen):
            patterns = [order[k % len(order)]]
            if k >= len(order) and rng.random() < 0.3:
                second = rng.choice([p for p in PATTERNS if p not in patterns])
                patterns.append(second)
            partner.patterns = tuple(patterns)
            for pattern in patterns:
                by_pattern[pattern].append(partner)
        # With fewer than six dishonest partners some commit several patterns.
        for k, pattern in enumerate(order):
            if not by_pattern[pattern]:
                partner = chosen[k % len(chosen)]
                partner.patterns = (*partner.patterns, pattern)
                by_pattern[pattern].append(partner)
        return by_pattern

    # Dates.

    def coverage_end(self, sold: int) -> int:
        end = self._coverage.get(sold)
        if end is None:
            day = add_months(date.fromordinal(sold), WARRANTY_MONTHS)
            end = self._coverage[sold] = day.toordinal() - 1
        return end

    def _repair_day(self) -> int:
        # The last year, up to the day before yesterday; fewer repairs on Sundays.
        day = self.today_ord - 2 - self.rng.randrange(363)
        if date.fromordinal(day).weekday() == 6:
            day -= 1
        return day

    def _age(self, rush: float = 0.09) -> int:
        """Days between sale and a (non-DOA) failure: early failures, random failures, and
        customers rushing in before the warranty ends."""
        rng = self.rng
        r = rng.random()
        if r < 0.4:
            age = DOA_DAYS + 1 + int(rng.expovariate(1 / 150))
        elif r < 1 - rush:
            age = rng.randint(DOA_DAYS + 1, 725)
        else:
            age = 729 - int(rng.triangular(0, 90, 0))
        return min(age, 729)

    def _sold_for(self, repair: int, age: int) -> int:
        sold = repair - age
        end = self.coverage_end(sold)
        if end < repair:  # a short month: keep the repair inside the coverage
            sold += repair - end
        return sold

    # The install base.

    def _customer(self, region: int, reuse: float = 0.15) -> int:
        existing = self.region_customers[region]
        if existing and self.rng.random() < reuse:
            return existing[self.rng.randrange(len(existing))]
        index = len(self.cust_region)
        self.cust_region.append(region)
        existing.append(index)
        return index

    def _unit(self, region: int, product: int, sold: int) -> int:
        index = len(self.unit_product)
        self.unit_product.append(product)
        self.unit_customer.append(self._customer(region))
        self.unit_sold.append(sold)
        return index

    def _attach_unit(self, claim: Claim, unit: int) -> None:
        claim.unit = unit
        claim.customer = self.unit_customer[unit]
        claim.product = self.unit_product[unit]
        claim.sold_ord = self.unit_sold[unit]
        claim.sold_region = self.regions[self.cust_region[claim.customer]].name
        claim.coverage_end_ord = self.coverage_end(claim.sold_ord)

    # Lines.

    def _labour(self, partner: Partner, code: str, minutes: int) -> Line:
        lc = self.labour_by_code[code]
        amount = round(minutes * partner.labour_rate_cents / 60)
        return Line(
            kind="labour",
            description=lc.description,
            labour_code=code,
            minutes=minutes,
            standard_minutes=lc.minutes,
            quantity=1,
            unit_price_cents=amount,
            amount_cents=amount,
        )

    def _part(self, part: Part, quantity: int, returned: bool) -> Line:
        return Line(
            kind="part",
            description=part.name,
            part_number=part.number,
            quantity=quantity,
            unit_price_cents=part.price_cents,
            amount_cents=part.price_cents * quantity,
            defective_required=part.defective_required,
            defective_returned=returned and part.defective_required,
        )

    def _travel(self, partner: Partner) -> Line:
        km = self.rng.randint(3, 58)
        amount = partner.callout_cents + km * partner.km_cents
        return Line(
            kind="travel",
            description=f"Call-out and travel, {km} km",
            unit_price_cents=amount,
            amount_cents=amount,
        )

    def _doa_line(self, product: Product) -> Line:
        return Line(
            kind="doa",
            description=f"DOA replacement: {product.name}",
            unit_price_cents=product.doa_credit_cents,
            amount_cents=product.doa_credit_cents,
        )

    def _fault(self, line: str, avoid: str = "") -> Fault:
        faults = self.faults_of[line]
        for _ in range(10):
            fault = self.rng.choices(faults, cum_weights=self.fault_cum[line])[0]
            if fault.code != avoid:
                return fault
        return next(f for f in faults if f.code != avoid)

    def _minutes(self, standard: int, factor: float) -> int:
        return max(5, 5 * round(standard * factor / 5))

    def _parts_for(self, product: int, fault: Fault, count: int) -> list[Part]:
        fitting = self.fits_of[product]
        fitting_numbers = {p.number for p in fitting}
        chosen: list[Part] = []
        primary = [n for n in fault.primary if n in fitting_numbers]
        if count and primary:
            chosen.append(self.part_by_number[self.rng.choice(primary)])
        pool = [self.part_by_number[n] for n in fault.secondary if n in fitting_numbers]
        pool += [p for p in fitting if not p.defective_required and p not in pool]
        pool += [p for p in fitting if p not in pool]
        for part in pool:
            if len(chosen) >= count:
                break
            if part not in chosen and (self.rng.random() < 0.6 or len(pool) <= count):
                chosen.append(part)
        for part in fitting:
            if len(chosen) >= count:
                break
            if part not in chosen:
                chosen.append(part)
        return chosen

    def _repair_lines(
        self,
        partner: Partner,
        claim: Claim,
        fault: Fault,
        *,
        labour_factor: float | None = None,
        parts: int | None = None,
        return_rate: float | None = None,
    ) -> tuple[list[Line], str]:
        """The lines of an ordinary repair: labour near the standard (sometimes above, with an
        explanation), 0–3 parts that fit, travel for on-site jobs."""
        rng = self.rng
        explanation = ""
        standard = self.labour_by_code[fault.labour_code].minutes
        if labour_factor is None:
            r = rng.random()
            labour_factor = partner.labour_bias * rng.lognormvariate(0, 0.1)
            if r < 0.12:
                labour_factor = rng.uniform(1.2, 1.8)
                explanation = rng.choice(LONG_JOB_EXPLANATIONS)
            elif r < 0.127:  # the honest outlier: a job that really took very long
                labour_factor = rng.uniform(1.8, 2.6)
                explanation = rng.choice(LONG_JOB_EXPLANATIONS)
        lines = [self._labour(partner, fault.labour_code, self._minutes(standard, labour_factor))]
        if parts is None:
            parts = rng.choices((0, 1, 2, 3), weights=(22, 55, 17, 6))[0]
            if rng.random() < 0.01:
                parts = rng.randint(4, 5)
        rate = partner.return_rate if return_rate is None else return_rate
        for part in self._parts_for(claim.product, fault, parts):
            quantity = 2 if part.price_cents < 3_000 and rng.random() < 0.05 else 1
            lines.append(self._part(part, quantity, rng.random() < rate))
        if rng.random() < CATALOGUE[claim.product_line]["on_site"] * partner.travel_share:
            lines.append(self._travel(partner))
        return lines, explanation

    def _doa_lines(self, partner: Partner, claim: Claim) -> list[Line]:
        lines = [
            self._labour(
                partner,
                self._diag_code(claim.product_line),
                self._minutes(30, partner.labour_bias * self.rng.lognormvariate(0, 0.1)),
            )
        ]
        lines.append(self._doa_line(self.products[claim.product]))
        if self.rng.random() < 0.5 * partner.travel_share:
            lines.append(self._travel(partner))
        return lines

    def _diag_code(self, line: str) -> str:
        return next(lc.code for lc in self.labour if lc.line == line and lc.code.endswith("DIAG"))

    # Claims.

    def _pick_partner(self) -> Partner:
        return self.rng.choices(self.partners, cum_weights=self.partner_cum)[0]

    def _cell(self, partner: Partner) -> tuple[str, str]:
        return self.rng.choice(self.cells_of[partner.index])

    def _new_claim(self, partner: Partner, cell: tuple[str, str], repair: int) -> Claim:
        region, line = cell
        products = self.products_of[line]
        product = self.rng.choice(products)
        return Claim(
            partner=partner.index,
            region=region,
            product_line=line,
            product=product,
            fault_code="",
            repair_ord=repair,
        )

    def _honest(self, partner: Partner) -> Claim:
        rng = self.rng
        cell = self._cell(partner)
        claim = self._new_claim(partner, cell, self._repair_day())
        region = self.region_index[claim.region]
        if rng.random() < partner.doa_rate:
            age = rng.choices(range(DOA_DAYS + 1), weights=_HONEST_DOA_AGE)[0]
            self._attach_unit(claim, self._unit(region, claim.product, claim.repair_ord - age))
            claim.doa = True
            claim.no_fault_found = rng.random() < partner.nff_rate
            claim.fault_code = self._fault(claim.product_line).code
            claim.lines = tuple(self._doa_lines(partner, claim))
            return claim
        repeat = rng.random() < 0.03 and self._repeat_unit(claim)
        if not repeat:
            home = region
            if rng.random() < 0.005:  # the customer moved, or crossed into the next region
                home = rng.choice([i for i in range(len(self.regions)) if i != region])
            sold = self._sold_for(claim.repair_ord, self._age())
            self._attach_unit(claim, self._unit(home, claim.product, sold))
            fault = self._fault(claim.product_line)
        else:
            fault = self._fault(claim.product_line, avoid=repeat)
        claim.fault_code = fault.code
        lines, claim.explanation = self._repair_lines(partner, claim, fault)
        claim.lines = tuple(lines)
        return claim

    def _repeat_unit(self, claim: Claim) -> str | bool:
        """A repeat repair: the unit of an earlier claim in the same region and line, still
        covered. Returns the fault code to avoid (one within the duplicate window), or False."""
        candidates = self.by_cell.get((claim.region, claim.product_line))
        if not candidates:
            return False
        for _ in range(8):
            other = self.claims[candidates[self.rng.randrange(len(candidates))]]
            if other.unit is None or other.doa:
                continue
            gap = claim.repair_ord - other.repair_ord
            if gap < 20 or claim.repair_ord > (other.coverage_end_ord or 0):
                continue
            self._attach_unit(claim, other.unit)
            return other.fault_code if gap <= DUPLICATE_DAYS else "-"
        return False

    def _add(self, claim: Claim) -> None:
        index = len(self.claims)
        self.claim_index[id(claim)] = index
        self.claims.append(claim)
        if claim.pattern is None and not claim.doa and claim.unit is not None:
            self.by_cell[(claim.region, claim.product_line)].append(index)
            self.by_partner[claim.partner].append(index)

    # Abuse.

    def _phantom(self, partner: Partner) -> Claim:
        rng = self.rng
        claim = self._new_claim(partner, self._cell(partner), self._repair_day())
        fault = self._fault(claim.product_line)
        claim.fault_code = fault.code
        if rng.random() < 0.5:
            # A serial never sold: numbered like real ones, for a customer nobody knows.
            claim.unit = None
            pool = self.fake_pool.setdefault(
                partner.index, [self._fake_customer() for _ in range(rng.randint(2, 4))]
            )
            claim.fake_customer = rng.choice(pool) if rng.random() < 0.6 else self._fake_customer()
        else:
            # A real serial sold in another region (read off a box or a sales list).
            others = [i for i, r in enumerate(self.regions) if r.name != claim.region]
            home = rng.choice(others)
            sold = self._sold_for(claim.repair_ord, self._age(rush=0.05))
            self._attach_unit(claim, self._unit(home, claim.product, sold))
        templates = self.templates.setdefault(partner.index, {})
        template = templates.get(claim.product_line)
        if template is not None and rng.random() < 0.35:
            claim.lines, claim.fault_code = template
        else:
            lines, _ = self._repair_lines(partner, claim, fault)
            claim.lines = tuple(lines)
            templates.setdefault(claim.product_line, (claim.lines, claim.fault_code))
        return claim

    def _fake_customer(self) -> int:
        self.fake_customers += 1
        return _FAKE_BASE + self.seed % 1000 * 10_000 + self.fake_customers

    def _inflated(self, partner: Partner) -> Claim:
        rng = self.rng
        claim = self._new_claim(partner, self._cell(partner), self._repair_day())
        sold = self._sold_for(claim.repair_ord, self._age())
        self._attach_unit(claim, self._unit(self.region_index[claim.region], claim.product, sold))
        fault = self._fault(claim.product_line)
        claim.fault_code = fault.code
        standard = self.labour_by_code[fault.labour_code].minutes
        factor = rng.uniform(2.0, 4.0)
        lines, _ = self._repair_lines(partner, claim, fault, labour_factor=factor)
        minutes = max(lines[0].minutes or 0, 5 * math.ceil(2 * standard / 5))
        lines[0] = self._labour(partner, fault.labour_code, minutes)
        if rng.random() < 0.5:
            claim.explanation = rng.choice(LONG_JOB_EXPLANATIONS)
        if rng.random() < 0.2:  # a made-up round total: the labour line takes up the slack
            total = sum(line.amount_cents for line in lines)
            target = max(10_000, math.ceil(total / 5_000) * 5_000)
            labour = lines[0]
            amount = labour.amount_cents + target - total
            lines[0] = Line(
                kind="labour",
                description=labour.description,
                labour_code=labour.labour_code,
                minutes=labour.minutes,
                standard_minutes=labour.standard_minutes,
                unit_price_cents=amount,
                amount_cents=amount,
            )
        claim.lines = tuple(lines)
        return claim

    def _harvesting(self, partner: Partner) -> Claim:
        rng = self.rng
        claim = self._new_claim(partner, self._cell(partner), self._repair_day())
        sold = self._sold_for(claim.repair_ord, self._age())
        self._attach_unit(claim, self._unit(self.region_index[claim.region], claim.product, sold))
        fault = self._fault(claim.product_line)
        claim.fault_code = fault.code
        lines, claim.explanation = self._repair_lines(partner, claim, fault, parts=0)
        fitting = self.fits_of[claim.product]
        valuable = [p for p in fitting if p.defective_required]
        cheap = [p for p in fitting if not p.defective_required]
        k_valuable = min(len(valuable), rng.randint(2, 5))
        chosen = rng.sample(valuable, k_valuable)
        if cheap and rng.random() < 0.6:
            chosen += rng.sample(cheap, min(len(cheap), rng.randint(1, 2)))
        part_lines = []
        for part in chosen:
            quantity = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
            part_lines.append(self._part(part, quantity, rng.random() < 0.15))
        count = sum(line.quantity for line in part_lines)
        if count < 4:
            extra = part_lines[0]
            part_lines[0] = self._part(
                self.part_by_number[extra.part_number],
                extra.quantity + 4 - count,
                extra.defective_returned,
            )
        missing = sum(
            line.quantity
            for line in part_lines
            if line.defective_required and not line.defective_returned
        )
        if missing < 2:
            part_lines = [
                self._part(self.part_by_number[line.part_number], line.quantity, False)
                for line in part_lines
            ]
        claim.lines = (lines[0], *part_lines, *lines[1:])
        return claim

    def _duplicate(self, partner: Partner) -> Claim | None:
        """The same serial and fault claimed again: the partner's own earlier claim, or one of
        another partner's in a region and line it serves."""
        rng = self.rng
        latest = self.today_ord - 2
        original = None
        own = self.by_partner.get(partner.index, [])
        cells = [c for c in self.cells_of[partner.index] if self.by_cell.get(c)]
        for attempt in range(40):
            if own and (attempt < 20 and rng.random() < 0.6 or not cells):
                pool = own
            elif cells:
                pool = self.by_cell[rng.choice(cells)]
            else:
                return None
            candidate = self.claims[pool[rng.randrange(len(pool))]]
            if candidate.repair_ord + 3 <= latest:
                original = candidate
                break
        if original is None:
            return None
        claim = Claim(
            partner=partner.index,
            region=original.region,
            product_line=original.product_line,
            product=original.product,
            fault_code=original.fault_code,
            # Inside the coverage where it can be: the original's unit is still covered.
            repair_ord=max(
                original.repair_ord + 1,
                min(latest, original.coverage_end_ord, original.repair_ord + rng.randint(3, 85)),
            ),
        )
        claim.duplicate_of = self.claim_index[id(original)]
        self._attach_unit(claim, original.unit)
        if original.partner == partner.index:
            claim.same_invoice = rng.random() < 0.5
            claim.explanation = original.explanation
        if rng.random() < 0.55 and original.partner == partner.index:
            claim.lines = original.lines
        else:
            fault = next(
                f for f in self.faults_of[claim.product_line] if f.code == claim.fault_code
            )
            lines, claim.explanation = self._repair_lines(partner, claim, fault)
            claim.lines = tuple(lines)
        return claim

    def _doa_wave(self, partner: Partner) -> Claim:
        rng = self.rng
        wave = self.waves.get(partner.index)
        if wave is None:
            length = rng.randint(35, 63)
            start = self.today_ord - 2 - rng.randint(length, 330)
            cell = self._cell(partner)
            wave = self.waves[partner.index] = (start, length, cell)
        start, length, main_cell = wave
        cell = main_cell if rng.random() < 0.8 else self._cell(partner)
        claim = self._new_claim(partner, cell, start + rng.randrange(length))
        age = rng.choices(range(DOA_DAYS + 1), weights=_WAVE_DOA_AGE)[0]
        region = self.region_index[claim.region]
        self._attach_unit(claim, self._unit(region, claim.product, claim.repair_ord - age))
        claim.doa = True
        claim.no_fault_found = rng.random() < 0.75
        claim.fault_code = self._fault(claim.product_line).code
        claim.lines = tuple(self._doa_lines(partner, claim))
        return claim

    def _near_expiry(self, partner: Partner) -> Claim:
        rng = self.rng
        claim = self._new_claim(partner, self._cell(partner), self._repair_day())
        before_end = min(NEAR_EXPIRY_DAYS, int(rng.triangular(0, NEAR_EXPIRY_DAYS + 1, 8)))
        # The sale whose coverage ends `before_end` days after the repair.
        end = date.fromordinal(claim.repair_ord + before_end + 1)
        sold = add_months(end, -WARRANTY_MONTHS).toordinal()
        if self.coverage_end(sold) < claim.repair_ord:
            sold += claim.repair_ord - self.coverage_end(sold)
        self._attach_unit(claim, self._unit(self.region_index[claim.region], claim.product, sold))
        fault = self._fault(claim.product_line)
        claim.fault_code = fault.code
        parts = rng.choices((0, 1, 2, 3), weights=(10, 45, 30, 15))[0]
        factor = partner.labour_bias * rng.lognormvariate(0.12, 0.12)
        lines, claim.explanation = self._repair_lines(
            partner, claim, fault, labour_factor=factor, parts=parts
        )
        claim.lines = tuple(lines)
        return claim

    # Putting it together.

    def build(self) -> SyntheticWorld:
        rng = self.rng
        self._catalogue()
        self._network()
        by_pattern = self._dishonest()
        abusive = round(self.fraud_rate * self.n)
        order = list(PATTERNS)
        rng.shuffle(order)
        counts = {p: abusive // len(PATTERNS) for p in PATTERNS}
        for p in order[: abusive % len(PATTERNS)]:
            counts[p] += 1
        honest = self.n - abusive
        self.by_cell: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.by_partner: dict[int, list[int]] = defaultdict(list)
        self.claim_index: dict[int, int] = {}
        self.fake_pool: dict[int, list[int]] = {}
        self.templates: dict[int, dict] = {}
        self.waves: dict[int, tuple[int, int, tuple[str, str]]] = {}

        for _ in range(honest):
            self._add(self._honest(self._pick_partner()))

        makers = {
            "phantom_repair": self._phantom,
            "inflated_labour": self._inflated,
            "parts_harvesting": self._harvesting,
            "duplicate_claim": self._duplicate,
            "false_doa_wave": self._doa_wave,
            "near_expiry_cluster": self._near_expiry,
        }
        for pattern in PATTERNS:
            doers = by_pattern[pattern]
            cum = list(accumulate(p.weight for p in doers))
            made = tries = 0
            while made < counts[pattern] and tries < counts[pattern] * 20:
                tries += 1
                partner = rng.choices(doers, cum_weights=cum)[0]
                claim = makers[pattern](partner)
                if claim is None:
                    continue
                claim.pattern = pattern
                self._add(claim)
                made += 1
        # A tiny world may lack originals to duplicate: honest claims make up the number.
        while len(self.claims) < self.n:
            self._add(self._honest(self._pick_partner()))
        return self._finish()

    def _finish(self) -> SyntheticWorld:
        rng = self.rng
        claims = self.claims
        # Submission: a few days after the repair, inside the deadline, in office hours.
        for claim in claims:
            delay = min(SUBMISSION_DAYS - 2, int(rng.expovariate(1 / 4)))
            day = min(claim.repair_ord + delay, self.today_ord - 1)
            moment = datetime.fromordinal(day).replace(tzinfo=UTC) + timedelta(
                seconds=rng.randint(6 * 3600, 18 * 3600)
            )
            claim.submitted_at = moment
        # Duplicates come after their original.
        for claim in claims:
            if claim.duplicate_of is not None:
                original = claims[claim.duplicate_of]
                if claim.submitted_at <= original.submitted_at:
                    claim.submitted_at = original.submitted_at + timedelta(
                        days=rng.randint(1, 5), seconds=rng.randint(60, 3600)
                    )
        order = sorted(range(len(claims)), key=lambda i: (claims[i].submitted_at, i))
        position = {old: new for new, old in enumerate(order)}
        claims = [claims[i] for i in order]
        for claim in claims:
            if claim.duplicate_of is not None:
                claim.duplicate_of = position[claim.duplicate_of]
        self.claims = claims

        # Units in the order they were sold, as a sales register fills up.
        units = self._install_base(claims)
        unit_sold = units["sold"]
        sorting = np.argsort(unit_sold, kind="stable")
        new_index = np.empty_like(sorting)
        new_index[sorting] = np.arange(len(sorting))
        unit_product = units["product"][sorting].astype(np.int16)
        unit_customer = units["customer"][sorting].astype(np.int32)
        unit_sold = unit_sold[sorting].astype(np.int32)
        customer_region = units["customer_region"].astype(np.int16)

        seed = self.seed
        invoices: dict[int, int] = defaultdict(int)
        phantom_serials = 0
        dates: dict[int, date] = {}

        def day(ordinal: int) -> date:
            value = dates.get(ordinal)
            if value is None:
                value = dates[ordinal] = date.fromordinal(ordinal)
            return value

        for claim in claims:
            product = self.products[claim.product]
            claim.repair_date = day(claim.repair_ord)
            if claim.unit is not None:
                claim.unit = int(new_index[claim.unit])
                claim.serial_number = serial_for(seed, product.sku, claim.unit)
                claim.sold_on = day(claim.sold_ord)
                claim.coverage_ends_on = day(claim.coverage_end_ord)
                region = self.regions[self.cust_region[claim.customer]]
                claim.customer_phone = normalise_phone(customer_phone(seed, claim.customer))
                claim.customer_address_key = address_key(
                    customer_address(seed, claim.customer, region)
                )
            else:
                claim.serial_number = serial_for(
                    seed, product.sku, len(unit_product) + 1_000 + phantom_serials * 7
                )
                phantom_serials += 1
                fake = claim.fake_customer
                region = self.regions[self.region_index[claim.region]]
                claim.customer_phone = normalise_phone(customer_phone(seed, fake))
                claim.customer_address_key = address_key(customer_address(seed, fake, region))
            partner = self.partners[claim.partner]
            if claim.same_invoice and claim.duplicate_of is not None:
                claim.invoice_number = claims[claim.duplicate_of].invoice_number
            else:
                invoices[claim.partner] += 1
                year = claim.submitted_at.year % 100
                claim.invoice_number = (
                    f"{partner.invoice_prefix}{year:02d}-{invoices[claim.partner]:05d}"
                )
            labour = standard = parts = parts_amount = missing = total = 0
            for line in claim.lines:
                total += line.amount_cents
                if line.kind == "labour":
                    labour += line.minutes or 0
                    standard += line.standard_minutes or 0
                elif line.kind == "part":
                    parts += line.quantity
                    parts_amount += line.amount_cents
                    if line.defective_required and not line.defective_returned:
                        missing += line.quantity
            claim.claimed_cents = total
            claim.labour_minutes = labour
            claim.standard_minutes = standard
            claim.parts_count = parts
            claim.parts_amount_cents = parts_amount
            claim.defectives_missing = missing
            if claim.doa and claim.submitted_at.toordinal() > self.today_ord - 7:
                claim.no_fault_found = None  # not inspected yet

        return SyntheticWorld(
            seed=seed,
            today=self.today,
            fraud_rate=self.fraud_rate,
            regions=self.regions,
            product_lines=self.lines,
            products=self.products,
            parts=self.parts,
            labour_standards=self.labour,
            faults=self.faults,
            partners=self.partners,
            customer_region=customer_region,
            unit_product=unit_product,
            unit_customer=unit_customer,
            unit_sold=unit_sold,
            claims=claims,
            labels=[c.pattern for c in claims],
        )

    def _install_base(self, claims: list[Claim]) -> dict[str, np.ndarray]:
        """The units nobody claimed for: per region and line about four units sold (over the
        last three years) for every honest claim, so claims per unit sold can be compared."""
        rng = self.np_rng
        honest = defaultdict(int)
        claimed = defaultdict(int)
        for claim in claims:
            if claim.pattern is None:
                honest[(claim.region, claim.product_line)] += 1
        for unit, product in enumerate(self.unit_product):
            region = self.cust_region[self.unit_customer[unit]]
            claimed[(self.regions[region].name, self.products[product].line)] += 1
        products = [np.asarray(self.unit_product, dtype=np.int64)]
        customers = [np.asarray(self.unit_customer, dtype=np.int64)]
        sold = [np.asarray(self.unit_sold, dtype=np.int64)]
        customer_region = [np.asarray(self.cust_region, dtype=np.int64)]
        next_customer = len(self.cust_region)
        ratios = rng.uniform(3.2, 4.8, size=len(self.regions))
        first_day = self.today_ord - 3 * 365
        for r, region in enumerate(self.regions):
            for line in self.lines:
                cell = (region.name, line)
                target = max(int(round(honest[cell] * ratios[r])), 3)
                count = target - claimed[cell]
                if count <= 0:
                    continue
                line_products = np.asarray(self.products_of[line])
                products.append(rng.choice(line_products, size=count))
                sold.append(rng.integers(first_day, self.today_ord, size=count))
                n_customers = max(1, int(count / 1.25))
                owners = np.concatenate(
                    [
                        np.arange(min(n_customers, count)),
                        rng.integers(0, n_customers, size=count - min(n_customers, count)),
                    ]
                )
                rng.shuffle(owners)
                customers.append(owners + next_customer)
                customer_region.append(np.full(n_customers, r))
                next_customer += n_customers
        return {
            "product": np.concatenate(products),
            "customer": np.concatenate(customers),
            "sold": np.concatenate(sold),
            "customer_region": np.concatenate(customer_region),
        }


# --- loading ----------------------------------------------------------------------------------


class AlreadyLoaded(Exception):
    """The world's partners are in the database already: this seed was loaded before."""


BATCH = 20_000


def load(
    world: SyntheticWorld, *, progress: Callable[[int, int], None] | None = None
) -> dict[int, str | None]:
    """Writes the world into the database and returns {claim pk: pattern or None}.

    The catalogue (policy, products, parts, standard times, fault codes) is shared by every
    seed and created once; partners, customers, units and claims are new (their codes and
    serials carry the seed, so they never collide with the demo data or another seed). The
    big tables go in with one prepared INSERT run over batches of rows, with the primary
    keys assigned here, one transaction per batch. Claims are inserted as `auto_approved`
    with their fact columns filled and no findings; scoring them is the caller's job.
    `progress(done, total)` counts rows written."""
    from django.db import connection, transaction

    from aftersales.network.models import Partner as PartnerRow

    if PartnerRow.objects.filter(code=world.partners[0].code).exists():
        raise AlreadyLoaded(
            f"synthetic claims with seed {world.seed} are already loaded "
            f"(partner {world.partners[0].code} exists)"
        )
    lines_total = sum(len(c.lines) for c in world.claims)
    total = world.customer_count + world.unit_count + len(world.claims) + lines_total
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    with transaction.atomic():
        product_pk, part_pk = _load_catalogue(world)
        partner_pk = _load_partners(world)
    pragmas = _sqlite_bulk_pragmas(connection)
    try:
        claim_base = _load_rows(world, product_pk, part_pk, partner_pk, advance)
    finally:
        _sqlite_restore(connection, pragmas)
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        from aftersales.claims.models import Claim as ClaimRow
        from aftersales.claims.models import ClaimLine, ClaimRisk
        from aftersales.customers.models import Customer, Unit

        ops = connection.ops
        with connection.cursor() as cursor:
            for sql in ops.sequence_reset_sql(no_style(), [Customer, Unit, ClaimRow]):
                cursor.execute(sql)
            for model in (Customer, Unit, ClaimRow, ClaimRisk, ClaimLine):
                cursor.execute(f"ANALYZE {ops.quote_name(model._meta.db_table)}")
    return {claim_base + i: c.pattern for i, c in enumerate(world.claims)}


def _sqlite_bulk_pragmas(connection) -> dict[str, object]:
    """A bigger page cache for the load and no foreign-key lookups per row (every key is
    assigned here). Outside a transaction only: SQLite ignores foreign_keys inside one."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return {}
    with connection.cursor() as cursor:
        saved = {}
        for name in ("cache_size", "foreign_keys"):
            cursor.execute(f"PRAGMA {name}")
            saved[name] = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -524288")
        cursor.execute("PRAGMA foreign_keys = OFF")
    return saved


def _sqlite_restore(connection, saved: dict[str, object]) -> None:
    if saved:
        with connection.cursor() as cursor:
            for name, value in saved.items():
                cursor.execute(f"PRAGMA {name} = {int(value)}")


def _load_rows(world, product_pk, part_pk, partner_pk, advance) -> int:
    """Customers, units, claims and lines; returns the first claim's primary key."""
    from django.db import connection

    from aftersales.claims.models import Claim as ClaimRow
    from aftersales.claims.models import ClaimLine, ClaimRisk
    from aftersales.customers.models import Customer, Unit

    ops = connection.ops
    now = ops.adapt_datetimefield_value(clock.now().replace(microsecond=0))
    dates: dict[int, object] = {}

    def day(ordinal: int) -> object:
        value = dates.get(ordinal)
        if value is None:
            value = dates[ordinal] = ops.adapt_datefield_value(date.fromordinal(ordinal))
        return value

    # Customers.
    customer_base = _next_id(Customer)
    regions = world.regions
    seed = world.seed

    def customer_rows(start: int, end: int):
        for i in range(start, end):
            region = regions[int(world.customer_region[i])]
            yield (
                customer_base + i,
                customer_name(seed, i),
                "",
                customer_phone(seed, i),
                region.country,
                "es",
                customer_address(seed, i, region),
                region.name,
                "standard",
                now,
                now,
            )

    _insert_batches(
        Customer,
        ("id", "name", "email", "phone", "country", "language", "address", "region", "tier",
         "created_at", "updated_at"),
        customer_rows,
        world.customer_count,
        advance,
    )  # fmt: skip

    # Units.
    unit_base = _next_id(Unit)
    products = world.products
    prices = [money(p.price_cents) for p in products]
    product_ids = [product_pk[p.sku] for p in products]
    countries = [r.country for r in regions]
    unit_product = world.unit_product.tolist()
    unit_customer = world.unit_customer.tolist()
    unit_sold = world.unit_sold.tolist()
    customer_region = world.customer_region.tolist()

    def unit_rows(start: int, end: int):
        for i in range(start, end):
            product = unit_product[i]
            customer = unit_customer[i]
            yield (
                unit_base + i,
                serial_for(seed, products[product].sku, i),
                product_ids[product],
                customer_base + customer,
                day(unit_sold[i]),
                None,
                countries[customer_region[customer]],
                "",
                prices[product],
                CURRENCY,
                None,
                now,
                now,
            )

    _insert_batches(
        Unit,
        ("id", "serial_number", "product", "customer", "sold_on", "installed_on", "country",
         "dealer", "sale_price", "sale_currency", "replaces", "created_at", "updated_at"),
        unit_rows,
        world.unit_count,
        advance,
    )  # fmt: skip

    # Claims and their lines.
    claim_base = _next_id(ClaimRow)
    empty_json = ClaimRow._meta.get_field("findings").get_db_prep_save([], connection)
    status = "auto_approved"
    claims = world.claims

    def claim_rows(start: int, end: int):
        for i in range(start, end):
            c = claims[i]
            submitted = ops.adapt_datetimefield_value(c.submitted_at)
            claimed = money(c.claimed_cents)
            yield (
                claim_base + i,
                partner_pk[c.partner],
                None,
                c.serial_number,
                None if c.unit is None else unit_base + c.unit,
                None if c.customer is None else customer_base + c.customer,
                status,
                status,
                c.fault_code,
                day(c.repair_ord),
                c.invoice_number,
                c.explanation,
                CURRENCY,
                claimed,
                claimed,
                c.region,
                c.product_line,
                None if c.sold_ord is None else day(c.sold_ord),
                c.sold_region,
                None if c.coverage_end_ord is None else day(c.coverage_end_ord),
                c.customer_phone,
                c.customer_address_key,
                c.labour_minutes,
                c.standard_minutes,
                c.parts_count,
                money(c.parts_amount_cents),
                c.defectives_missing,
                c.doa,
                c.no_fault_found,
                empty_json,
                None,
                None,
                submitted,
                submitted,
                None,
                submitted,
                1,
            )

    _insert_batches(
        ClaimRow,
        ("id", "partner", "work_order", "serial_number", "unit", "customer", "status", "outcome",
         "fault_code", "repair_date", "invoice_number", "explanation", "currency",
         "claimed_amount", "approved_amount", "region", "product_line", "sold_on", "sold_region",
         "coverage_ends_on", "customer_phone", "customer_address_key", "labour_minutes",
         "standard_minutes", "parts_count", "parts_amount", "defectives_missing", "doa",
         "no_fault_found", "findings", "statement", "submitted_by", "submitted_at",
         "decided_at", "decided_by", "updated_at", "version"),
        claim_rows,
        len(claims),
        advance,
    )  # fmt: skip

    def risk_rows(start: int, end: int):
        for i in range(start, end):
            yield (claim_base + i, 0, empty_json, None)

    # Every claim has its risk row; unscored (scored_at empty) until the caller scores it.
    _insert_batches(ClaimRisk, ("claim", "score", "reasons", "scored_at"), risk_rows,
                    len(claims), lambda _count: None)  # fmt: skip

    line_index = [(i, line) for i, c in enumerate(claims) for line in c.lines]

    def line_rows(start: int, end: int):
        for i, line in line_index[start:end]:
            yield (
                claim_base + i,
                line.kind,
                line.description,
                line.labour_code,
                line.minutes,
                line.standard_minutes,
                part_pk.get(line.part_number) if line.part_number else None,
                line.part_number,
                line.quantity,
                money(line.unit_price_cents),
                money(line.amount_cents),
                line.defective_required,
                line.defective_returned,
                None,
                "",
                "",
            )

    _insert_batches(
        ClaimLine,
        ("claim", "kind", "description", "labour_code", "minutes", "standard_minutes", "part",
         "part_number", "quantity", "unit_price", "amount", "defective_required",
         "defective_returned", "approved_amount", "reason_code", "reason"),
        line_rows,
        len(line_index),
        advance,
    )  # fmt: skip
    return claim_base


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def _insert_batches(model, names, rows, count: int, advance) -> None:
    """`count` rows in batches, a transaction each: `COPY` on PostgreSQL (an order of
    magnitude faster than INSERTs there), one prepared INSERT run over each batch on
    SQLite."""
    from django.db import connection, transaction

    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(meta.get_field(n).column) for n in names)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"
    for start in range(0, count, BATCH):
        end = min(start + BATCH, count)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows(start, end):
                        copy.write_row(row)
            else:
                cursor.executemany(sql, list(rows(start, end)))
        advance(end - start)


def _load_catalogue(world: SyntheticWorld) -> tuple[dict[str, int], dict[str, int]]:
    """The shared catalogue, created where missing: {sku: pk}, {part number: pk}."""
    from aftersales.catalog.models import Part as PartRow
    from aftersales.catalog.models import Product as ProductRow
    from aftersales.catalog.models import WarrantyPolicy
    from aftersales.claims.models import LabourStandard
    from aftersales.workorders.models import FaultCode

    policy, _ = WarrantyPolicy.objects.get_or_create(
        code=world.policy_code,
        defaults={
            "name": f"Synthetic {world.warranty_months} months",
            "months": world.warranty_months,
        },
    )
    have = set(
        ProductRow.objects.filter(sku__in=[p.sku for p in world.products]).values_list(
            "sku", flat=True
        )
    )
    ProductRow.objects.bulk_create(
        ProductRow(sku=p.sku, name=p.name, category=p.line, warranty_policy=policy)
        for p in world.products
        if p.sku not in have
    )
    product_pk = dict(
        ProductRow.objects.filter(sku__in=[p.sku for p in world.products]).values_list("sku", "id")
    )
    have = set(
        PartRow.objects.filter(number__in=[p.number for p in world.parts]).values_list(
            "number", flat=True
        )
    )
    PartRow.objects.bulk_create(
        PartRow(
            number=p.number,
            name=p.name,
            list_price=money(p.price_cents),
            cost_price=money(round(p.price_cents * 0.55)),
            currency=CURRENCY,
            defective_return_required=p.defective_required,
        )
        for p in world.parts
        if p.number not in have
    )
    part_pk = dict(
        PartRow.objects.filter(number__in=[p.number for p in world.parts]).values_list(
            "number", "id"
        )
    )
    Fits = PartRow.fits.through
    Fits.objects.bulk_create(
        (
            Fits(part_id=part_pk[p.number], product_id=product_pk[sku])
            for p in world.parts
            for sku in p.fits
        ),
        ignore_conflicts=True,
    )
    LabourStandard.objects.bulk_create(
        (
            LabourStandard(
                product_line=lc.line,
                labour_code=lc.code,
                minutes=lc.minutes,
                description=lc.description,
            )
            for lc in world.labour_standards
        ),
        ignore_conflicts=True,
    )
    FaultCode.objects.bulk_create(
        (
            FaultCode(product_category=f.line, code=f.code, description=f.description)
            for f in world.faults
        ),
        ignore_conflicts=True,
    )
    return product_pk, part_pk


def _load_partners(world: SyntheticWorld) -> dict[int, int]:
    from aftersales.network.models import Partner as PartnerRow

    made = PartnerRow.objects.bulk_create(
        (
            PartnerRow(
                code=p.code,
                name=p.name,
                regions=list(p.regions),
                product_lines=list(p.product_lines),
                labour_rate=money(p.labour_rate_cents),
                currency=CURRENCY,
                time_zone="Europe/Madrid",
            )
            for p in world.partners
        ),
        batch_size=1_000,
    )
    if any(row.pk is None for row in made):  # a backend that does not return keys
        by_code = dict(
            PartnerRow.objects.filter(code__in=[p.code for p in world.partners]).values_list(
                "code", "id"
            )
        )
        return {p.index: by_code[p.code] for p in world.partners}
    return {p.index: row.pk for p, row in zip(world.partners, made, strict=True)}
