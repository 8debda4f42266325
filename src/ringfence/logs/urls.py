from django.urls import path

from . import api, definition_views, views

app_name = "logs"
urlpatterns = [
    path("sources/", views.sources, name="sources"),
    path("quarantine/", views.quarantine, name="quarantine"),
    path("events/", views.search, name="search"),
    path("api/health/", api.health, name="api_health"),
    path("definitions/", definition_views.definition_list, name="definitions"),
    path("definitions/new/", definition_views.definition_edit, name="definition_new"),
    path("definitions/upload/", definition_views.definition_upload, name="definition_upload"),
    path("definitions/<str:source_id>/", definition_views.definition_detail, name="definition_detail"),
    path("definitions/<str:source_id>/edit/", definition_views.definition_edit, name="definition_edit"),
    path("definitions/<str:source_id>/toggle/", definition_views.definition_toggle, name="definition_toggle"),
    path(
        "definitions/<str:source_id>/download/",
        definition_views.definition_download,
        name="definition_download",
    ),
]
