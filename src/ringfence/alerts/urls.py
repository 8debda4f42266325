"""URL map of alerts (filled in by its views)."""

from django.urls import URLPattern, URLResolver

app_name = "alerts"

urlpatterns: list[URLPattern | URLResolver] = []
