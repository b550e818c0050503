from django.urls import path

from sync import views

app_name = "sync"

urlpatterns = [
    path("manage/salesforce/", views.manage_page, name="manage"),
    path("manage/salesforce/connect/", views.connect, name="connect"),
    path("manage/salesforce/callback/", views.callback, name="callback"),
    path("manage/salesforce/test/", views.test, name="test"),
    path("manage/salesforce/disconnect/", views.disconnect, name="disconnect"),
]
