from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DetectionConfig(AppConfig):
    name = "ringfence.detection"
    label = "detection"
    verbose_name = _("Detection")
    default_auto_field = "django.db.models.BigAutoField"
