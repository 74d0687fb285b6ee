"""What the service-network API takes and gives: centres, partners, staff bases."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

MONEY_PATTERN = r"^\d{1,8}(\.\d{1,2})?$"


class CentreIn(Schema):
    code: str = Field(min_length=1, max_length=30)
    name: str = Field("", max_length=200)
    region: str = Field(min_length=1, max_length=60)
    time_zone: str = Field("UTC", max_length=64, examples=["Europe/Madrid"])
    parent_code: str | None = Field(None, max_length=30, description="Set for a branch.")
    address: str = Field("", max_length=2000)
    country: str = Field("", max_length=2)
    calendar_code: str | None = Field(None, max_length=40)
    product_lines: list[str] = Field(default_factory=list, max_length=100)
    currency: str = Field("EUR", min_length=3, max_length=3)


class CentreOut(Schema):
    code: str
    name: str
    parent: str | None
    branches: list[str]
    address: str
    country: str
    region: str
    time_zone: str
    calendar: str | None
    product_lines: list[str]
    currency: str
    active: bool
    created_at: datetime


class CentrePage(Schema):
    items: list[CentreOut]
    next: str | None


class PartnerIn(Schema):
    code: str = Field(min_length=1, max_length=30)
    name: str = Field("", max_length=200)
    regions: list[str] = Field(default_factory=list, max_length=100)
    product_lines: list[str] = Field(default_factory=list, max_length=100)
    labour_rate: str = Field("0", pattern=MONEY_PATTERN, examples=["30.00"])
    currency: str = Field("EUR", min_length=3, max_length=3)
    time_zone: str = Field("UTC", max_length=64)


class PartnerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    regions: list[str] | None = Field(None, max_length=100)
    product_lines: list[str] | None = Field(None, max_length=100)
    labour_rate: str | None = Field(None, pattern=MONEY_PATTERN)
    currency: str | None = Field(None, min_length=3, max_length=3)
    time_zone: str | None = Field(None, max_length=64)
    active: bool | None = None


class PartnerOut(Schema):
    code: str
    name: str
    regions: list[str]
    product_lines: list[str]
    labour_rate: str = Field(description="Per hour, two decimals, in `currency`.")
    currency: str
    time_zone: str
    active: bool
    created_at: datetime


class PartnerPage(Schema):
    items: list[PartnerOut]
    next: str | None


class StaffCentreIn(Schema):
    centre_code: str | None = Field(None, max_length=30, description="None: based nowhere.")


class StaffCentreOut(Schema):
    username: str
    role: str
    centre: str | None
