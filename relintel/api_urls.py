"""The REST API (``/api/v1/``), its OpenAPI schema and interactive docs (served without a CDN)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from activities.api import InteractionViewSet
from contacts.api import CompanyViewSet, ContactViewSet, HelpOfferViewSet
from relintel import api_schema  # noqa: F401 - registers the token scheme with the schema generator

router = DefaultRouter()
router.register("companies", CompanyViewSet, basename="company")
router.register("contacts", ContactViewSet, basename="contact")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("help-offers", HelpOfferViewSet, basename="help-offer")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
