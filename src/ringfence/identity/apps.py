from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    """ID governance (ID管理): reconciliation, certification, password campaigns, authentication checks."""

    name = "ringfence.identity"
    label = "identity"
    verbose_name = _("ID governance")
    default_auto_field = "django.db.models.BigAutoField"
