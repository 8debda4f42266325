"""Home page: the registry's headline counts within the user's scope, as of a date."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm
from ringfence.authz.services import access_for
from ringfence.registry.selectors.browse import headline_counts

from .asof import as_of_from_request


@require(Perm.REGISTRY_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    """Headline counts (people, units, systems, accounts, terminals) the user reaches as of the date."""
    as_of = as_of_from_request(request)
    access = access_for(request, as_of.at)
    return render(
        request,
        "web/home.html",
        {"as_of": as_of, "counts": headline_counts(access.scope), "access": access},
    )
