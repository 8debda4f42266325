"""URL map of analysis (filled in by its views)."""

from django.urls import URLPattern, URLResolver

app_name = "analysis"

urlpatterns: list[URLPattern | URLResolver] = []
