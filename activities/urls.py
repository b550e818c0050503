from django.urls import path

from activities import scoring_views, views

app_name = "activities"

# The contact and company pages live here because they show timelines, and only
# activities may import both contacts and activities.
urlpatterns = [
    path("contacts/<int:contact_id>/", views.contact_page, name="contact_page"),
    path("companies/<int:company_id>/", views.company_page, name="company_page"),
    path("contacts/<int:contact_id>/log/", views.interaction_log, name="log"),
    path("interactions/<int:interaction_id>/", views.interaction_detail, name="detail"),
    path("interactions/<int:interaction_id>/edit/", views.interaction_edit, name="edit"),
    path("interactions/<int:interaction_id>/delete/", views.interaction_delete, name="delete"),
    path("manage/scoring/", scoring_views.scoring_settings, name="scoring_settings"),
    path("manage/scoring/rescore/", scoring_views.scoring_rescore, name="scoring_rescore"),
]
