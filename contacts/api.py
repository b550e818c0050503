"""REST API for companies, contacts and help offers (``/api/v1/``).

Serializers check shapes; every read goes through ``contacts.selectors`` scoped
to ``request.membership`` and every write through ``contacts.services``, whose
``ValidationError`` becomes a 400 with the same field names.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from contacts import selectors, services
from contacts.errors import DuplicateEmailError
from contacts.models import Company, Contact, ContactPhone, HelpDirection, HelpOffer, HelpStatus, PhoneKind, Source
from relintel.accounts.models import Membership
from relintel.api_errors import ApiErrorSerializer, ApiValidationError
from relintel.api_fields import (
    MemberUserField,
    RelatedListField,
    ScopedPrimaryKeyRelatedField,
    query_filters,
    request_membership,
)
from relintel.api_views import CrudViewSet

ERROR_RESPONSES = {
    400: OpenApiResponse(ApiErrorSerializer, description="Invalid input: `errors` names each field."),
    404: OpenApiResponse(ApiErrorSerializer, description="No such object in your organization."),
}


class ExistingContactSerializer(serializers.Serializer[Contact]):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    url = serializers.URLField()


class DuplicateEmailErrorSerializer(ApiErrorSerializer):
    existing_contact = ExistingContactSerializer(
        required=False, help_text="When an email already belongs to a contact of your organization: that contact."
    )


CONTACT_WRITE_ERRORS = {
    400: OpenApiResponse(
        DuplicateEmailErrorSerializer,
        description="Invalid input: `errors` names each field; a duplicate email adds `existing_contact`.",
    ),
    404: ERROR_RESPONSES[404],
}


def _scoped_company_field(**kwargs: Any) -> ScopedPrimaryKeyRelatedField:
    return ScopedPrimaryKeyRelatedField(
        scope=lambda m: selectors.companies_for(membership=m), model=Company, noun="company", **kwargs
    )


def scoped_contact_field(**kwargs: Any) -> ScopedPrimaryKeyRelatedField:
    """A contact id of the requester's organization (used by the activities API too)."""
    return ScopedPrimaryKeyRelatedField(
        scope=lambda m: selectors.contacts_for(membership=m), model=Contact, noun="contact", **kwargs
    )


def scoped_help_offer_field(**kwargs: Any) -> ScopedPrimaryKeyRelatedField:
    return ScopedPrimaryKeyRelatedField(
        scope=lambda m: selectors.help_offers_for(membership=m), model=HelpOffer, noun="help offer", **kwargs
    )


def _refuse_duplicate(request: Request, exc: DuplicateEmailError) -> ApiValidationError:
    """The 400 for an email another contact has, pointing at that contact."""
    existing = exc.existing
    return ApiValidationError(
        exc.message_dict,
        extra={
            "existing_contact": {
                "id": existing.pk,
                "full_name": existing.full_name,
                "url": reverse("contact-detail", kwargs={"pk": existing.pk}, request=request),
            }
        },
    )


# --- companies -------------------------------------------------------------------


class CompanySerializer(serializers.ModelSerializer[Company]):
    url = serializers.HyperlinkedIdentityField(view_name="company-detail")
    domains = RelatedListField(
        attr="domain",
        child=serializers.CharField(max_length=253),
        default=list,
        help_text="Email and web domains of the company (`acme.com`); contacts with an address there join it.",
    )
    owner = MemberUserField(allow_null=True, required=False, help_text="User id of the owner.")
    contact_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Company
        fields = (
            "id",
            "url",
            "name",
            "domains",
            "website",
            "industry",
            "description",
            "owner",
            "contact_count",
            "salesforce_id",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("salesforce_id", "created_at", "updated_at")
        extra_kwargs = {"website": {"default": ""}, "industry": {"default": ""}, "description": {"default": ""}}


class CompanyFilterSerializer(serializers.Serializer[Any]):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Name or domain contains.")


@extend_schema_view(
    list=extend_schema(summary="List companies", parameters=[CompanyFilterSerializer]),
    create=extend_schema(summary="Create a company", responses={201: CompanySerializer, 400: ERROR_RESPONSES[400]}),
    retrieve=extend_schema(summary="Get a company", responses={200: CompanySerializer, 404: ERROR_RESPONSES[404]}),
    update=extend_schema(summary="Replace a company", responses={200: CompanySerializer, **ERROR_RESPONSES}),
    partial_update=extend_schema(summary="Change a company", responses={200: CompanySerializer, **ERROR_RESPONSES}),
    destroy=extend_schema(
        summary="Delete a company (its contacts stay, without a company)",
        responses={204: None, 404: ERROR_RESPONSES[404]},
    ),
)
class CompanyViewSet(CrudViewSet[Company]):
    serializer_class = CompanySerializer
    queryset = Company.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[Company]:
        filters = query_filters(self.request, CompanyFilterSerializer)
        return selectors.company_list(membership=membership, q=filters.get("q", ""))

    def get_object(self) -> Company:
        return selectors.company_detail(membership=request_membership(self.request), company_id=self.kwargs["pk"])

    def perform_create(self, serializer: serializers.BaseSerializer[Company]) -> None:
        company = services.company_create(membership=request_membership(self.request), **serializer.validated_data)
        serializer.instance = self._reread(company)

    def perform_update(self, serializer: serializers.BaseSerializer[Company]) -> None:
        assert serializer.instance is not None
        company = services.company_update(company=serializer.instance, **serializer.validated_data)
        serializer.instance = self._reread(company)

    def perform_destroy(self, instance: Company) -> None:
        services.company_delete(company=instance)

    def _reread(self, company: Company) -> Company:
        # Shown as the list shows it (domains, contact count), not as the write left it in memory.
        return selectors.company_detail(membership=request_membership(self.request), company_id=company.pk)


# --- contacts --------------------------------------------------------------------


class PhoneSerializer(serializers.Serializer[ContactPhone]):
    number = serializers.CharField(max_length=40, help_text="Any written form; stored and shown in E.164.")
    kind = serializers.ChoiceField(choices=PhoneKind.choices, default=PhoneKind.WORK)


_CONTACT_TEXT_FIELDS = ("title", "location", "linkedin_url", "interests", "needs", "expertise", "notes")


class ContactSerializer(serializers.ModelSerializer[Contact]):
    url = serializers.HyperlinkedIdentityField(view_name="contact-detail")
    emails = RelatedListField(
        attr="email",
        child=serializers.CharField(max_length=254),
        default=list,
        help_text="Email addresses; the first is the primary one.",
    )
    phones = RelatedListField(child=PhoneSerializer(), default=list)
    company = _scoped_company_field(allow_null=True, default=None)
    owner = MemberUserField(
        allow_null=True, required=False, help_text="User id of the owner; you, when creating without one."
    )

    class Meta:
        model = Contact
        fields = (
            "id",
            "url",
            "full_name",
            "first_name",
            "last_name",
            "emails",
            "phones",
            "title",
            "company",
            "location",
            "linkedin_url",
            "interests",
            "needs",
            "expertise",
            "notes",
            "owner",
            "source",
            "last_interaction_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("first_name", "last_name", "source", "last_interaction_at", "created_at", "updated_at")
        extra_kwargs = {name: {"default": ""} for name in _CONTACT_TEXT_FIELDS}

    def validated_phones(self) -> list[services.PhoneInput]:
        return [services.PhoneInput(**phone) for phone in self.validated_data.get("phones", [])]


class ContactFilterSerializer(serializers.Serializer[Any]):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Every word in the name, an email or the company."
    )
    company = serializers.IntegerField(required=False, min_value=1, help_text="Company id.")
    owner = serializers.IntegerField(required=False, min_value=1, help_text="Owner's user id.")
    mine = serializers.BooleanField(required=False, default=False, help_text="Only contacts you own.")
    sort = serializers.ChoiceField(choices=list(selectors.CONTACT_SORTS), required=False, default="name")


def _contact_write(request: Request, serializer: ContactSerializer, *, contact: Contact | None) -> Contact:
    data = dict(serializer.validated_data)
    if "phones" in data:
        data["phones"] = serializer.validated_phones()
    membership = request_membership(request)
    try:
        if contact is None:
            return services.contact_create(membership=membership, source=Source.API, **data)
        return services.contact_update(membership=membership, contact=contact, **data)
    except DuplicateEmailError as exc:
        raise _refuse_duplicate(request, exc) from None


@extend_schema_view(
    list=extend_schema(summary="List contacts", parameters=[ContactFilterSerializer]),
    create=extend_schema(
        summary="Create a contact",
        description="An email address that already belongs to a contact of your organization is refused "
        "with a 400 whose `existing_contact` names that contact. Without a company, one is matched from "
        "the email domains in the background.",
        responses={201: ContactSerializer, 400: CONTACT_WRITE_ERRORS[400]},
    ),
    retrieve=extend_schema(summary="Get a contact", responses={200: ContactSerializer, 404: ERROR_RESPONSES[404]}),
    update=extend_schema(summary="Replace a contact", responses={200: ContactSerializer, **CONTACT_WRITE_ERRORS}),
    partial_update=extend_schema(
        summary="Change a contact", responses={200: ContactSerializer, **CONTACT_WRITE_ERRORS}
    ),
    destroy=extend_schema(summary="Delete a contact", responses={204: None, 404: ERROR_RESPONSES[404]}),
)
class ContactViewSet(CrudViewSet[Contact]):
    serializer_class = ContactSerializer
    queryset = Contact.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[Contact]:
        f = query_filters(self.request, ContactFilterSerializer)
        filters = selectors.ContactFilters(
            q=f.get("q", ""), company_id=f.get("company"), owner_id=f.get("owner"), mine=f["mine"], sort=f["sort"]
        )
        return selectors.contact_list(membership=membership, filters=filters).prefetch_related("phones")

    def get_object(self) -> Contact:
        return selectors.contact_get(membership=request_membership(self.request), contact_id=self.kwargs["pk"])

    def perform_create(self, serializer: serializers.BaseSerializer[Contact]) -> None:
        assert isinstance(serializer, ContactSerializer)
        serializer.instance = _contact_write(self.request, serializer, contact=None)

    def perform_update(self, serializer: serializers.BaseSerializer[Contact]) -> None:
        assert isinstance(serializer, ContactSerializer) and serializer.instance is not None
        serializer.instance = _contact_write(self.request, serializer, contact=serializer.instance)

    def perform_destroy(self, instance: Contact) -> None:
        services.contact_delete(contact=instance)


# --- help offers -----------------------------------------------------------------


class HelpOfferSerializer(serializers.ModelSerializer[HelpOffer]):
    url = serializers.HyperlinkedIdentityField(view_name="help-offer-detail")
    contact = scoped_contact_field(help_text="The contact helped (or, for received help, who helped). Fixed.")
    intro_contact = scoped_contact_field(
        allow_null=True, default=None, help_text="For an introduction: the second person introduced."
    )

    class Meta:
        model = HelpOffer
        fields = (
            "id",
            "url",
            "contact",
            "user",
            "direction",
            "kind",
            "description",
            "status",
            "due_date",
            "intro_contact",
            "accepted_at",
            "delivered_at",
            "closed_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            "user",
            "status",
            "accepted_at",
            "delivered_at",
            "closed_at",
            "created_at",
            "updated_at",
        )
        extra_kwargs = {"due_date": {"default": None}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Who was helped, and in which direction, is what the record is about: it does not change.
        if self.instance is not None:
            errors: dict[str, Any] = {
                field: ["This cannot be changed; record a new help offer instead."]
                for field in ("contact", "direction")
                if field in attrs and attrs[field] != getattr(self.instance, field)
            }
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class HelpOfferFilterSerializer(serializers.Serializer[Any]):
    contact = serializers.IntegerField(required=False, min_value=1, help_text="Contact id.")
    status = serializers.ChoiceField(choices=HelpStatus.choices, required=False)
    direction = serializers.ChoiceField(choices=HelpDirection.choices, required=False)
    mine = serializers.BooleanField(required=False, default=False, help_text="Only the ones you recorded.")
    open = serializers.BooleanField(required=False, default=False, help_text="Only offered or accepted ones.")


class HelpOfferTransitionSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=HelpStatus.choices)


@extend_schema_view(
    list=extend_schema(summary="List help offers", parameters=[HelpOfferFilterSerializer]),
    create=extend_schema(
        summary="Record a help offer (given or received)",
        responses={201: HelpOfferSerializer, 400: ERROR_RESPONSES[400]},
    ),
    retrieve=extend_schema(summary="Get a help offer", responses={200: HelpOfferSerializer, 404: ERROR_RESPONSES[404]}),
    update=extend_schema(
        summary="Replace a help offer (yours only)", responses={200: HelpOfferSerializer, **ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        summary="Change a help offer (yours only)", responses={200: HelpOfferSerializer, **ERROR_RESPONSES}
    ),
    destroy=extend_schema(summary="Delete a help offer (yours only)", responses={204: None, 404: ERROR_RESPONSES[404]}),
)
class HelpOfferViewSet(CrudViewSet[HelpOffer]):
    serializer_class = HelpOfferSerializer
    queryset = HelpOffer.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[HelpOffer]:
        f = query_filters(self.request, HelpOfferFilterSerializer)
        filters = selectors.HelpOfferFilters(
            contact_id=f.get("contact"),
            status=f.get("status", ""),
            direction=f.get("direction", ""),
            mine=f["mine"],
            open_only=f["open"],
        )
        return selectors.help_offer_list(membership=membership, filters=filters)

    def get_object(self) -> HelpOffer:
        membership = request_membership(self.request)
        if self.action == "retrieve":
            return selectors.help_offer_get(membership=membership, offer_id=self.kwargs["pk"])
        # Changing one is for the member who recorded it; to anyone else it does not exist.
        return selectors.help_offer_get_own(membership=membership, offer_id=self.kwargs["pk"])

    def perform_create(self, serializer: serializers.BaseSerializer[HelpOffer]) -> None:
        serializer.instance = services.help_offer_create(
            membership=request_membership(self.request), **serializer.validated_data
        )

    def perform_update(self, serializer: serializers.BaseSerializer[HelpOffer]) -> None:
        assert serializer.instance is not None
        data = {k: v for k, v in serializer.validated_data.items() if k not in ("contact", "direction")}
        serializer.instance = services.help_offer_update(offer=serializer.instance, **data)

    def perform_destroy(self, instance: HelpOffer) -> None:
        services.help_offer_delete(offer=instance)

    @extend_schema(
        summary="Move a help offer along its lifecycle (yours only)",
        description="offered → accepted → delivered; declined and withdrawn end it. "
        "A move the lifecycle forbids is a 400 naming `status`.",
        request=HelpOfferTransitionSerializer,
        responses={200: HelpOfferSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        offer = self.get_object()
        serializer = HelpOfferTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = services.help_offer_transition(offer=offer, status=serializer.validated_data["status"])
        return Response(
            HelpOfferSerializer(offer, context=self.get_serializer_context()).data, status=status.HTTP_200_OK
        )
