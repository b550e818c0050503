from django.urls import path

from relintel.accounts import views

app_name = "accounts"

urlpatterns = [
    path("settings/", views.profile, name="profile"),
    path("settings/tokens/", views.token_list, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("manage/members/", views.member_list, name="members"),
    path("manage/members/<int:membership_id>/", views.member_edit, name="member_edit"),
    path("manage/invitations/new/", views.invitation_create, name="invite"),
    path("manage/invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("manage/teams/", views.team_list, name="teams"),
    path("manage/teams/<int:team_id>/", views.team_edit, name="team_edit"),
    path("manage/organization/", views.organization_settings, name="org_settings"),
    path("invite/<str:key>/", views.invitation_accept, name="invitation_accept"),
]
