"""The REST API at /api/v1: one NinjaAPI, one router per domain."""

from __future__ import annotations

from ninja import NinjaAPI

from aftersales.cases.api import public_router as public_case_router
from aftersales.cases.api import router as case_router
from aftersales.catalog.api import router as catalog_router
from aftersales.claims.api import router as claims_router
from aftersales.core.api import API_AUTH, install_error_handlers
from aftersales.customers.api import router as customer_router
from aftersales.inventory.api import router as inventory_router
from aftersales.network.api import router as network_router
from aftersales.returns.api import router as returns_router
from aftersales.sla.api import router as sla_router
from aftersales.warranty.api import router as warranty_router
from aftersales.workorders.api import router as workorder_router

api = NinjaAPI(
    title="Aftersales API",
    version="1",
    urls_namespace="api",
    auth=API_AUTH,
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("", catalog_router)
api.add_router("", customer_router)
api.add_router("", warranty_router)
api.add_router("", case_router)
api.add_router("", public_case_router)
api.add_router("", sla_router)
api.add_router("", network_router)
api.add_router("", workorder_router)
api.add_router("", inventory_router)
api.add_router("", returns_router)
api.add_router("", claims_router)
