"""The contact list, filtered as on its page, downloaded as CSV or vCard."""

from __future__ import annotations

from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.http import require_GET

from contacts import export
from contacts.forms import ContactListForm
from relintel.accounts.decorators import member_required


def export_response(*, membership: object, filters: object, kind: str) -> StreamingHttpResponse:
    """A streamed download (shared by the page and the API)."""
    response = StreamingHttpResponse(
        export.export_stream(membership=membership, filters=filters, kind=kind),  # type: ignore[arg-type]
        content_type=export.CONTENT_TYPES[kind],
    )
    name = f"contacts-{timezone.localdate().isoformat()}.{export.EXTENSIONS[kind]}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@member_required  # type: ignore[arg-type]  # it passes any response through
def contact_export(request: HttpRequest) -> HttpResponseBase:
    kind = export.VCARD if request.GET.get("type") == export.VCARD else export.CSV
    filters = ContactListForm(request.GET).filters()
    return export_response(membership=request.membership, filters=filters, kind=kind)  # type: ignore[attr-defined]
