"""Tenant isolation, route by route.

Every URL pattern of the project is enumerated. For each one that takes an
object id, an outsider (an *admin* of another organization, so no role check
can hide a missing tenancy check) must get a 404 — on GET and on POST — and the
object must be unchanged. Every list is fetched by the outsider and must not
contain any of our rows. A new route that this sweep does not know how to
cover fails the test, so no route can slip in untested.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from activities.models import Visibility
from contacts.models import DuplicateCandidate
from relintel.accounts.models import ApiToken, Invitation
from relintel.accounts.tokens import hash_token
from tests.conftest import client_for
from tests.factories import CompanyFactory, ContactFactory, HelpOfferFactory, InteractionFactory

MARKER = "Zanzibar"  # appears in the name of every row of ours

# Routes that are not the product's tenant-scoped surface, with the reason.
NOT_TENANT_SCOPED = {
    "admin": "Django admin for operators (staff only)",
    "allauth": "login, logout, password reset and MFA (acts on the signed-in user only)",
    "api-schema": "the OpenAPI schema (no data)",
    "api-docs": "the API docs page (no data)",
    "api-root": "the API index (no data)",
}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    params: tuple[str, ...]
    module: str


def _walk(patterns, namespace: str = "", prefix: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            full = prefix + str(entry.pattern)
            params = tuple(_params(full))
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or full)
            module = getattr(entry.callback, "__module__", "")
            yield Route(name=name, params=params, module=module)


def _params(pattern: str) -> list[str]:
    names = re.findall(r"<(?:\w+:)?(\w+)>", pattern) + re.findall(r"\(\?P<(\w+)>", pattern)
    return [n for n in names if n != "format"]


def _category(route: Route) -> str | None:
    if route.module.startswith("django.contrib.admin") or route.name.startswith(("admin:", "admin/")):
        return "admin"
    if route.module.startswith("allauth"):
        return "allauth"
    base = route.name.split(":")[-1]
    if base in NOT_TENANT_SCOPED:
        return base
    if route.module.startswith(("drf_spectacular", "django.views.static", "django.contrib.staticfiles")):
        return "api-docs"
    return None


@pytest.fixture
def ours(world):
    """One object of ours for every kind of id a route can take."""
    contact = ContactFactory(organization=world.org, first_name="Zanzibar", last_name="Contact", email="z@ours.example")
    company = CompanyFactory(organization=world.org, name="Zanzibar Holdings")
    interaction = InteractionFactory(
        organization=world.org,
        owner=world.rep.user,
        visibility=Visibility.ORGANIZATION,
        subject="Zanzibar call",
        contacts=[contact],
    )
    twin = ContactFactory(organization=world.org, first_name="Zanzibar", last_name="Contact")
    offer = HelpOfferFactory(contact=contact, user=world.rep.user, description="Zanzibar intro")
    invitation = Invitation.objects.create(
        organization=world.org,
        email="zanzibar@new.example",
        full_name="Zanzibar Newcomer",
        token_hash=hash_token("zanzibar-key"),
        invited_by=world.admin.user,
        expires_at=timezone.now() + timezone.timedelta(days=7),
    )
    token = ApiToken.objects.create(
        user=world.admin.user,
        organization=world.org,
        name="Zanzibar token",
        prefix="rli_zanz",
        key_hash=hash_token("k"),
    )
    from activities.models import CaptureAccount, Exclusion

    capture_account = CaptureAccount.objects.create(
        organization=world.org, user=world.rep.user, kind="ics", name="Zanzibar feed", url="https://ours.example/z.ics"
    )
    exclusion = Exclusion.objects.create(organization=world.org, kind="domain", value="zanzibar.example")
    return {
        "account_id": capture_account.pk,
        "exclusion_id": exclusion.pk,
        "pk:capture-account": capture_account.pk,
        "pk:exclusion": exclusion.pk,
        "contact_id": contact.pk,
        "company_id": company.pk,
        "interaction_id": interaction.pk,
        "offer_id": offer.pk,
        # A Today item of the rep's ("<kind>:<id>"): acting on it or undoing is theirs alone.
        "nudge_key": f"help:{offer.pk}",
        "membership_id": world.rep.pk,
        "team_id": world.team_a.pk,
        "invitation_id": invitation.pk,
        "token_id": token.pk,
        "key": "zanzibar-key-of-someone-else",
        "candidate_id": DuplicateCandidate.objects.create(
            organization=world.org,
            contact=min(contact, twin, key=lambda c: c.pk),
            other=max(contact, twin, key=lambda c: c.pk),
            reason="Zanzibar twins",
        ).pk,
        # DRF routers name their id "pk": which object depends on the route.
        "pk:contact": contact.pk,
        "pk:company": company.pk,
        "pk:interaction": interaction.pk,
        "pk:help-offer": offer.pk,
        # Salesforce sync: an outbox row of ours and a record's history.
        "outbox_entry_id": _our_outbox_entry(world, contact.pk),
        "pk:salesforce-outbox": _our_outbox_entry(world, contact.pk),
        "kind": "contact",
        "local_id": contact.pk,
        # A target account on team A's list (the team dashboard's target-account management).
        "target_id": _our_target_account(world, company),
        "pk:target-account": _our_target_account(world, company),
        # Imports and merges: the rep's import of a Zanzibar file, a merge of the twins.
        "job_id": _our_import_job(world),
        "pk:contact-import": _our_import_job(world),
        "other_id": twin.pk,
        "merge_id": _our_merge(world, contact, twin),
        "pk:contact-merge": _our_merge(world, contact, twin),
        # Introductions: the rep asked the teammate; a suggestion of the rep's.
        "request_id": _our_intro_request(world, contact),
        "pk:intro-request": _our_intro_request(world, contact),
        "suggestion_id": _our_suggestion(world, contact, twin),
        "pk:intro-suggestion": _our_suggestion(world, contact, twin),
    }


def _our_intro_request(world, contact) -> int:
    from contacts.models import IntroRequest

    request, _ = IntroRequest.objects.get_or_create(
        organization=world.org,
        requester=world.rep.user,
        introducer=world.teammate.user,
        target=contact,
        defaults={"message": "Zanzibar intro"},
    )
    return request.pk


def _our_suggestion(world, contact, other) -> int:
    from contacts.models import IntroSuggestion

    suggestion, _ = IntroSuggestion.objects.get_or_create(
        organization=world.org, user=world.rep.user, contact=contact, other=other, defaults={"reason": "Zanzibar"}
    )
    return suggestion.pk


def _our_import_job(world) -> int:
    from contacts.models import ImportJob

    job, _ = ImportJob.objects.get_or_create(
        organization=world.org,
        user=world.rep.user,
        filename="zanzibar.csv",
        defaults={"format": "csv", "content": "Name,Email\nZanzibar Person,zp@ours.example\n"},
    )
    return job.pk


def _our_merge(world, contact, twin) -> int:
    from contacts.models import ContactMerge

    merge, _ = ContactMerge.objects.get_or_create(
        organization=world.org, survivor=contact, merged=twin, defaults={"performed_by": world.rep.user}
    )
    return merge.pk


def _our_target_account(world, company) -> int:
    from contacts.models import TargetAccount

    target, _ = TargetAccount.objects.get_or_create(organization=world.org, team=world.team_a, company=company)
    return target.pk


def _our_outbox_entry(world, contact_id: int) -> int:
    from sync.models import OutboxEntry

    entry, _ = OutboxEntry.objects.get_or_create(
        organization=world.org,
        dedupe_key=f"contact:{contact_id}",
        defaults={"object_kind": "contact", "local_id": contact_id, "state": "failed", "last_error_code": "X"},
    )
    return entry.pk


def _kwargs_for(route: Route, ours: dict[str, int | str]) -> dict[str, int | str] | None:
    kwargs: dict[str, int | str] = {}
    for param in route.params:
        if param == "pk":
            resource = route.name.split(":")[-1].rsplit("-", 1)[0]
            key = f"pk:{resource}"
        else:
            key = param
        if key not in ours:
            return None
        kwargs[param] = ours[key]
    return kwargs


def _routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def test_every_route_is_known_to_the_sweep(ours):
    unknown = [r.name for r in _routes() if _category(r) is None and r.params and _kwargs_for(r, ours) is None]
    assert unknown == [], f"routes the isolation sweep cannot cover; teach it their ids: {unknown}"


def test_the_sweep_covers_the_product_routes():
    names = {r.name for r in _routes()}
    for expected in ("contacts:list", "activities:contact_page", "accounts:member_edit", "contact-detail"):
        assert any(n.endswith(expected) for n in names), expected


def test_an_outsider_gets_404_for_every_object_of_ours(world, ours):
    client = client_for(world.outsider)
    checked = 0
    for route in _routes():
        if _category(route) is not None or not route.params:
            continue
        kwargs = _kwargs_for(route, ours)
        assert kwargs is not None
        url = reverse(route.name, kwargs=kwargs)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if route.name.endswith("invitation_accept"):
                assert response.status_code == 404, f"{method.upper()} {url}"
                continue
            assert response.status_code in (404, 405), f"{method.upper()} {url} gave {response.status_code}"
        checked += 1
    assert checked >= 20


def test_our_rows_are_unchanged_after_the_outsiders_posts(world, ours):
    from contacts.models import Company, Contact, HelpOffer

    client = client_for(world.outsider)
    for route in _routes():
        if _category(route) is None and route.params:
            kwargs = _kwargs_for(route, ours)
            assert kwargs is not None
            client.post(
                reverse(route.name, kwargs=kwargs), {"full_name": "Hacked", "name": "Hacked", "status": "declined"}
            )
            client.delete(reverse(route.name, kwargs=kwargs))
    assert Contact.objects.get(pk=ours["contact_id"]).full_name == "Zanzibar Contact"
    assert Company.objects.get(pk=ours["company_id"]).name == "Zanzibar Holdings"
    assert HelpOffer.objects.get(pk=ours["offer_id"]).status == "offered"
    world.rep.refresh_from_db()
    assert world.rep.is_active


def test_no_list_shows_an_outsider_any_row_of_ours(world, ours):
    client = client_for(world.outsider)
    listed = 0
    for route in _routes():
        if _category(route) is not None or route.params:
            continue
        response = client.get(reverse(route.name))
        if response.status_code != 200:
            continue
        raw = b"".join(response.streaming_content) if response.streaming else response.content  # exports stream
        body = raw.decode(errors="replace")
        assert MARKER not in body, f"{route.name} shows another organization's data"
        listed += 1
    assert listed >= 6
