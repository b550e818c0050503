"""The OpenAPI schema is complete and valid, and the docs page needs nothing from the internet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

RESOURCES = ("companies", "contacts", "interactions", "help-offers")


def test_the_schema_generates_without_a_single_warning_and_validates(tmp_path: Path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")


def test_the_schema_endpoint_serves_valid_openapi_with_every_resource():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    paths = schema["paths"]
    for resource in RESOURCES:
        assert f"/api/v1/{resource}/" in paths
        assert {"get", "post"} <= set(paths[f"/api/v1/{resource}/"])
        assert {"get", "put", "patch", "delete"} <= set(paths[f"/api/v1/{resource}/{{id}}/"])
    assert "post" in paths["/api/v1/help-offers/{id}/transition/"]


def test_the_schema_documents_token_auth_filters_and_fields():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiToken"]["description"],
    }
    list_params = {p["name"] for p in schema["paths"]["/api/v1/contacts/"]["get"]["parameters"]}
    assert {"q", "company", "owner", "mine", "sort", "page", "page_size"} <= list_params
    help_params = {p["name"] for p in schema["paths"]["/api/v1/help-offers/"]["get"]["parameters"]}
    assert {"contact", "status", "direction", "mine", "open"} <= help_params
    contact = schema["components"]["schemas"]["Contact"]["properties"]
    assert contact["emails"]["type"] == "array"
    assert contact["phones"]["items"]["$ref"].endswith("/Phone")
    assert contact["source"]["readOnly"] is True
    assert "participants" in schema["components"]["schemas"]["Interaction"]["properties"]
    refused = schema["paths"]["/api/v1/contacts/"]["post"]["responses"]["400"]["content"]["application/json"]
    assert refused["schema"]["$ref"].endswith("/DuplicateEmailError")
    assert "existing_contact" in schema["components"]["schemas"]["DuplicateEmailError"]["properties"]


def test_the_docs_page_is_served_with_local_assets_only():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, flags=re.IGNORECASE), "external URL in docs"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the docs page loads no assets?"
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a static file we ship"
