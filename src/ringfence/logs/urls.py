from django.urls import path

from . import api, views

app_name = "logs"
urlpatterns = [
    path("sources/", views.sources, name="sources"),
    path("quarantine/", views.quarantine, name="quarantine"),
    path("events/", views.search, name="search"),
    path("api/health/", api.health, name="api_health"),
]
