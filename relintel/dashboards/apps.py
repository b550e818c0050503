from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "relintel.dashboards"
    label = "dashboards"
