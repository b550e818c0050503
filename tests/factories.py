"""factory_boy factories for every core model."""

from __future__ import annotations

import factory
from django.utils import timezone

from activities.models import Interaction, InteractionKind, Participant, ParticipantRole, Visibility
from contacts.models import Company, CompanyDomain, Contact, ContactEmail, HelpKind, HelpOffer
from relintel.accounts.models import Membership, Organization, Role, Team, User

TEST_PASSWORD = "correct horse battery staple"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    internal_domains = factory.LazyAttribute(lambda o: [f"{o.slug}.example"])


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    team = None
    role = Role.REP


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Company {n}")


class CompanyDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyDomain

    company = factory.SubFactory(CompanyFactory)
    organization = factory.SelfAttribute("company.organization")
    domain = factory.Sequence(lambda n: f"company{n}.example")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    first_name = factory.Sequence(lambda n: f"Ada{n}")
    last_name = factory.Sequence(lambda n: f"Lovelace{n}")
    full_name = factory.LazyAttribute(lambda c: f"{c.first_name} {c.last_name}")
    search_text = factory.LazyAttribute(lambda c: c.full_name.lower())

    @factory.post_generation
    def email(obj, create, extracted, **kwargs):
        """``ContactFactory(email="a@b.c")`` adds a primary address (and keeps search in step)."""
        if create and extracted:
            ContactEmail.objects.create(
                organization_id=obj.organization_id, contact=obj, email=extracted.lower(), is_primary=True
            )
            obj.search_text = f"{obj.search_text} {extracted.lower()}"
            obj.save(update_fields=["search_text"])


class HelpOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HelpOffer

    contact = factory.SubFactory(ContactFactory)
    organization = factory.SelfAttribute("contact.organization")
    user = factory.SubFactory(UserFactory)
    kind = HelpKind.ADVICE
    description = "Share our hiring playbook"


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    kind = InteractionKind.CALL
    occurred_at = factory.LazyFunction(timezone.now)
    subject = factory.Sequence(lambda n: f"Interaction {n}")
    visibility = Visibility.TEAM
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def contacts(obj, create, extracted, **kwargs):
        """``InteractionFactory(contacts=[c1, c2])`` adds them (and the owner) as participants."""
        if not create:
            return
        if obj.owner_id:
            Participant.objects.create(interaction=obj, user=obj.owner, role=ParticipantRole.FROM)
        for contact in extracted or ():
            Participant.objects.create(interaction=obj, contact=contact, role=ParticipantRole.TO)
