"""Top-level URL configuration."""

from django.urls import include, path

from monitoring import views as monitoring_views
from portal import views

portal_patterns = ([path("", views.dashboard, name="dashboard")], "portal")

urlpatterns = [
    path("", include(portal_patterns)),
    path("", include("accounts.urls")),
    path("billing/", include("billing.urls")),
    path("trunks/", include("trunks.urls")),
    path("numbers/", include("phone_numbers.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("credentials/", include("credentials.urls")),
    # Probes: no session; /metrics checks its own bearer token.
    path("healthz", monitoring_views.healthz, name="healthz"),
    path("metrics", monitoring_views.metrics_view, name="metrics"),
]
