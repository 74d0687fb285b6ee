from __future__ import annotations

from aftersales.accounts.models import User
from aftersales.billing.models import Invoice
from aftersales.workorders.selectors import visible_work_orders


def invoice_get(viewer: User, number: str) -> Invoice | None:
    return (
        Invoice.objects.filter(
            number=number.strip().upper(), work_order__in=visible_work_orders(viewer)
        )
        .select_related("customer", "work_order", "work_order__case")
        .first()
    )
