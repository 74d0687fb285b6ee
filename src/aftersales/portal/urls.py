from django.urls import path

from aftersales.portal import views

app_name = "portal"
urlpatterns = [
    path("track/", views.track, name="track"),
    path("quotes/<str:secret>/", views.quote, name="quote"),
]
