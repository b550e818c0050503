"""Django admin for operators: interactions and their participants."""

from __future__ import annotations

from django.contrib import admin

from activities.models import Interaction, Participant


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    raw_id_fields = ("contact", "user")


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "subject", "owner", "direction", "source", "visibility", "organization")
    list_filter = ("kind", "source", "visibility", "direction", "organization")
    search_fields = ("subject", "external_id", "owner__email")
    raw_id_fields = ("organization", "owner", "team", "help_offers")
    date_hierarchy = "occurred_at"
    list_select_related = ("organization", "owner")
    inlines = (ParticipantInline,)


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("interaction", "role", "contact", "user", "address", "response_status")
    list_filter = ("role",)
    search_fields = ("address", "display_name", "contact__full_name", "user__email")
    raw_id_fields = ("interaction", "contact", "user")
    list_select_related = ("interaction", "contact", "user")
