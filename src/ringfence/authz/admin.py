"""Administration of role assignments (admins only: the admin site needs the admin.site permission)."""

from __future__ import annotations

from django.contrib import admin

from .models import RoleAssignment


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Who holds which role, over which units and systems, until when."""

    list_display = ("user", "role", "valid_from", "valid_until")
    list_filter = ("role",)
    search_fields = ("user__username",)
    filter_horizontal = ("units", "systems")
