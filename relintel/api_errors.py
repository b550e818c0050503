"""One error shape for the whole API.

``{"detail": "...", "errors": {"field": ["message", ...]}}``: ``errors`` names
each offending field (``non_field_errors`` for the payload as a whole), so a
client can point at exactly what was wrong. A refusal that can say more (the
contact that already has an email address) adds keys next to ``errors`` through
:class:`ApiValidationError`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiValidationError(exceptions.ValidationError):
    """A 400 whose body carries ``extra`` top-level keys besides ``detail`` and ``errors``."""

    def __init__(self, detail: dict[str, Any], *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.extra = extra or {}


def validation_error_from_django(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ``ValidationError`` (a dict of field → messages) as a DRF 400 with the same names."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = validation_error_from_django(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if response.status_code == status.HTTP_400_BAD_REQUEST and isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        fields = ", ".join(sorted(errors))
        response.data = {"detail": f"Invalid input in: {fields}.", "errors": errors}
        if isinstance(exc, ApiValidationError):
            response.data.update(exc.extra)
    return response


class ApiErrorSerializer(serializers.Serializer[Any]):
    """The error shape, for the schema."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    # DRF's metaclass moves declared fields off the class, so this does not shadow ``Serializer.errors``.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.JSONField()),
        required=False,
        help_text="For a 400: each offending field (or `non_field_errors`) and its messages.",
    )
