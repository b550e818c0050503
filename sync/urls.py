from django.urls import path

from sync import views, views_health, views_mapping

app_name = "sync"

urlpatterns = [
    path("manage/salesforce/", views.manage_page, name="manage"),
    path("manage/salesforce/connect/", views.connect, name="connect"),
    path("manage/salesforce/callback/", views.callback, name="callback"),
    path("manage/salesforce/test/", views.test, name="test"),
    path("manage/salesforce/disconnect/", views.disconnect, name="disconnect"),
    path("manage/salesforce/health/", views_health.health_page, name="health"),
    path("manage/salesforce/health/initial-sync/", views_health.initial_sync, name="initial_sync"),
    path("manage/salesforce/outbox/retry-failed/", views_health.outbox_retry_failed, name="outbox_retry_failed"),
    path("manage/salesforce/outbox/<int:outbox_entry_id>/retry/", views_health.outbox_retry, name="outbox_retry"),
    path("manage/salesforce/records/<str:kind>/<int:local_id>/", views_health.record_history, name="record_history"),
    path("manage/salesforce/mapping/", views_mapping.mapping_page, name="mapping"),
    path("manage/salesforce/mapping/check/", views_mapping.mapping_check, name="mapping_check"),
]
