from django.urls import path

from aftersales.claims import views

app_name = "claims"
urlpatterns = [
    path("", views.claim_list, name="list"),
    path("new/", views.claim_new, name="new"),
    path("bulk-approve/", views.bulk_approve, name="bulk_approve"),
    path("statements/", views.statement_list, name="statements"),
    path("statements/<str:number>/", views.statement_detail, name="statement"),
    path("statements/<str:number>/statement.pdf", views.statement_pdf, name="statement_pdf"),
    path("statements/<str:number>/statement.csv", views.statement_csv, name="statement_csv"),
    path("scorecards/", views.scorecard_list, name="scorecards"),
    path("scorecards/<str:code>/", views.scorecard_detail, name="scorecard"),
    path("audits/", views.audit_list, name="audits"),
    path("audits/<int:audit_id>/record/", views.audit_record, name="audit_record"),
    path("<str:number>/", views.claim_detail, name="detail"),
    path(
        "<str:number>/attachments/<int:attachment_id>/",
        views.claim_attachment,
        name="attachment",
    ),
    path("<str:number>/do/<slug:action>/", views.claim_action, name="action"),
]
