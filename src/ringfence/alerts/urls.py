"""URL map of alerts: the list and detail pages, triage actions, suppressions, notification channels."""

from django.urls import path

from . import channel_views, views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("<int:pk>/triage/", views.alert_triage, name="triage"),
    path("<int:pk>/comment/", views.alert_comment, name="comment"),
    path("<int:pk>/timeline/", views.alert_timeline, name="timeline"),
    path("suppressions/", views.suppression_list, name="suppressions"),
    path("suppressions/new/", views.suppression_create, name="suppression_new"),
    path("suppressions/<int:pk>/end/", views.suppression_end, name="suppression_end"),
    path("channels/", channel_views.channel_list, name="channels"),
    path("channels/new/", channel_views.channel_edit, name="channel_new"),
    path("channels/<int:pk>/", channel_views.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/test/", channel_views.channel_test, name="channel_test"),
]
