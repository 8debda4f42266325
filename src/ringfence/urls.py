"""URL map. Every view behind these paths is checked by authz.middleware.DefaultDenyMiddleware."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("registry/", include("ringfence.registry.urls")),
    path("audit/", include("ringfence.audit.urls")),
    path("logs/", include("ringfence.logs.urls")),
    path("identity/", include("ringfence.identity.urls")),
    path("detection/", include("ringfence.detection.urls")),
    path("alerts/", include("ringfence.alerts.urls")),
    path("analysis/", include("ringfence.analysis.urls")),
    path("", include("ringfence.web.urls")),
]
