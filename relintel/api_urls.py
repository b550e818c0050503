"""The REST API (``/api/v1/``), its OpenAPI schema and interactive docs (served without a CDN)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from activities.api import InteractionViewSet
from activities.capture.api import CaptureAccountViewSet, CapturePolicyView, ExclusionViewSet, SkippedMessageViewSet
from activities.capture.upload_api import CaptureUploadViewSet
from activities.relationship_api import ContactRelationshipsView, RelationshipViewSet, ScoringPolicyView
from contacts.api import CompanyViewSet, ContactViewSet, HelpOfferViewSet
from contacts.imports.api import ContactExportView, ContactImportViewSet, ContactMergeViewSet
from contacts.intro_api import (
    CompanyIntroPathsView,
    ContactIntroPathsView,
    IntroRequestViewSet,
    IntroSuggestionViewSet,
)
from relintel import api_schema  # noqa: F401 - registers the token scheme with the schema generator
from relintel.dashboards.team_api import TargetAccountViewSet, TeamDashboardView
from relintel.dashboards.today_api import NudgeActionView, NudgeListView
from sync.api import (
    SalesforceConnectionDisconnectView,
    SalesforceConnectionTestView,
    SalesforceConnectionView,
    SalesforceHealthView,
    SalesforceMappingView,
    SalesforceOutboxViewSet,
)

router = DefaultRouter()
router.register("companies", CompanyViewSet, basename="company")
router.register("contacts", ContactViewSet, basename="contact")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("help-offers", HelpOfferViewSet, basename="help-offer")
router.register("intro-requests", IntroRequestViewSet, basename="intro-request")
router.register("intro-suggestions", IntroSuggestionViewSet, basename="intro-suggestion")
router.register("contact-imports", ContactImportViewSet, basename="contact-import")
router.register("contact-merges", ContactMergeViewSet, basename="contact-merge")
router.register("relationships", RelationshipViewSet, basename="relationship")
router.register("capture-accounts", CaptureAccountViewSet, basename="capture-account")
router.register("exclusions", ExclusionViewSet, basename="exclusion")
router.register("skipped-messages", SkippedMessageViewSet, basename="skipped-message")
router.register("capture-uploads", CaptureUploadViewSet, basename="capture-upload")
router.register("salesforce-outbox", SalesforceOutboxViewSet, basename="salesforce-outbox")
router.register("target-accounts", TargetAccountViewSet, basename="target-account")

urlpatterns = [
    path("v1/capture-policy/", CapturePolicyView.as_view(), name="capture-policy"),
    path("v1/scoring-policy/", ScoringPolicyView.as_view(), name="scoring-policy"),
    path(
        "v1/contacts/<int:contact_id>/relationships/", ContactRelationshipsView.as_view(), name="contact-relationships"
    ),
    path("v1/contacts/<int:contact_id>/intro-paths/", ContactIntroPathsView.as_view(), name="contact-intro-paths"),
    path("v1/companies/<int:company_id>/intro-paths/", CompanyIntroPathsView.as_view(), name="company-intro-paths"),
    path("v1/dashboards/team/", TeamDashboardView.as_view(), name="dashboard-team"),
    path("v1/nudges/", NudgeListView.as_view(), name="nudge-list"),
    path("v1/nudges/<str:nudge_key>/actions/", NudgeActionView.as_view(), name="nudge-actions"),
    path("v1/salesforce-connection/", SalesforceConnectionView.as_view(), name="salesforce-connection"),
    path("v1/salesforce-connection/test/", SalesforceConnectionTestView.as_view(), name="salesforce-connection-test"),
    path(
        "v1/salesforce-connection/disconnect/",
        SalesforceConnectionDisconnectView.as_view(),
        name="salesforce-connection-disconnect",
    ),
    path("v1/salesforce-health/", SalesforceHealthView.as_view(), name="salesforce-health"),
    path("v1/salesforce-mapping/", SalesforceMappingView.as_view(), name="salesforce-mapping"),
    # Before the router: "export" is not a contact id.
    path("v1/contacts/export/", ContactExportView.as_view(), name="contact-export"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
