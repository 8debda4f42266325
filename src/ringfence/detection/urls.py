"""URL map of detection: rule management pages."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "detection"

urlpatterns: list[URLPattern | URLResolver] = [
    path("rules/", views.rule_list, name="rules"),
    path("rules/<str:rule_id>/", views.rule_detail, name="rule"),
    path("rules/<str:rule_id>/setting/", views.rule_setting, name="rule_setting"),
]
