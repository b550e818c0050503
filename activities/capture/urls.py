from django.urls import path

from activities.capture import upload_views, views

app_name = "capture"

urlpatterns = [
    path("settings/capture/", views.settings_page, name="settings"),
    # One route per kind (no id in the path: the form is the member's own).
    path("settings/capture/new/imap/", views.account_create, {"kind": "imap"}, name="account_new_imap"),
    path("settings/capture/new/caldav/", views.account_create, {"kind": "caldav"}, name="account_new_caldav"),
    path("settings/capture/new/ics/", views.account_create, {"kind": "ics"}, name="account_new_ics"),
    path("settings/capture/<int:account_id>/edit/", views.account_edit, name="account_edit"),
    path("settings/capture/<int:account_id>/test/", views.account_test, name="account_test"),
    path("settings/capture/<int:account_id>/sync/", views.account_sync, name="account_sync"),
    path("settings/capture/<int:account_id>/pause/", views.account_pause, name="account_pause"),
    path("settings/capture/<int:account_id>/resume/", views.account_resume, name="account_resume"),
    path("settings/capture/<int:account_id>/remove/", views.account_remove, name="account_remove"),
    path("settings/capture/bcc-address/reset/", views.logging_address_reset, name="logging_address_reset"),
    path("settings/capture/exclusions/", views.exclusion_add, name="exclusion_add"),
    path("settings/capture/exclusions/<int:exclusion_id>/remove/", views.exclusion_remove, name="exclusion_remove"),
    path("manage/capture/", views.manage_page, name="manage"),
    path("capture/why/", views.why_page, name="why"),
    path("capture/upload/", upload_views.capture_upload, name="upload"),
]
