from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "relintel.demo"
    label = "demo"
    verbose_name = "Demo data"
