"""Django admin for operators: contacts, companies, help offers and relationships."""

from __future__ import annotations

from django.contrib import admin

from contacts.models import Company, CompanyDomain, Contact, ContactEmail, ContactPhone, HelpOffer, Relationship


class CompanyDomainInline(admin.TabularInline):
    model = CompanyDomain
    extra = 0
    raw_id_fields = ("organization",)


class ContactEmailInline(admin.TabularInline):
    model = ContactEmail
    extra = 0
    raw_id_fields = ("organization",)


class ContactPhoneInline(admin.TabularInline):
    model = ContactPhone
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "industry", "owner", "salesforce_id", "updated_at")
    list_filter = ("organization",)
    search_fields = ("name", "domains__domain", "salesforce_id")
    raw_id_fields = ("organization", "owner")
    list_select_related = ("organization", "owner")
    inlines = (CompanyDomainInline,)


@admin.register(CompanyDomain)
class CompanyDomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "company", "organization")
    search_fields = ("domain", "company__name")
    raw_id_fields = ("organization", "company")
    list_select_related = ("organization", "company")


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("full_name", "organization", "company", "title", "owner", "source", "last_interaction_at")
    list_filter = ("source", "organization")
    search_fields = ("full_name", "emails__email", "company__name", "salesforce_contact_id", "salesforce_lead_id")
    raw_id_fields = ("organization", "company", "owner", "merged_into", "created_by")
    readonly_fields = ("search_text", "last_interaction_at", "created_at", "updated_at")
    list_select_related = ("organization", "company", "owner")
    inlines = (ContactEmailInline, ContactPhoneInline)


@admin.register(ContactEmail)
class ContactEmailAdmin(admin.ModelAdmin):
    list_display = ("email", "contact", "is_primary", "organization")
    search_fields = ("email", "contact__full_name")
    raw_id_fields = ("organization", "contact")
    list_select_related = ("organization", "contact")


@admin.register(ContactPhone)
class ContactPhoneAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "contact", "is_primary")
    search_fields = ("number", "contact__full_name")
    raw_id_fields = ("contact",)
    list_select_related = ("contact",)


@admin.register(HelpOffer)
class HelpOfferAdmin(admin.ModelAdmin):
    list_display = ("contact", "user", "direction", "kind", "status", "due_date", "organization", "created_at")
    list_filter = ("status", "kind", "direction", "organization")
    search_fields = ("description", "contact__full_name", "user__email")
    raw_id_fields = ("organization", "user", "contact", "intro_contact")
    list_select_related = ("organization", "user", "contact")


@admin.register(Relationship)
class RelationshipAdmin(admin.ModelAdmin):
    list_display = ("user", "contact", "strength", "interaction_count", "last_interaction_at", "organization")
    list_filter = ("organization",)
    search_fields = ("user__email", "contact__full_name")
    raw_id_fields = ("organization", "user", "contact")
    readonly_fields = ("updated_at",)
    list_select_related = ("organization", "user", "contact")
