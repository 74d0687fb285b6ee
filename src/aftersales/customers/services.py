from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from aftersales.catalog.selectors import product_by_sku
from aftersales.core import clock
from aftersales.core.errors import Conflict, Invalid, NotFound
from aftersales.customers import rules
from aftersales.customers.models import Customer, CustomerTier, ServiceContract, Unit

LANGUAGES = {"en", "es"}


def _country(value: str, field: str = "country") -> str:
    code = rules.normalise_country(value)
    if not rules.is_country_code(code):
        raise Invalid(
            field, _("%(field)s must be a two-letter ISO country code.") % {"field": field}
        )
    return code


def _customer_fields(
    *, name: str, email: str, phone: str, country: str, language: str, address: str, tier: str
) -> dict:
    if not name.strip():
        raise Invalid("name", _("A customer needs a name."))
    country = _country(country)
    if language not in LANGUAGES:
        raise Invalid("language", _("language must be one of: en, es."))
    if tier not in CustomerTier.values:
        raise Invalid(
            "tier", _("tier must be one of: %(tiers)s.") % {"tiers": ", ".join(CustomerTier.values)}
        )
    email = rules.normalise_email(email)
    if email and "@" not in email:
        raise Invalid("email", _("email is not an e-mail address."))
    return {
        "name": name.strip(),
        "email": email,
        "phone": rules.normalise_phone(phone, country),
        "country": country,
        "language": language,
        "address": address.strip(),
        "tier": tier,
    }


@transaction.atomic
def customer_create(
    *,
    name: str,
    email: str = "",
    phone: str = "",
    country: str,
    language: str = "en",
    address: str = "",
    tier: str = CustomerTier.STANDARD,
) -> Customer:
    fields = _customer_fields(
        name=name,
        email=email,
        phone=phone,
        country=country,
        language=language,
        address=address,
        tier=tier,
    )
    return Customer.objects.create(**fields)


@transaction.atomic
def customer_update(*, customer_id: int, **changes) -> Customer:
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("Customer %(id)s") % {"id": customer_id})
    current = {
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "country": customer.country,
        "language": customer.language,
        "address": customer.address,
        "tier": customer.tier,
    }
    current.update({k: v for k, v in changes.items() if v is not None})
    for name, value in _customer_fields(**current).items():
        setattr(customer, name, value)
    customer.save()
    return customer


def _unit_dates(sold_on: date, installed_on: date | None) -> None:
    if installed_on is not None and installed_on < sold_on:
        raise Invalid("installed_on", _("installed_on cannot be before sold_on."))


@transaction.atomic
def unit_register(
    *,
    serial_number: str,
    sku: str,
    customer_id: int,
    sold_on: date,
    installed_on: date | None = None,
    country: str | None = None,
    dealer: str = "",
) -> Unit:
    serial = serial_number.strip()
    if not serial:
        raise Invalid("serial_number", _("A unit needs a serial number."))
    product = product_by_sku(sku)
    if product is None:
        raise Invalid("sku", _("No product has SKU %(sku)s.") % {"sku": sku})
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise Invalid("customer_id", _("No customer has id %(id)s.") % {"id": customer_id})
    _unit_dates(sold_on, installed_on)
    if Unit.objects.filter(serial_number=serial).exists():
        raise Conflict(
            "duplicate_serial",
            _("Serial number %(serial)s is already registered.") % {"serial": serial},
            {"field": "serial_number"},
        )
    try:
        with transaction.atomic():
            return Unit.objects.create(
                serial_number=serial,
                product=product,
                customer=customer,
                sold_on=sold_on,
                installed_on=installed_on,
                country=_country(country) if country else customer.country,
                dealer=dealer.strip(),
            )
    except IntegrityError:
        raise Conflict(
            "duplicate_serial",
            _("Serial number %(serial)s is already registered.") % {"serial": serial},
            {"field": "serial_number"},
        ) from None


@transaction.atomic
def unit_update(
    *,
    serial_number: str,
    customer_id: int | None = None,
    sold_on: date | None = None,
    installed_on: date | None = None,
    country: str | None = None,
    dealer: str | None = None,
) -> Unit:
    unit = Unit.objects.select_for_update().filter(serial_number=serial_number).first()
    if unit is None:
        raise NotFound(_("Unit %(serial)s") % {"serial": serial_number})
    if customer_id is not None:
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise Invalid("customer_id", _("No customer has id %(id)s.") % {"id": customer_id})
        unit.customer = customer
    if sold_on is not None:
        unit.sold_on = sold_on
    if installed_on is not None:
        unit.installed_on = installed_on
    if country is not None:
        unit.country = _country(country)
    if dealer is not None:
        unit.dealer = dealer.strip()
    _unit_dates(unit.sold_on, unit.installed_on)
    unit.save()
    return unit


def _contract_units(customer: Customer, serial_numbers: Iterable[str]) -> list[Unit]:
    serials = sorted({s.strip() for s in serial_numbers if s.strip()})
    units = list(Unit.objects.filter(serial_number__in=serials))
    found = {u.serial_number for u in units}
    missing = [s for s in serials if s not in found]
    if missing:
        raise Invalid(
            "serial_numbers",
            _("Unknown serial numbers: %(serials)s.") % {"serials": ", ".join(missing)},
        )
    foreign = [u.serial_number for u in units if u.customer_id != customer.pk]
    if foreign:
        raise Invalid(
            "serial_numbers",
            _("These units belong to another customer: %(serials)s.")
            % {"serials": ", ".join(foreign)},
        )
    return units


@transaction.atomic
def contract_create(
    *,
    number: str,
    customer_id: int,
    serial_numbers: list[str],
    starts_on: date,
    ends_on: date,
    covers_parts: bool = True,
    covers_labour: bool = True,
    covers_travel: bool = False,
    price: Decimal = Decimal("0"),
    currency: str = "EUR",
) -> ServiceContract:
    number = number.strip()
    if not number:
        raise Invalid("number", _("A contract needs a number."))
    if ends_on < starts_on:
        raise Invalid("ends_on", _("ends_on cannot be before starts_on."))
    if price < 0:
        raise Invalid("price", _("price cannot be negative."))
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise Invalid("customer_id", _("No customer has id %(id)s.") % {"id": customer_id})
    if ServiceContract.objects.filter(number=number).exists():
        raise Conflict(
            "duplicate_contract",
            _("Contract %(number)s already exists.") % {"number": number},
            {"field": "number"},
        )
    units = _contract_units(customer, serial_numbers)
    contract = ServiceContract.objects.create(
        number=number,
        customer=customer,
        starts_on=starts_on,
        ends_on=ends_on,
        covers_parts=covers_parts,
        covers_labour=covers_labour,
        covers_travel=covers_travel,
        price=price,
        currency=currency.upper(),
    )
    contract.units.set(units)
    return contract


@transaction.atomic
def contract_update(
    *,
    number: str,
    serial_numbers: list[str] | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    covers_parts: bool | None = None,
    covers_labour: bool | None = None,
    covers_travel: bool | None = None,
    price: Decimal | None = None,
) -> ServiceContract:
    contract = ServiceContract.objects.select_for_update().filter(number=number).first()
    if contract is None:
        raise NotFound(_("Contract %(number)s") % {"number": number})
    for name, value in {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "covers_parts": covers_parts,
        "covers_labour": covers_labour,
        "covers_travel": covers_travel,
        "price": price,
    }.items():
        if value is not None:
            setattr(contract, name, value)
    if contract.ends_on < contract.starts_on:
        raise Invalid("ends_on", _("ends_on cannot be before starts_on."))
    if contract.price < 0:
        raise Invalid("price", _("price cannot be negative."))
    contract.save()
    if serial_numbers is not None:
        contract.units.set(_contract_units(contract.customer, serial_numbers))
    return contract


# Bulk import --------------------------------------------------------------------------------


@dataclass
class ImportReport:
    imported: int = 0
    customers_created: int = 0
    errors: list[rules.RowError] = field(default_factory=list)
    error_count: int = 0

    MAX_KEPT_ERRORS = 1000

    def reject(self, error: rules.RowError) -> None:
        # Only the first errors are kept for the report: memory stays flat on a bad file.
        self.error_count += 1
        if len(self.errors) < self.MAX_KEPT_ERRORS:
            self.errors.append(error)


IMPORT_BATCH = 5000


def units_import(
    rows: Iterable[tuple[int, dict]], *, sku_ids: dict[str, int], batch_size: int = IMPORT_BATCH
) -> ImportReport:
    """Registers units from (line, row) pairs, batch by batch (one transaction each), so a
    million rows stream through in constant memory; bad rows are reported, never fatal."""
    report = ImportReport()
    batch: list[rules.UnitRow] = []
    for line, row in rows:
        checked = rules.check_unit_row(line, row, sku_ids)
        if isinstance(checked, rules.RowError):
            report.reject(checked)
            continue
        batch.append(checked)
        if len(batch) >= batch_size:
            _import_batch(batch, report)
            batch = []
    if batch:
        _import_batch(batch, report)
    return report


@transaction.atomic
def _import_batch(batch: list[rules.UnitRow], report: ImportReport) -> None:
    serials = [r.serial_number for r in batch]
    taken = set(
        Unit.objects.filter(serial_number__in=serials).values_list("serial_number", flat=True)
    )
    seen: set[str] = set()
    fresh: list[rules.UnitRow] = []
    for row in batch:
        if row.serial_number in taken:
            report.reject(
                rules.RowError(
                    row.line, "serial_number", f"{row.serial_number} is already registered"
                )
            )
        elif row.serial_number in seen:
            report.reject(
                rules.RowError(
                    row.line, "serial_number", f"{row.serial_number} appears twice in the file"
                )
            )
        else:
            seen.add(row.serial_number)
            fresh.append(row)

    emails = sorted({r.customer_email for r in fresh if r.customer_id is None})
    by_email = dict(
        Customer.objects.filter(email__in=emails).order_by("-id").values_list("email", "id")
    )
    ids = sorted({r.customer_id for r in fresh if r.customer_id is not None})
    countries = dict(Customer.objects.filter(pk__in=ids).values_list("id", "country"))
    if emails:
        countries.update(Customer.objects.filter(email__in=emails).values_list("id", "country"))
    new_customers: dict[str, Customer] = {}
    for row in fresh:
        if (
            row.customer_id is None
            and row.customer_email not in by_email
            and row.customer_email not in new_customers
        ):
            country = row.customer_country or row.country
            new_customers[row.customer_email] = Customer(
                name=row.customer_name or row.customer_email,
                email=row.customer_email,
                phone=rules.normalise_phone(row.customer_phone, country),
                country=country,
            )
    if new_customers:
        missing_country = [c for c in new_customers.values() if not c.country]
        created = Customer.objects.bulk_create(
            [c for c in new_customers.values() if c.country], batch_size=1000
        )
        for customer in created:
            by_email[customer.email] = customer.pk
            countries[customer.pk] = customer.country
        report.customers_created += len(created)
        skipped = {c.email for c in missing_country}
    else:
        skipped = set()

    ops = connection.ops
    now = ops.adapt_datetimefield_value(clock.now())
    values: list[tuple] = []
    for row in fresh:
        customer_id = (
            row.customer_id if row.customer_id is not None else by_email.get(row.customer_email)
        )
        if customer_id is None:
            reason = (
                "the new customer needs customer_country (or country)"
                if row.customer_email in skipped
                else "no such customer"
            )
            report.reject(rules.RowError(row.line, "customer_email", reason))
            continue
        if customer_id not in countries:
            report.reject(
                rules.RowError(row.line, "customer_id", f"no customer has id {customer_id}")
            )
            continue
        values.append(
            (
                row.serial_number,
                row.product_id,
                customer_id,
                ops.adapt_datefield_value(row.sold_on),
                ops.adapt_datefield_value(row.installed_on),
                row.country or countries[customer_id],
                row.dealer,
                now,
                now,
            )
        )
    # One prepared statement run over the batch: building a model instance per row costs
    # more than the insert itself at a million rows.
    table = Unit._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (serial_number, product_id, customer_id, sold_on, installed_on, "
            "country, dealer, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            values,
        )
    report.imported += len(values)
