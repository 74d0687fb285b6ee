from django.urls import path

from aftersales.returns import views

app_name = "returns"
urlpatterns = [
    path("rmas/", views.rma_list, name="list"),
    path("rmas/receiving/", views.receiving_desk, name="receiving"),
    path("rmas/<str:number>/", views.rma_detail, name="detail"),
    path("rmas/<str:number>/label.pdf", views.rma_label, name="label"),
    path(
        "rmas/<str:number>/lines/<int:line_id>/credit-note.pdf",
        views.credit_note,
        name="credit_note",
    ),
    path("rmas/<str:number>/do/<slug:action>/", views.rma_action, name="action"),
    path("cases/<str:number>/remedy/", views.case_remedy_decide, name="case_remedy"),
    # The customer's pages.
    path("returns/start/", views.portal_start, name="portal_start"),
    path("returns/track/", views.portal_track, name="portal_track"),
    path("returns/<str:number>/", views.portal_detail, name="portal_detail"),
    path("returns/<str:number>/label.pdf", views.portal_label, name="portal_label"),
]
