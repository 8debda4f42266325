"""URL map of detection (filled in by its views)."""

from django.urls import URLPattern, URLResolver

app_name = "detection"

urlpatterns: list[URLPattern | URLResolver] = []
