from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/<str:employee_number>/", views.person, name="person"),
    path("units/", views.units, name="units"),
    path("systems/", views.systems, name="systems"),
    path("systems/<str:code>/", views.system, name="system"),
    path("accounts/", views.accounts, name="accounts"),
    path("terminals/", views.terminals, name="terminals"),
]
