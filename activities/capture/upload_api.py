"""``POST /api/v1/capture-uploads/``: capture an .eml, .mbox or .ics file (multipart, field ``file``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from activities.capture import uploads
from activities.models import SkipReason, Visibility
from contacts.api import ERROR_RESPONSES
from relintel.api_fields import request_membership


class CaptureUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        help_text=(
            "An .eml (one email), .mbox (a mailbox export) or .ics (a calendar) file, "
            f"up to {uploads.MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
        ),
        allow_empty_file=False,
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.TEAM)


class _SkippedSerializer(serializers.Serializer[Any]):
    reason = serializers.ChoiceField(choices=SkipReason.choices)
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    count = serializers.IntegerField()


class _UnreadableSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField(help_text="1-based: the n-th message or event of the file.")
    reason = serializers.CharField()


class CaptureUploadResultSerializer(serializers.Serializer[Any]):
    filename = serializers.CharField()
    kind = serializers.ChoiceField(choices=[("eml", "eml"), ("mbox", "mbox"), ("ics", "ics")])
    items = serializers.IntegerField(help_text="Messages or meeting occurrences read from the file.")
    captured = serializers.IntegerField(help_text="New interactions.")
    already_known = serializers.IntegerField(help_text="Already captured (from a mailbox or an earlier upload).")
    updated = serializers.IntegerField(help_text="Meetings replaced by a newer version.")
    skipped = _SkippedSerializer(many=True)
    unreadable = _UnreadableSerializer(many=True)


class CaptureUploadViewSet(viewsets.GenericViewSet[Any]):
    serializer_class = CaptureUploadSerializer
    parser_classes = (MultiPartParser, FormParser)

    @extend_schema(
        summary="Capture an .eml, .mbox or .ics file",
        description=(
            "Runs the file through capture as the caller (same filters as a mailbox) into the caller's "
            "organization, and returns what happened. Uploading the same file again reports `already_known`."
        ),
        request={"multipart/form-data": CaptureUploadSerializer},
        responses={200: CaptureUploadResultSerializer, 400: ERROR_RESPONSES[400]},
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        result = uploads.capture_upload(
            membership=request_membership(request),
            filename=upload.name or "",
            data=upload.read(),
            visibility=serializer.validated_data["visibility"],
        )
        return Response(CaptureUploadResultSerializer(result.as_dict()).data, status=status.HTTP_200_OK)
