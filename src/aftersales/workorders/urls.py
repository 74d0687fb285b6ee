from django.urls import path

from aftersales.workorders import views

app_name = "workorders"
urlpatterns = [
    path("work-orders/", views.work_order_list, name="list"),
    path("work-orders/<str:number>/", views.work_order_detail, name="detail"),
    path("work-orders/<str:number>/pdf/", views.work_order_pdf, name="pdf"),
    path("work-orders/<str:number>/do/<slug:action>/", views.work_order_action, name="action"),
    path("cases/<str:number>/work-orders/", views.case_new_work_order, name="case_new"),
    path("receipts/<str:number>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("invoices/<str:number>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("dispatch/", views.dispatch, name="dispatch"),
    path("dispatch/assign/", views.dispatch_assign, name="dispatch_assign"),
    path("my-day/", views.my_day, name="my_day"),
    path("technicians/<str:username>/record/", views.service_record, name="record"),
    path("technicians/<str:username>/record.pdf", views.service_record_pdf, name="record_pdf"),
    path("technicians/<str:username>/record.csv", views.service_record_csv, name="record_csv"),
]
