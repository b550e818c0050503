"""The upload page (``/capture/upload/``): send an .eml, .mbox or .ics file through capture."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from activities.capture import uploads
from activities.forms import apply_service_errors
from activities.models import Visibility
from relintel.accounts.decorators import member_required
from relintel.accounts.models import Membership

RESULT_SESSION_KEY = "relintel_capture_upload_result"


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=(
            f"An .eml (one email), .mbox (a mailbox export) or .ics (a calendar) file, "
            f"up to {uploads.MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": uploads.ACCEPT}),
        error_messages={"required": "Choose a file to upload.", "empty": "The file is empty."},
    )
    visibility = forms.ChoiceField(
        label="Who can see what is captured",
        choices=Visibility.choices,
        initial=Visibility.TEAM,
        widget=forms.RadioSelect,
    )


@member_required
def capture_upload(request: HttpRequest) -> HttpResponse:
    membership: Membership = request.membership  # type: ignore[attr-defined]
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = uploads.capture_upload(
                    membership=membership,
                    filename=upload.name or "",
                    data=upload.read(),
                    visibility=form.cleaned_data["visibility"],
                )
            except ValidationError as error:
                apply_service_errors(form, error, field_map={"file": "file", "visibility": "visibility"})
            else:
                request.session[RESULT_SESSION_KEY] = result.as_dict()
                return redirect("capture:upload")
        return render(request, "capture/upload.html", {"form": form}, status=400)
    context: dict[str, Any] = {"form": UploadForm(), "result": request.session.pop(RESULT_SESSION_KEY, None)}
    return render(request, "capture/upload.html", context)
