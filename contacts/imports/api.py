"""REST API for contact imports, merges and exports (``/api/v1/``).

Imports: ``POST contact-imports/`` (multipart ``file``, optional ``format``) returns the job
with its preview (or, for a generic CSV, its headers to map); ``POST …/{id}/mapping/``,
``…/{id}/confirm/``, ``…/{id}/cancel/``; ``GET …/{id}/`` for status and progress.
Merges: ``POST contact-merges/``, ``POST …/{id}/undo/``. Export: ``GET contacts/export/``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts import export, merge_display, merge_selectors, selectors
from contacts import merge as merging
from contacts.api import ERROR_RESPONSES, scoped_contact_field
from contacts.export_views import export_response
from contacts.imports import selectors as import_selectors
from contacts.imports import services
from contacts.imports.rows import TARGET_FIELDS
from contacts.models import ContactMerge, ImportFormat, ImportJob, ImportStatus
from relintel.accounts.models import Membership
from relintel.api_fields import query_filters, request_membership
from relintel.api_views import MemberViewSet

# --- imports ------------------------------------------------------------------------


class ImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text=f"A CSV or vCard file, up to {services.MAX_FILE_BYTES // (1024 * 1024)} MB.",
    )
    format = serializers.ChoiceField(
        choices=ImportFormat.choices, required=False, help_text="Leave out to detect the format from the file."
    )

    def validate_file(self, upload: Any) -> Any:
        # Refused before it is read into memory.
        if upload.size > services.MAX_FILE_BYTES:
            raise serializers.ValidationError(f"The file is larger than {services.MAX_FILE_BYTES // (1024 * 1024)} MB.")
        return upload


class ImportErrorSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField(help_text="The file's line the row starts on.")
    field = serializers.CharField()
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer[ImportJob]):
    errors = ImportErrorSerializer(many=True, read_only=True, help_text="Rows that are (or were) skipped, by line.")  # type: ignore[assignment]
    needs_mapping = serializers.SerializerMethodField(help_text="A generic CSV waits for `mapping` before its preview.")
    previewing = serializers.SerializerMethodField(
        help_text="A large file's preview is being prepared in the background: poll until it is false."
    )

    class Meta:
        model = ImportJob
        fields = (
            "id",
            "filename",
            "format",
            "status",
            "needs_mapping",
            "previewing",
            "column_mapping",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "skipped_count",
            "errors",
            "preview",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields

    def get_needs_mapping(self, job: ImportJob) -> bool:
        return services.import_job_needs_mapping(job)

    def get_previewing(self, job: ImportJob) -> bool:
        return services.import_job_previewing(job)


class ColumnMappingSerializer(serializers.Serializer[Any]):
    column_mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text=f"Field → the file's column header. Fields: {', '.join(TARGET_FIELDS)}.",
    )


@extend_schema_view(
    list=extend_schema(summary="List your contact imports"),
    retrieve=extend_schema(
        summary="Get a contact import (status, progress, preview)",
        responses={200: ImportJobSerializer, 404: ERROR_RESPONSES[404]},
    ),
)
class ContactImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MemberViewSet[ImportJob]):
    serializer_class = ImportJobSerializer
    parser_classes = (MultiPartParser, FormParser, JSONParser)
    queryset = ImportJob.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[ImportJob]:
        return import_selectors.import_jobs_for(membership=membership).order_by("-created_at", "-id")

    def get_object(self) -> ImportJob:
        return import_selectors.import_job_get(membership=request_membership(self.request), job_id=self.kwargs["pk"])

    @extend_schema(
        summary="Upload a contacts file and preview it",
        description=(
            "Nothing but the import is written. LinkedIn, Google and Outlook CSVs and vCards are previewed at once; "
            "a generic CSV returns `needs_mapping` with its `preview.headers` and `preview.samples`: send the "
            "mapping next. The preview counts rows to create, update and skip; `errors` lists bad rows by line."
        ),
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ImportJobSerializer, 400: ERROR_RESPONSES[400]},
    )
    def create(self, request: Request) -> Response:
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        job = services.import_job_create(
            membership=request_membership(request),
            filename=upload.name or "",
            data=upload.read(),
            format_override=serializer.validated_data.get("format", ""),
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Set a generic CSV's column mapping and preview it",
        request=ColumnMappingSerializer,
        responses={200: ImportJobSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def mapping(self, request: Request, pk: str | None = None) -> Response:
        job = self.get_object()
        serializer = ColumnMappingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.import_job_map(job=job, column_mapping=serializer.validated_data["column_mapping"])
        return Response(ImportJobSerializer(job).data)

    @extend_schema(
        summary="Confirm an import",
        description="Small files are imported before the response (200); large ones are queued (202): "
        "poll the import for `processed_rows`.",
        request=None,
        responses={200: ImportJobSerializer, 202: ImportJobSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        job = services.import_job_confirm(job=self.get_object())
        code = status.HTTP_200_OK if job.status == ImportStatus.DONE else status.HTTP_202_ACCEPTED
        return Response(ImportJobSerializer(job).data, status=code)

    @extend_schema(
        summary="Cancel an import",
        request=None,
        responses={200: ImportJobSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = services.import_job_cancel(job=self.get_object())
        return Response(ImportJobSerializer(job).data)


# --- merges -------------------------------------------------------------------------


class ContactMergeSerializer(serializers.ModelSerializer[ContactMerge]):
    summary = serializers.SerializerMethodField()

    class Meta:
        model = ContactMerge
        fields = (
            "id",
            "survivor",
            "merged",
            "performed_by",
            "created_at",
            "undone_at",
            "undone_by",
            "moved",
            "summary",
        )
        read_only_fields = fields

    def get_summary(self, merge: ContactMerge) -> dict[str, int]:
        return dict(merge_display.merge_summary(merge.moved))


class ContactMergeRequestSerializer(serializers.Serializer[Any]):
    survivor = scoped_contact_field(help_text="The contact that stays.")
    merged = scoped_contact_field(help_text="The contact merged into it (then hidden; its page redirects).")
    field_choices = serializers.DictField(
        child=serializers.ChoiceField(choices=[merging.SURVIVOR, merging.MERGED, merging.BOTH]),
        required=False,
        default=dict,
        help_text=f"Per field, whose value to keep (default: the survivor's). Fields: {', '.join(merging.MERGE_FIELDS)}; "
        f"`both` joins {', '.join(merging.TEXT_CHOICE_FIELDS)}.",
    )


@extend_schema_view(
    list=extend_schema(summary="List merges (latest first)"),
    retrieve=extend_schema(summary="Get a merge", responses={200: ContactMergeSerializer, 404: ERROR_RESPONSES[404]}),
)
class ContactMergeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MemberViewSet[ContactMerge]):
    serializer_class = ContactMergeSerializer
    queryset = ContactMerge.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[ContactMerge]:
        return merge_selectors.merges_for(membership=membership).order_by("-created_at", "-id")

    def get_object(self) -> ContactMerge:
        return merge_selectors.merge_get(membership=request_membership(self.request), merge_id=self.kwargs["pk"])

    @extend_schema(
        summary="Merge two contacts",
        description="Every email, phone, interaction, help offer, relationship and introduction of `merged` "
        "moves to `survivor`; the merge can be undone.",
        request=ContactMergeRequestSerializer,
        responses={201: ContactMergeSerializer, **ERROR_RESPONSES},
    )
    def create(self, request: Request) -> Response:
        serializer = ContactMergeRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        merge = merging.contact_merge(
            membership=request_membership(request),
            survivor=data["survivor"],
            merged=data["merged"],
            field_choices=data["field_choices"],
        )
        return Response(ContactMergeSerializer(merge).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Undo a merge", request=None, responses={200: ContactMergeSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk: str | None = None) -> Response:
        merge = merging.contact_merge_undo(membership=request_membership(request), merge=self.get_object())
        return Response(ContactMergeSerializer(merge).data)


# --- export -------------------------------------------------------------------------


class ContactExportFilterSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=[export.CSV, export.VCARD], required=False, default=export.CSV)
    q = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    company = serializers.IntegerField(required=False, min_value=1)
    owner = serializers.IntegerField(required=False, min_value=1)
    mine = serializers.BooleanField(required=False, default=False)
    sort = serializers.ChoiceField(choices=list(selectors.CONTACT_SORTS), required=False, default="name")


class ContactExportView(APIView):
    @extend_schema(
        summary="Export contacts as CSV or vCard",
        description="The contacts the list filters select, streamed: CSV (UTF-8 with a BOM, one row per contact) "
        "or vCard 3.0.",
        parameters=[ContactExportFilterSerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "text/vcard"): OpenApiResponse(OpenApiTypes.BINARY),
            400: ERROR_RESPONSES[400],
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        f = query_filters(request, ContactExportFilterSerializer)
        filters = selectors.ContactFilters(
            q=f["q"], company_id=f.get("company"), owner_id=f.get("owner"), mine=f["mine"], sort=f["sort"]
        )
        return export_response(membership=request_membership(request), filters=filters, kind=f["type"])
