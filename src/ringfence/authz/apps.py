from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthzConfig(AppConfig):
    name = "ringfence.authz"
    label = "authz"
    verbose_name = _("Roles and scope")
    default_auto_field = "django.db.models.BigAutoField"
