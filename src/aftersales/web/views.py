from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def dashboard(request):
    return render(request, "web/dashboard.html", {})


login_view = auth_views.LoginView.as_view(template_name="web/login.html")
logout_view = auth_views.LogoutView.as_view()
