from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogsConfig(AppConfig):
    name = "ringfence.logs"
    label = "logs"
    verbose_name = _("Access logs")
    default_auto_field = "django.db.models.BigAutoField"
