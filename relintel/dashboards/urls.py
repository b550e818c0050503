from django.urls import path

from relintel.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("team/", views.team, name="team"),
]
