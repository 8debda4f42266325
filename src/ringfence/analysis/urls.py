"""URL map of analysis: campaigns, a campaign's systems, one system's figures, charts, sign-off, findings."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "analysis"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.campaign_list, name="campaigns"),
    path("<int:pk>/", views.campaign_detail, name="campaign"),
    path("<int:pk>/run/", views.campaign_run, name="run"),
    path("<int:pk>/verify/", views.campaign_verify, name="verify"),
    path("<int:pk>/systems/<str:code>/", views.system_detail, name="system"),
    path("<int:pk>/systems/<str:code>/chart/<str:kind>.png", views.system_chart, name="chart"),
    path("<int:pk>/systems/<str:code>/sign/", views.system_sign, name="sign"),
    path("<int:pk>/systems/<str:code>/findings/", views.finding_add, name="finding_add"),
    path("findings/<int:pk>/close/", views.finding_close, name="finding_close"),
]
