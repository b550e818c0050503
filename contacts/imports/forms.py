"""Forms of the import pages: the upload and the column mapping of a generic CSV."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from contacts.imports.rows import TARGET_FIELDS
from contacts.imports.services import MAX_FILE_BYTES
from contacts.models import ImportFormat


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Contacts file",
        help_text="A CSV (LinkedIn connections, Google Contacts, Outlook, or any other) or a vCard (.vcf) file.",
    )
    format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "Detect from the file"), *ImportFormat.choices],
        help_text="Leave it to detection unless it guesses wrong.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        return upload

    def add_service_errors(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class ColumnMappingForm(forms.Form):
    """One select per contact field, offering the file's columns (with sample values)."""

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        samples: dict[str, list[str]],
        initial_mapping: dict[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— not in the file —")] + [
            (h, f"{h} (e.g. {', '.join(samples.get(h, [])[:2])})" if samples.get(h) else h) for h in headers
        ]
        for name, label in TARGET_FIELDS.items():
            self.fields[name] = forms.ChoiceField(
                label=label, choices=choices, required=False, initial=initial_mapping.get(name, "")
            )

    def mapping(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if value}

    def add_service_errors(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            name = field.removeprefix("column_mapping.")
            self.add_error(name if name in self.fields else None, messages)
