from django.urls import path

from aftersales.inventory import views

app_name = "inventory"
urlpatterns = [
    path("parts/", views.part_search, name="parts"),
    path("parts/<str:number>/", views.part_detail, name="part_detail"),
    path("stock/locations/", views.location_list, name="locations"),
    path("stock/locations/<str:code>/", views.location_detail, name="location_detail"),
    path("stock/receive/", views.receive, name="receive"),
    path("stock/transfer/", views.transfer, name="transfer"),
    path("stock/adjust/", views.adjust, name="adjust"),
    path("stock/count/", views.count, name="count"),
    path(
        "stock/transfers/<str:number>/receive/",
        views.transfer_receive,
        name="transfer_receive",
    ),
    path("stock/replenishment/", views.replenishment, name="replenishment"),
    path("stock/replenishment/run/", views.replenishment_run, name="replenishment_run"),
    path("stock/replenishment/<int:run_id>.csv", views.replenishment_csv, name="replenishment_csv"),
    path("stock/replenishment/<int:run_id>.pdf", views.replenishment_pdf, name="replenishment_pdf"),
    path("stock/defective/", views.defective_list, name="defective"),
    path(
        "stock/defective/<str:number>/receive/",
        views.defective_receive,
        name="defective_receive",
    ),
    path(
        "stock/defective/<str:number>/inspect/",
        views.defective_inspect,
        name="defective_inspect",
    ),
    path("stock/defective/<str:number>/close/", views.defective_close, name="defective_close"),
    path("stock/reconciliation/", views.reconciliation, name="reconciliation"),
]
