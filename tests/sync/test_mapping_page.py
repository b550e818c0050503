"""The mapping page and its API, against the emulator's describe (HTTPS, through simple-salesforce)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from sync.models import ObjectMapping, SalesforceConnection
from sync.selectors import mapping_page_of
from tests.conftest import client_for
from tests.sync.emulator_fixtures import emulator_connection

pytest_plugins = ["tests.sync.emulator_fixtures"]


@pytest.fixture
def connected(world, emulator) -> SalesforceConnection:
    cache.clear()
    return emulator_connection(world.org, emulator)


# The emulator's Contact and Lead have no MobilePhone (Salesforce's do): the page shows the
# default mapping of it as "missing or not writable", and the admin sets it to "not mapped".
NO_MOBILE = {"contact-Contact__f__MobilePhone": "", "contact-Lead__f__MobilePhone": ""}


def form_data(membership, **overrides: str) -> dict[str, str]:
    """The mapping page's form as it is rendered (every object, its current choices)."""
    data: dict[str, str] = {}
    for row in mapping_page_of(membership=membership).rows:
        prefix = f"{row.input.local_kind}-{row.input.sobject}"
        if row.input.enabled:
            data[f"{prefix}__enabled"] = "1"
        data[f"{prefix}__external_id"] = row.input.external_id_field
        for choice in row.choices:
            data[f"{prefix}__f__{choice.name}"] = row.input.field_map.get(choice.name, "")
        for sf, local in row.input.field_map.items():
            data.setdefault(f"{prefix}__f__{sf}", local)
    data.update(overrides)
    return data


def describe_calls(emulator) -> int:
    return sum(n for key, n in emulator.state.counters.requests.items() if "describe" in key)


def test_the_page_offers_only_fields_that_exist_and_are_writable(world, connected, emulator):
    html = client_for(world.admin).get(reverse("sync:mapping")).content.decode()
    assert 'name="contact-Contact__f__LastName"' in html
    assert 'name="contact-Contact__f__Title"' in html
    assert 'name="company-Account__f__Name"' in html
    assert 'name="contact-Contact__f__Id"' not in html
    assert 'name="contact-Contact__f__SystemModstamp"' not in html
    assert 'name="contact-Contact__f__CreatedDate"' not in html
    assert '<label for="contact-Contact-external-id">' in html


def test_describes_are_cached_for_a_few_minutes(world, connected, emulator):
    client = client_for(world.admin)
    client.get(reverse("sync:mapping"))
    calls = describe_calls(emulator)
    assert calls >= 5
    client.get(reverse("sync:mapping"))
    assert describe_calls(emulator) == calls


def test_a_field_made_unwritable_is_no_longer_offered_and_saving_says_what_to_do(world, connected, emulator):
    emulator.state.make_field_unwritable("Contact", "Title")
    client = client_for(world.admin)
    html = client.get(reverse("sync:mapping")).content.decode()
    assert "missing or not writable" in html  # Title is mapped by default, shown apart
    response = client.post(reverse("sync:mapping"), form_data(world.admin))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Contact.Title is not writable for the integration user" in html
    assert "Check field-level security: in Setup, open Contact.Title, Set Field-Level Security" in html
    assert "Nothing was saved" in html
    assert not ObjectMapping.objects.filter(organization=world.org).exists()


def test_a_missing_external_id_field_is_refused_with_the_exact_field_to_create(world, connected, emulator):
    client = client_for(world.admin)
    data = form_data(world.admin)
    emulator.state.drop_external_id_field("Contact")
    response = client.post(reverse("sync:mapping"), data)
    assert response.status_code == 400
    assert (
        "Create a custom field on Contact: Text(255), External ID, Unique, Field Name Relintel_Id, "
        "API name Relintel_Id__c" in response.content.decode()
    )
    assert not ObjectMapping.objects.filter(organization=world.org).exists()


def test_a_valid_mapping_is_saved_for_every_object(world, connected, emulator):
    data = form_data(world.admin, **NO_MOBILE)
    data["company-Account__f__Description"] = ""
    data.pop("contact-Lead__enabled")
    response = client_for(world.admin).post(reverse("sync:mapping"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    rows = {(m.local_kind, m.sobject): m for m in ObjectMapping.objects.filter(organization=world.org)}
    assert len(rows) == 7
    assert rows[("company", "Account")].field_map["Description"] == ""
    assert rows[("company", "Account")].field_map["Name"] == "name"
    assert rows[("contact", "Lead")].enabled is False
    assert rows[("contact", "Contact")].external_id_field == "Relintel_Id__c"


def test_check_the_org_lists_every_problem(world, connected, emulator):
    emulator.state.drop_external_id_field("Account", "Task")
    response = client_for(world.admin).post(reverse("sync:mapping_check"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "problems in the org" in html
    assert "Create a custom field on Account: Text(255), External ID, Unique" in html
    assert "Create a custom field on Task: Text(255), External ID, Unique" in html


def test_check_the_org_on_a_ready_org(world, connected, emulator):
    client = client_for(world.admin)
    assert client.post(reverse("sync:mapping"), form_data(world.admin, **NO_MOBILE)).status_code == 302
    html = client.post(reverse("sync:mapping_check")).content.decode()
    assert "The org is ready" in html, html[html.find("sf-check-heading") : html.find("sf-check-heading") + 2000]


def test_without_a_connection_the_page_says_so(world):
    html = client_for(world.admin).get(reverse("sync:mapping")).content.decode()
    assert "Salesforce is not connected" in html
    assert reverse("sync:manage") in html


# --- the API ---------------------------------------------------------------------------------


def test_api_mapping_get_and_put(world, connected, emulator):
    client = client_for(world.admin)
    body = client.get("/api/v1/salesforce-mapping/").json()
    assert len(body["objects"]) == 7
    account = next(o for o in body["objects"] if o["sobject"] == "Account")
    assert account["field_map"]["Name"] == "name"
    account["field_map"].pop("Description")
    objects = [account]
    for item in body["objects"]:
        if item["local_kind"] == "contact":
            item["field_map"].pop("MobilePhone", None)  # the emulator has none (see NO_MOBILE)
            objects.append(item)
    response = client.put("/api/v1/salesforce-mapping/", {"objects": objects}, content_type="application/json")
    assert response.status_code == 200, response.json()
    saved = ObjectMapping.objects.get(organization=world.org, local_kind="company", sobject="Account")
    assert saved.field_map["Description"] == ""


def test_api_mapping_put_refuses_a_missing_external_id_and_saves_nothing(world, connected, emulator):
    emulator.state.drop_external_id_field("Event")
    client = client_for(world.admin)
    body = client.get("/api/v1/salesforce-mapping/").json()
    response = client.put("/api/v1/salesforce-mapping/", body, content_type="application/json")
    assert response.status_code == 400
    assert "Create a custom field on Event" in str(response.json())
    assert not ObjectMapping.objects.filter(organization=world.org).exists()


def test_api_mapping_is_for_admins(world):
    assert client_for(world.rep).get("/api/v1/salesforce-mapping/").status_code == 403
    assert (
        client_for(world.manager).put("/api/v1/salesforce-mapping/", {}, content_type="application/json").status_code
        == 403
    )
