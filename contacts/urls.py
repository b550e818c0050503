from django.urls import path

from contacts import export_views, intro_views, merge_views, views
from contacts.imports import views as import_views

app_name = "contacts"

urlpatterns = [
    path("contacts/", views.contact_list, name="list"),
    path("contacts/new/", views.contact_create, name="create"),
    path("contacts/export/", export_views.contact_export, name="export"),
    path("contacts/import/", import_views.import_start, name="import"),
    path("contacts/import/<int:job_id>/", import_views.import_job, name="import_job"),
    path("contacts/import/<int:job_id>/mapping/", import_views.import_job_map, name="import_map"),
    path("contacts/import/<int:job_id>/mapping/edit/", import_views.import_job_remap, name="import_remap"),
    path("contacts/import/<int:job_id>/confirm/", import_views.import_job_confirm, name="import_confirm"),
    path("contacts/import/<int:job_id>/cancel/", import_views.import_job_cancel, name="import_cancel"),
    path("contacts/import/<int:job_id>/progress/", import_views.import_job_progress, name="import_progress"),
    path("contacts/<int:contact_id>/merge/", merge_views.merge_pick, name="merge_pick"),
    path("contacts/<int:contact_id>/merge/<int:other_id>/", merge_views.merge_compare, name="merge"),
    path("contacts/merges/", merge_views.merge_history, name="merge_history"),
    path("contacts/merges/<int:merge_id>/", merge_views.merge_detail, name="merge_detail"),
    path("contacts/merges/<int:merge_id>/undo/", merge_views.merge_undo, name="merge_undo"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="edit"),
    path("contacts/<int:contact_id>/delete/", views.contact_delete, name="delete"),
    path("contacts/<int:contact_id>/help/new/", views.help_offer_create, name="help_create"),
    path("contacts/duplicates/<int:candidate_id>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"),
    path("companies/", views.company_list, name="company_list"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/<int:company_id>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:company_id>/delete/", views.company_delete, name="company_delete"),
    path("help/", views.help_offer_list, name="help_list"),
    path("help/<int:offer_id>/edit/", views.help_offer_edit, name="help_edit"),
    path("help/<int:offer_id>/status/", views.help_offer_transition, name="help_transition"),
    path("contacts/<int:contact_id>/intros/", intro_views.intro_paths, name="intro_paths"),
    path("contacts/<int:contact_id>/intros/ask/", intro_views.intro_request_create, name="intro_request_create"),
    path("companies/<int:company_id>/intros/", intro_views.company_intro_paths, name="company_intro_paths"),
    path("intros/", intro_views.intro_request_list, name="intro_request_list"),
    path("intros/<int:request_id>/accept/", intro_views.intro_request_accept, name="intro_request_accept"),
    path("intros/<int:request_id>/decline/", intro_views.intro_request_decline, name="intro_request_decline"),
    path("intros/<int:request_id>/deliver/", intro_views.intro_request_deliver, name="intro_request_deliver"),
    path("intros/<int:request_id>/cancel/", intro_views.intro_request_cancel, name="intro_request_cancel"),
    path(
        "suggestions/<int:suggestion_id>/accept/", intro_views.intro_suggestion_accept, name="intro_suggestion_accept"
    ),
    path(
        "suggestions/<int:suggestion_id>/dismiss/",
        intro_views.intro_suggestion_dismiss,
        name="intro_suggestion_dismiss",
    ),
]
