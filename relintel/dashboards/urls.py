from django.urls import path

from relintel.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("today/<str:nudge_key>/act/", views.nudge_act, name="nudge_act"),
    path("today/<str:nudge_key>/undo/", views.nudge_undo, name="nudge_undo"),
    path("team/", views.team, name="team"),
]
