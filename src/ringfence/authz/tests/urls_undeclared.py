"""A URL map with one view that forgot to declare its permission, and one that did."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm


def forgot_to_declare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


@require(Perm.REGISTRY_VIEW)
def declared(request: HttpRequest) -> HttpResponse:
    return HttpResponse("fine")


urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("undeclared/", forgot_to_declare),
    path("declared/", declared),
    path("", include("ringfence.urls")),
]
