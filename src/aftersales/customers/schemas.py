from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

Tier = Literal["standard", "premium", "key_account"]


class CustomerIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    country: str = Field(min_length=2, max_length=2)
    language: Literal["en", "es"] = "en"
    address: str = Field("", max_length=2000)
    tier: Tier = "standard"


class CustomerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    country: str | None = Field(None, min_length=2, max_length=2)
    language: Literal["en", "es"] | None = None
    address: str | None = Field(None, max_length=2000)
    tier: Tier | None = None


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    country: str
    language: str
    address: str
    tier: str
    created_at: datetime


class CustomerRef(Schema):
    id: int
    name: str


class UnitIn(Schema):
    serial_number: str = Field(min_length=1, max_length=80)
    sku: str = Field(min_length=1, max_length=60)
    customer_id: int
    sold_on: date
    installed_on: date | None = None
    country: str | None = Field(None, min_length=2, max_length=2)
    dealer: str = Field("", max_length=200)


class UnitPatch(Schema):
    customer_id: int | None = None
    sold_on: date | None = None
    installed_on: date | None = None
    country: str | None = Field(None, min_length=2, max_length=2)
    dealer: str | None = Field(None, max_length=200)


class UnitOut(Schema):
    id: int
    serial_number: str
    sku: str
    product_name: str
    customer: CustomerRef | None
    sold_on: date
    installed_on: date | None
    country: str
    dealer: str

    @staticmethod
    def resolve_sku(obj):
        return obj.product.sku

    @staticmethod
    def resolve_product_name(obj):
        return obj.product.name


class ContractIn(Schema):
    number: str = Field(min_length=1, max_length=40)
    customer_id: int
    serial_numbers: list[str] = []
    starts_on: date
    ends_on: date
    covers_parts: bool = True
    covers_labour: bool = True
    covers_travel: bool = False
    price: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    currency: str = Field("EUR", min_length=3, max_length=3)


class ContractPatch(Schema):
    serial_numbers: list[str] | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    covers_parts: bool | None = None
    covers_labour: bool | None = None
    covers_travel: bool | None = None
    price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)


class ContractOut(Schema):
    id: int
    number: str
    customer_id: int
    serial_numbers: list[str]
    starts_on: date
    ends_on: date
    covers_parts: bool
    covers_labour: bool
    covers_travel: bool
    price: Decimal
    currency: str

    @staticmethod
    def resolve_serial_numbers(obj):
        return sorted(u.serial_number for u in obj.units.all())


class Page(Schema):
    next: str | None
