from django.urls import path

from . import views

app_name = "identity"
urlpatterns = [
    path("", views.home, name="home"),
    path("findings/", views.finding_list, name="findings"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("upload/", views.upload, name="upload"),
    path("runs/", views.run_list, name="runs"),
    path("reviews/", views.campaign_list, name="campaigns"),
    path("reviews/<int:pk>/", views.campaign_detail, name="campaign"),
    path("reviews/<int:pk>/items/", views.campaign_review, name="review"),
    path("reviews/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("reviews/items/<int:pk>/decide/", views.decide, name="decide"),
    path("passwords/", views.password_list, name="passwords"),
    path("passwords/<int:pk>/", views.password_detail, name="password"),
    path("auth-checks/", views.auth_checks, name="auth_checks"),
    path("auth-checks/<str:code>/", views.auth_check_review, name="auth_check"),
]
