from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def membership(request: HttpRequest) -> dict[str, Any]:
    current = getattr(request, "membership", None)
    # SimpleLazyObject wrapping None is truthy: unwrap through a real attribute read.
    if current is not None and getattr(current, "pk", None) is None:
        current = None
    return {
        "membership": current,
        "organization": current.organization if current else None,
        "role": current.role if current else None,
    }
