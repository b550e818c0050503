"""The emulated org's metadata: objects, fields and their describe output.

Only what the sync uses, but each field carries the attributes Salesforce's describe reports, so
describe-driven code (what is writable, which field is the external id) behaves as against an org.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .ids import KEY_PREFIXES

EXTERNAL_ID_FIELD = "Relintel_Id__c"

_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
STRING_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "picklist", "combobox", "id", "reference"})


@dataclass
class FieldDef:
    name: str
    type: str
    label: str = ""
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    unique: bool = False
    id_lookup: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist: tuple[str, ...] = ()
    restricted_picklist: bool = False
    default: Any = None
    defaulted_on_create: bool = False
    custom: bool = False
    name_field: bool = False

    @property
    def required_on_create(self) -> bool:
        return not self.nillable and self.createable and not self.defaulted_on_create and self.type != "boolean"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label or self.name,
            "type": self.type,
            "soapType": _SOAP_TYPES.get(self.type, "xsd:string"),
            "length": self.length,
            "byteLength": self.length * 3,
            "precision": 18 if self.type == "double" else 0,
            "scale": 0,
            "digits": 9 if self.type == "int" else 0,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "externalId": self.external_id,
            "unique": self.unique,
            "idLookup": self.id_lookup,
            "caseSensitive": False,
            "custom": self.custom,
            "calculated": False,
            "autoNumber": False,
            "nameField": self.name_field,
            "filterable": True,
            "sortable": self.type != "textarea",
            "groupable": self.type not in ("textarea", "datetime"),
            "defaultedOnCreate": self.defaulted_on_create,
            "defaultValue": self.default,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "restrictedPicklist": self.restricted_picklist,
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": value == self.default,
                    "label": value,
                    "validFor": None,
                    "value": value,
                }
                for value in self.picklist
            ],
        }


@dataclass
class ObjectDef:
    name: str
    label: str
    label_plural: str
    fields: dict[str, FieldDef] = field(default_factory=dict)

    @property
    def key_prefix(self) -> str:
        return KEY_PREFIXES[self.name]

    def field(self, name: str) -> FieldDef | None:
        """Field names are case-insensitive in Salesforce."""
        found = self.fields.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        return next((f for f in self.fields.values() if f.name.lower() == lowered), None)

    def relationship(self, name: str) -> FieldDef | None:
        lowered = name.lower()
        return next(
            (f for f in self.fields.values() if f.relationship_name and f.relationship_name.lower() == lowered), None
        )

    def urls(self, version: str) -> dict[str, str]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}

    def summary(self, version: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix,
            "createable": True,
            "updateable": self.name != "EventRelation",
            "deletable": True,
            "queryable": True,
            "retrieveable": True,
            "searchable": self.name != "EventRelation",
            "replicateable": True,
            "custom": False,
            "customSetting": False,
            "layoutable": self.name != "EventRelation",
            "triggerable": True,
            "undeletable": True,
            "mergeable": self.name in ("Account", "Contact", "Lead"),
            "urls": self.urls(version),
        }

    def describe(self, version: str) -> dict[str, Any]:
        return {
            **self.summary(version),
            "fields": [f.describe() for f in self.fields.values()],
            "childRelationships": [],
            "recordTypeInfos": [],
        }


def copy_schema(schema: dict[str, ObjectDef]) -> dict[str, ObjectDef]:
    return copy.deepcopy(schema)
