from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    name = "ringfence.analysis"
    label = "analysis"
    verbose_name = _("Access-log analysis")
    default_auto_field = "django.db.models.BigAutoField"
