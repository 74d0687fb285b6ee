from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Query, Router

from aftersales.cases import rules, schemas, selectors, services
from aftersales.core.api import DEFAULT_PAGE_SIZE, idempotent, json_response, page_by_id_desc
from aftersales.core.errors import NotFound
from aftersales.core.permissions import require
from aftersales.core.ratelimits import count_failure, refuse_if_exhausted
from aftersales.sla import schemas as sla_schemas
from aftersales.sla import selectors as sla_selectors

router = Router(tags=["cases"])
public_router = Router(tags=["public"])


def case_detail(viewer, number: str) -> dict:
    case = selectors.case_get(viewer, number)
    if case is None:
        raise NotFound(_("Case %(number)s") % {"number": number})
    out = schemas.CaseOut.from_orm(case).model_dump(mode="json")
    out["timeline"] = [
        schemas.EntryOut.from_orm(e).model_dump(mode="json") for e in selectors.timeline(case)
    ]
    out["allowed_statuses"] = [s.value for s in rules.allowed_next(case.status)]
    out["sla"] = [sla_schemas.clock_dict(view) for view in sla_selectors.clock_views(case)]
    return out


def _visible_or_404(request, number: str) -> None:
    if selectors.case_get(request.auth, number) is None:
        raise NotFound(_("Case %(number)s") % {"number": number})


@router.post("/cases", response={201: schemas.CaseOut, 200: schemas.CaseOut})
def case_open(request, payload: schemas.CaseIn):
    user = require(request, "cases.create")

    def create():
        case, reused = services.case_open(actor=user, **payload.model_dump())
        out = schemas.CaseOut.from_orm(case).model_dump(mode="json")
        out["reused"] = reused
        return (200 if reused else 201), out

    return idempotent(request, "cases", create)


class CaseQuery(schemas.Schema):
    status: list[schemas.StatusField] | None = None
    type: schemas.CaseTypeField | None = None
    priority: schemas.PriorityField | None = None
    owner: str | None = None
    customer_id: int | None = None
    serial_number: str | None = None
    q: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/cases", response=schemas.CasePage)
def case_list(request, query: Query[CaseQuery]):
    user = require(request, "cases.read")
    filters = selectors.CaseFilters(
        status=query.status,
        type=query.type,
        priority=query.priority,
        owner=query.owner,
        customer_id=query.customer_id,
        serial_number=query.serial_number,
        q=query.q,
    )
    items, next_cursor = page_by_id_desc(
        selectors.case_list(user, filters), cursor=query.cursor, limit=query.limit
    )
    return {"items": items, "next": next_cursor}


@router.get("/cases/{number}", response=schemas.CaseDetailOut)
def case_get(request, number: str):
    user = require(request, "cases.read")
    return json_response(200, case_detail(user, number))


@router.post("/cases/{number}/entries", response={201: schemas.EntryOut})
def case_add_entry(request, number: str, payload: schemas.EntryIn):
    user = require(request, "cases.write")
    _visible_or_404(request, number)
    entry = services.case_add_entry(number=number, actor=user, **payload.model_dump())
    return json_response(201, schemas.EntryOut.from_orm(entry).model_dump(mode="json"))


@router.post("/cases/{number}/handoff", response=schemas.CaseDetailOut)
def case_handoff(request, number: str, payload: schemas.HandoffIn):
    user = require(request, "cases.handoff")
    _visible_or_404(request, number)
    services.case_handoff(number=number, actor=user, to_username=payload.to, reason=payload.reason)
    return json_response(200, case_detail(user, number))


@router.post("/cases/{number}/status", response=schemas.CaseDetailOut)
def case_status(request, number: str, payload: schemas.StatusIn):
    user = require(request, "cases.status")
    _visible_or_404(request, number)
    services.case_change_status(
        number=number, actor=user, status=payload.status, reason=payload.reason
    )
    return json_response(200, case_detail(user, number))


def track_case(request, number: str, contact: str) -> dict:
    """Shared by the public API and the tracking page: failed attempts count against the
    client, so case numbers cannot be walked."""
    limit = settings.TRACK_FAILURE_RATE
    refuse_if_exhausted(request, group="track", rate=limit)
    tracked = selectors.case_for_tracking(number, contact)
    if tracked is None:
        count_failure(request, group="track", rate=limit)
        raise NotFound(_("A case with that number and contact"))
    case = tracked.case
    # Where the customer's product is, in plain words; nothing before it ever left them.
    from aftersales.workorders.selectors import unit_whereabouts

    where = None
    whereabouts = unit_whereabouts(case.unit) if case.unit_id else None
    if whereabouts is not None and whereabouts.kind is not None:
        where = {
            "label": whereabouts.label,
            "place": whereabouts.place,
            "centre": whereabouts.centre,
            "since": whereabouts.since,
            "in_our_hands": whereabouts.in_our_hands,
            "ready_for_pickup": whereabouts.ready_for_pickup,
        }
    return {
        "number": case.number,
        "status": case.status,
        "label": str(rules.CUSTOMER_LABELS[rules.Status(case.status)]),
        "summary": case.summary,
        "product": case.unit.product.name if case.unit_id else None,
        "last_update": tracked.last_update,
        "promised_by": sla_selectors.promised_by(case),
        "compensation": [
            {
                "amount": str(line.amount),
                "currency": line.currency,
                "reason": line.reason,
                "at": line.created_at,
            }
            for line in sla_selectors.compensation_lines(case, customer_only=True)
        ],
        "timeline": [{"at": e.at, "text": schemas.customer_text(e)} for e in tracked.entries],
        "where": where,
    }


@public_router.get("/track", response=schemas.TrackOut, auth=None)
def track(request, number: str = "", contact: str = ""):
    return track_case(request, number, contact)
