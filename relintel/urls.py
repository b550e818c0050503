from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("relintel.accounts.urls")),
    path("api/", include("relintel.api_urls")),
    path("", include("relintel.dashboards.urls")),
    path("", include("activities.urls")),
    path("", include("activities.capture.urls")),
    path("", include("contacts.urls")),
    path("", include("sync.urls")),
]
