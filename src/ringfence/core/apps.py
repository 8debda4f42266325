from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ringfence.core"
    label = "core"
    verbose_name = "Core"
