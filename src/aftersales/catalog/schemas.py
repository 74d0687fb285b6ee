from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema


class CountryMonths(Schema):
    country: str = Field(min_length=2, max_length=2)
    months: int = Field(ge=1, le=600)


class PolicyIn(Schema):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(max_length=200)
    months: int = Field(ge=1, le=600)
    covers_parts: bool = True
    covers_labour: bool = True
    covers_travel: bool = False
    starts_from: Literal["sale", "installation"] = "sale"
    country_overrides: list[CountryMonths] = []
    exclusions: str = ""


class PolicyPatch(Schema):
    name: str | None = Field(None, max_length=200)
    months: int | None = Field(None, ge=1, le=600)
    covers_parts: bool | None = None
    covers_labour: bool | None = None
    covers_travel: bool | None = None
    starts_from: Literal["sale", "installation"] | None = None
    country_overrides: list[CountryMonths] | None = None
    exclusions: str | None = None


class PolicyOut(Schema):
    id: int
    code: str
    name: str
    months: int
    covers_parts: bool
    covers_labour: bool
    covers_travel: bool
    starts_from: str
    country_overrides: list[CountryMonths]
    exclusions: str
    updated_at: datetime

    @staticmethod
    def resolve_country_overrides(obj):
        return [{"country": o.country, "months": o.months} for o in obj.country_overrides.all()]


class ProductIn(Schema):
    sku: str = Field(min_length=1, max_length=60)
    name: str = Field(max_length=200)
    category: str = Field(min_length=1, max_length=80)
    warranty_policy: str = Field(min_length=1, max_length=40)


class ProductPatch(Schema):
    name: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=80)
    warranty_policy: str | None = Field(None, max_length=40)


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category: str
    warranty_policy: str

    @staticmethod
    def resolve_warranty_policy(obj):
        return obj.warranty_policy.code
