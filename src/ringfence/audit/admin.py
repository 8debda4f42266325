"""Read-only view of the audit trail in the admin site (the database refuses changes anyway)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Lists and shows audit events; adding, changing and deleting are not offered."""

    list_display = ("at", "actor", "action", "target_type", "target_ref", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor", "target_ref")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
