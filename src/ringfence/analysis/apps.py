from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    """Periodic access-log analysis (アクセスログ分析) and go-live verification, with signed reports."""

    name = "ringfence.analysis"
    label = "analysis"
    verbose_name = _("Access-log analysis")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (registers the go-live signal; Huey discovers tasks.py itself)
