"""Who may do what. Roles are fixed words; permissions map an action to the roles allowed."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    TECHNICIAN = "technician"
    WAREHOUSE = "warehouse"
    PARTNER = "partner"


ALL = frozenset(Role)
BRAND_STAFF = ALL - {Role.PARTNER}
OFFICE = frozenset({Role.ADMIN, Role.MANAGER, Role.SUPERVISOR, Role.AGENT})
CONFIGURERS = frozenset({Role.ADMIN, Role.MANAGER})
DISPATCHERS = frozenset({Role.ADMIN, Role.MANAGER, Role.SUPERVISOR})

PERMISSIONS: dict[str, frozenset[Role]] = {
    "catalog.read": ALL,
    "catalog.write": CONFIGURERS,
    "customers.read": BRAND_STAFF,
    "customers.write": OFFICE,
    "units.read": ALL,
    "units.write": OFFICE,
    "contracts.read": BRAND_STAFF,
    "contracts.write": OFFICE,
    "cases.read": ALL,
    "cases.create": ALL - {Role.WAREHOUSE},
    "cases.write": ALL - {Role.WAREHOUSE},
    "cases.handoff": OFFICE,
    "cases.status": ALL - {Role.WAREHOUSE},
    "sla.read": BRAND_STAFF,
    "sla.write": CONFIGURERS,
    "sla.at_risk": ALL,
    "sla.events": OFFICE,
    "network.read": ALL,
    "network.write": CONFIGURERS,
    "workorders.read": ALL,
    "workorders.create": OFFICE | {Role.PARTNER},
    "workorders.dispatch": DISPATCHERS,
    "workorders.work": DISPATCHERS | {Role.TECHNICIAN, Role.PARTNER},
    "workorders.verify": DISPATCHERS,
    "workorders.custody": ALL,
    "workorders.quote": ALL - {Role.WAREHOUSE},
    "workorders.approve": OFFICE | {Role.PARTNER},
    "workorders.close": OFFICE | {Role.PARTNER},
    "workorders.report": DISPATCHERS | {Role.TECHNICIAN},
    "billing.invoice": OFFICE | {Role.PARTNER},
    "billing.payment": OFFICE | {Role.PARTNER},
    # Parts: everyone who repairs looks stock up; the warehouse and dispatchers move it, and
    # technicians and partners move what they hold (scoped to their own locations).
    "stock.read": ALL,
    "stock.write": DISPATCHERS | {Role.WAREHOUSE, Role.TECHNICIAN, Role.PARTNER},
    "stock.adjust": DISPATCHERS | {Role.WAREHOUSE},
    "stock.plan": DISPATCHERS | {Role.WAREHOUSE},
    "stock.reconcile": DISPATCHERS | {Role.WAREHOUSE},
    # Returns: the office requests and authorises, the warehouse receives and inspects,
    # supervisors decide against the engine's recommendation; partners handle their own.
    "returns.read": ALL,
    "returns.write": OFFICE | {Role.PARTNER},
    "returns.authorise": DISPATCHERS,
    "returns.receive": DISPATCHERS | {Role.WAREHOUSE, Role.PARTNER},
    "returns.inspect": DISPATCHERS | {Role.WAREHOUSE, Role.TECHNICIAN, Role.PARTNER},
    "returns.resolve": DISPATCHERS | {Role.PARTNER},
    "returns.override": DISPATCHERS,
    # Claims: partners file and answer their own; supervisors and up review and audit;
    # managers issue statements and set labour standards. Technicians and the warehouse
    # have no part in warranty money.
    "claims.read": OFFICE | {Role.PARTNER},
    "claims.submit": CONFIGURERS | {Role.PARTNER},
    "claims.reply": CONFIGURERS | {Role.PARTNER},
    "claims.review": DISPATCHERS,
    "claims.audit": DISPATCHERS,
    "claims.statement": CONFIGURERS,
    "claims.configure": CONFIGURERS,
}


def allowed(role: str, action: str) -> bool:
    return role in PERMISSIONS[action]


def becomes_owner(role: str) -> bool:
    """A case opened by brand staff is owned by its opener; one opened by a partner or the
    public waits in `new` for the brand to take it: the brand stays answerable."""
    return role in OFFICE or role == Role.TECHNICIAN


def requires_partner(role: str) -> bool:
    return role == Role.PARTNER
