"""Top-level URL configuration."""

from django.urls import include, path

from portal import views

portal_patterns = ([path("", views.dashboard, name="dashboard")], "portal")

urlpatterns = [
    path("", include(portal_patterns)),
    path("", include("accounts.urls")),
    path("billing/", include("billing.urls")),
]
