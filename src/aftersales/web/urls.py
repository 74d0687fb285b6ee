from django.urls import path

from aftersales.web import views

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("search/", views.search, name="search"),
    path("intake/", views.intake, name="intake"),
    path("intake/search/", views.intake_search, name="intake_search"),
    path("intake/case/", views.intake_open_case, name="intake_open_case"),
    path("intake/customer/", views.intake_new_customer, name="intake_new_customer"),
    path("intake/unit/", views.intake_register_unit, name="intake_register_unit"),
    path("cases/", views.case_list, name="case_list"),
    path("at-risk/", views.at_risk, name="at_risk"),
    path("cases/<str:number>/", views.case_detail, name="case_detail"),
    path("cases/<str:number>/entries/", views.case_add_entry, name="case_add_entry"),
    path("cases/<str:number>/handoff/", views.case_handoff, name="case_handoff"),
    path("cases/<str:number>/status/", views.case_change_status, name="case_change_status"),
    path("units/<path:serial>/", views.unit_detail, name="unit_detail"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
]
