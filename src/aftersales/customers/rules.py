"""Normalising what people type about customers: phone numbers, e-mails, countries."""

from __future__ import annotations

import re

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


def phone_search_variants(raw: str, default_country: str | None = None) -> list[str]:
    """What a typed phone may be stored as: its E.164 form and its bare digits."""
    variants = {normalise_phone(raw, default_country), re.sub(r"[^\d+]", "", raw.strip())}
    return [v for v in variants if v]
