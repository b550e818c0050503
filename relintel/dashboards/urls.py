from django.urls import path

from relintel.dashboards import team_views, views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("today/<str:nudge_key>/act/", views.nudge_act, name="nudge_act"),
    path("today/<str:nudge_key>/undo/", views.nudge_undo, name="nudge_undo"),
    path("team/", team_views.team_dashboard, name="team"),
    path("team/export.csv", team_views.team_csv, name="team_csv"),
    path("team/targets/", team_views.team_targets, name="team_targets"),
    path("team/targets/<int:target_id>/remove/", team_views.team_target_remove, name="team_target_remove"),
]
