"""Normalising what people type about customers: phone numbers, e-mails, countries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import phonenumbers

COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def normalise_phone(raw: str, country: str | None) -> str:
    """E.164 where the number parses for the customer's country (or carries its own +code);
    otherwise the digits and a leading + as typed, so nothing the customer said is lost."""
    text = raw.strip()
    if not text:
        return ""
    try:
        parsed = phonenumbers.parse(text, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    kept = re.sub(r"[^\d+]", "", text)
    return kept


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


def normalise_country(raw: str) -> str:
    return raw.strip().upper()


def is_country_code(value: str) -> bool:
    return bool(COUNTRY_CODE.match(value))


def phone_search_variants(raw: str, regions: Sequence[str] = ()) -> list[str]:
    """What a typed phone may be stored as: its E.164 form read in each region the service
    works in (a national number carries no country code), and its bare digits."""
    variants = {normalise_phone(raw, None), re.sub(r"[^\d+]", "", raw.strip())}
    variants.update(normalise_phone(raw, region) for region in regions)
    return sorted(v for v in variants if v)


# Import rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    line: int
    serial_number: str
    product_id: int
    customer_email: str
    customer_id: int | None
    customer_name: str
    customer_phone: str
    customer_country: str
    sold_on: date
    installed_on: date | None
    country: str
    dealer: str


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


def _parse_date(text: str) -> date:
    return date.fromisoformat(text.strip())


def check_unit_row(line: int, row: dict, sku_ids: dict[str, int]) -> UnitRow | RowError:
    """One row of a units file, checked on its own (no database): the row or why it is bad."""
    serial = (row.get("serial_number") or "").strip()
    if not serial:
        return RowError(line, "serial_number", "is empty")
    if len(serial) > 80:
        return RowError(line, "serial_number", "is longer than 80 characters")
    sku = (row.get("sku") or "").strip()
    product_id = sku_ids.get(sku)
    if product_id is None:
        return RowError(line, "sku", f"no product has SKU {sku!r}")
    try:
        sold_on = _parse_date(row.get("sold_on") or "")
    except ValueError:
        return RowError(line, "sold_on", f"{row.get('sold_on')!r} is not a date (YYYY-MM-DD)")
    installed_raw = (row.get("installed_on") or "").strip()
    installed_on = None
    if installed_raw:
        try:
            installed_on = _parse_date(installed_raw)
        except ValueError:
            return RowError(line, "installed_on", f"{installed_raw!r} is not a date (YYYY-MM-DD)")
        if installed_on < sold_on:
            return RowError(line, "installed_on", "is before sold_on")
    customer_id = None
    raw_id = (row.get("customer_id") or "").strip()
    if raw_id:
        if not raw_id.isdigit():
            return RowError(line, "customer_id", f"{raw_id!r} is not a number")
        customer_id = int(raw_id)
    email = normalise_email(row.get("customer_email") or "")
    if customer_id is None and not email:
        return RowError(line, "customer_email", "is empty (give customer_email or customer_id)")
    if email and ("@" not in email or len(email) > 254):
        return RowError(line, "customer_email", f"{email!r} is not an e-mail address")
    customer_country = normalise_country(row.get("customer_country") or row.get("country") or "")
    if customer_country and not is_country_code(customer_country):
        return RowError(
            line, "customer_country", f"{customer_country!r} is not an ISO country code"
        )
    country = normalise_country(row.get("country") or "")
    if country and not is_country_code(country):
        return RowError(line, "country", f"{country!r} is not an ISO country code")
    return UnitRow(
        line=line,
        serial_number=serial,
        product_id=product_id,
        customer_email=email,
        customer_id=customer_id,
        customer_name=(row.get("customer_name") or "").strip()[:200],
        customer_phone=(row.get("customer_phone") or "").strip(),
        customer_country=customer_country,
        sold_on=sold_on,
        installed_on=installed_on,
        country=country,
        dealer=(row.get("dealer") or "").strip()[:200],
    )
