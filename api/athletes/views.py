"""Users, integrations, activities, health metrics, goals, plans (API.md §3)."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import activities as detail
from analytics.plans import plan_instances_data, with_plan
from analytics.records import marks_for
from api.athletes import serializers as s
from api.athletes.export import export_zip
from astral import cache
from astral.api.errors import ApiError, first_error
from astral.api.pagination import (
    CURSOR_PARAM_LENGTH,
    Page,
    cursor_text,
    cursor_values,
    page_from,
    paginated,
    walk,
)
from astral.api.params import bool_param, date_param, instant_param, str_param
from astral.api.parsers import MultiPartParser
from astral.api.requests import fetch_visible, require_user, validated
from astral.api.responses import cached_response, ok
from astral.api.schema import USER_ID, WALK, ApiDoc, public_id, query
from astral.localtime import local_midnight, local_today
from athletes import files, streams
from athletes.models import (
    Activity,
    ActivityComment,
    Goal,
    ImportBatch,
    Plan,
    PlanInstance,
    Source,
    User,
)
from athletes.representations import (
    activity_data,
    goal_data,
    health_metric_data,
    integrations_data,
    original_file_response,
    plan_data,
    user_data,
)
from athletes.selectors import original_file_of, training_context
from athletes.services import accounts, imports
from athletes.services import activities as activity_services
from athletes.services import health as health_services
from athletes.services import plans as plan_services
from metrics.load import calories_estimate
from organizations.access import (
    Caller,
    caller_of,
    can_coach,
    can_view_athlete,
    coached_org_ids,
    organization_athletes,
    resolve_athlete,
    resolve_organization,
)


def body(request: Request) -> Any:
    return request.data


# Users ----------------------------------------------------------------------------------


class MeView(APIView):
    api_doc = {
        "get": ApiDoc(),
        "patch": ApiDoc(request=s.UserUpdateSerializer, errors=(400, 403, 409)),
        # 409 SOLE_OWNER: the only owner of a club with other members hands it over first.
        "delete": ApiDoc(request=s.PasswordSerializer, errors=(400, 403, 409)),
    }

    def get(self, request: Request) -> Response:
        return ok(user_data(require_user(caller_of(request))))

    def patch(self, request: Request) -> Response:
        user = require_user(caller_of(request))
        data = validated(s.UserUpdateSerializer, body(request))
        accounts.user_update(user=user, changes=data)
        return ok(user_data(user))

    def delete(self, request: Request) -> Response:
        """Deletes the athlete and everything of theirs; the password confirms it."""
        user = require_user(caller_of(request))
        data = validated(s.PasswordSerializer, body(request))
        if not user.check_password(data["password"]):
            raise ApiError("The password is not correct.", "INVALID_CREDENTIALS", field="password")
        accounts.user_delete(user=user)
        return ok({"deleted": True})


class ExportView(APIView):
    api_doc = {
        "get": ApiDoc(
            response={"type": "string", "format": "binary"},
            media_type="application/zip",
            errors=(401, 403),
            summary="All of the athlete's data as a zip of JSON and CSV",
        )
    }

    def get(self, request: Request) -> HttpResponse:
        user = require_user(caller_of(request))
        response = HttpResponse(export_zip(user), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="astral-{user.username}.zip"'
        return response


class UserDetailView(APIView):
    api_doc = {"get": ApiDoc()}

    def get(self, request: Request, user_id: str) -> Response:
        return ok(user_data(resolve_athlete(caller_of(request), user_id)))


class IntegrationsView(APIView):
    api_doc = {"get": ApiDoc(errors=(403,))}

    def get(self, request: Request) -> Response:
        user = require_user(caller_of(request))
        return ok(integrations_data(list(user.integrations.all())))


class IntegrationDetailView(APIView):
    api_doc = {"put": ApiDoc(request=s.IntegrationSerializer), "delete": ApiDoc()}

    def put(self, request: Request, provider: str) -> Response:
        user = require_user(caller_of(request))
        if provider not in s.PROVIDERS:
            raise ApiError(
                f"Unknown provider: {provider}.", "NOT_FOUND", field="provider", status=404
            )
        data = validated(s.IntegrationSerializer, body(request) or {})
        accounts.integration_connect(
            user=user, provider=provider, external_id=data.get("external_id", "")
        )
        return ok(integrations_data(list(user.integrations.all())))

    def delete(self, request: Request, provider: str) -> Response:
        user = require_user(caller_of(request))
        if provider not in s.PROVIDERS:
            raise ApiError(
                f"Unknown provider: {provider}.", "NOT_FOUND", field="provider", status=404
            )
        accounts.integration_disconnect(user=user, provider=provider)
        return ok(integrations_data(list(user.integrations.all())))


# Activities -----------------------------------------------------------------------------


def writable_athlete(caller: Caller, user_id: Any) -> User:
    """The athlete whose data the caller writes: self, or a coach's/API key's athlete."""
    return resolve_athlete(caller, user_id)


# API.md §5: lists of what an integration syncs take the instant it last looked.
UPDATED_SINCE = query(
    "updated_since",
    {
        "type": "string",
        "format": "date-time",
        "pattern": "^(19|2[01])[0-9]{2}-.*(Z|[+-][0-9]{2}:[0-9]{2})$",
    },
    description="Only what was created or changed at or after this instant (ISO 8601)",
)


def list_cursor_value(text: str) -> tuple[datetime, int]:
    """Where the activity list's page ended (start, then id), from its cursor."""
    start, row_id = cursor_values(text, "activities", 2)
    try:
        return datetime.fromisoformat(str(start)), int(row_id)
    except (ValueError, TypeError):
        raise ApiError("cursor is not one this list gave.", field="cursor") from None


def changed_since(queryset: Any, request: Request) -> Any:
    since = instant_param(request.query_params, "updated_since")
    return queryset.filter(updated_at__gte=since) if since else queryset


class ActivityListView(APIView):
    api_doc = {
        "get": ApiDoc(
            params=[
                USER_ID,
                query("from", OpenApiTypes.DATE),
                query("to", OpenApiTypes.DATE),
                UPDATED_SINCE,
                *WALK,
            ]
        ),
        "post": ApiDoc(
            request=s.ActivityWriteSerializer,
            params=[query("allow_overlap", OpenApiTypes.BOOL)],
            status=201,
            errors=(400, 403, 404, 409),
        ),
    }

    @staticmethod
    def cache_key(athlete_pk: int, first: date | None, last: date | None, page: Page) -> str:
        return cache.activities_key(athlete_pk, first, last, page.offset, page.limit)

    def prefetch_keys(self, params: Any, athlete_pk: int) -> list[str]:
        """What `get` reads from the cache, for a key's sign-in to read in its round trip
        (astral.api.prefetch); nothing for parameters `get` refuses."""
        try:
            page = page_from(params)
            first, last = date_param(params, "from"), date_param(params, "to")
        except ApiError:
            return []
        return [self.cache_key(athlete_pk, first, last, page), cache.athlete(athlete_pk)]

    def get(self, request: Request) -> Response:
        caller = caller_of(request)
        athlete = resolve_athlete(caller, str_param(request.query_params, "user_id", 32))
        page = page_from(request.query_params)
        first = date_param(request.query_params, "from")
        last = date_param(request.query_params, "to")
        if first and last and last < first:
            raise ApiError("to must not be before from.", field="to")
        updated_since = instant_param(request.query_params, "updated_since")
        raw_cursor = str_param(request.query_params, "cursor", CURSOR_PARAM_LENGTH)
        after = list_cursor_value(raw_cursor) if raw_cursor else None
        tz = athlete.tz

        def compute() -> dict[str, Any]:
            # The page, its count and its marks in one statement (no model per row).
            rows, total = detail.activity_page(
                athlete,
                since=local_midnight(first, tz) if first else None,
                before=local_midnight(last + timedelta(days=1), tz) if last else None,
                offset=0 if after else page.offset,
                limit=page.per_page if after else page.limit,
                updated_since=updated_since,
                after=after,
            )
            items = [{**activity_data(a), "marks": marks} for a, marks in rows]  # type: ignore[arg-type]
            data = paginated(items, total, page, key="activities")
            # API.md §5: where the next page starts, whatever is written meanwhile.
            data["next_cursor"] = (
                cursor_text("activities", [rows[-1][0].start_time, rows[-1][0].id])  # type: ignore[attr-defined]
                if len(rows) == page.per_page
                else None
            )
            return data

        # An integration polls the same pages all day: the rendered page is kept until the
        # athlete's data, profile or settings change (every write replaces their token).
        return cached_response(
            self.cache_key(athlete.pk, first, last, page)
            + (f":u{updated_since.isoformat()}" if updated_since else "")
            + (f":c{raw_cursor}" if raw_cursor else ""),
            cache.ANALYTICS_TTL,
            compute,
            refresh=False,
            request=request,
            deps=[cache.athlete(athlete.pk)],
            known=caller.prefetched,
        )

    def post(self, request: Request) -> Response:
        caller = caller_of(request)
        data = validated(s.ActivityWriteSerializer, body(request))
        athlete = writable_athlete(caller, data.pop("user_id", None))
        samples = data.pop("samples", None)
        allow_overlap = data.pop("allow_overlap", False) or bool_param(
            request.query_params, "allow_overlap"
        )
        data.setdefault("source", "api" if caller.is_api_key else "manual")
        activity = activity_services.activity_create(
            user=athlete, fields=data, samples=samples, allow_overlap=allow_overlap
        )
        return ok(activity_data(activity), status=201)


# What a replacing PUT sets when the body leaves it out: as a new activity would have it.
REPLACED_DEFAULTS: dict[str, Any] = {
    "name": "",
    "notes": "",
    "sport": "run",
    "elapsed_time": None,
    "avg_heart_rate": None,
    "max_heart_rate": None,
    "calories": None,
    "elevation_gain": None,
}


class ActivityByExternalIdView(APIView):
    """API.md §5: an integration's run by its own id, created (201) or replaced (200)."""

    api_doc = {
        "put": ApiDoc(
            params=[
                OpenApiParameter(
                    "source", {"type": "string", "enum": list(Source.values)}, OpenApiParameter.PATH
                ),
                OpenApiParameter(
                    "external_id",
                    {"type": "string", "minLength": 1, "maxLength": 128},
                    OpenApiParameter.PATH,
                ),
            ],
            request=s.ActivityPutSerializer,
            status=200,
            also=(201,),
            errors=(400, 403, 404, 409),
            summary="Create or replace the activity with this external id",
        )
    }

    def put(self, request: Request, source: str, external_id: str) -> Response:
        caller = caller_of(request)
        if source not in Source.values:
            raise ApiError(f"source must be one of {', '.join(Source.values)}.", field="source")
        if not 1 <= len(external_id) <= 128:
            raise ApiError("external_id is 1 to 128 characters.", field="external_id")
        data = validated(s.ActivityPutSerializer, body(request))
        athlete = writable_athlete(caller, data.pop("user_id", None))
        samples = data.pop("samples", None)
        allow_overlap = data.pop("allow_overlap", False)
        data.update(source=source, external_id=external_id)
        existing = (
            Activity.objects.select_related("user")
            .filter(user=athlete, source=source, external_id=external_id)
            .first()
        )
        if existing is None:
            activity = activity_services.activity_create(
                user=athlete, fields=data, samples=samples, allow_overlap=allow_overlap
            )
            return ok(activity_data(activity), status=201)
        fields = {**REPLACED_DEFAULTS, **data}
        if fields["calories"] is None:
            fields["calories"] = calories_estimate(fields["distance"], athlete.weight_kg)
        activity = activity_services.activity_update(
            activity=existing, fields=fields, allow_overlap=allow_overlap, samples=samples or []
        )
        return ok(activity_data(activity))


class ActivityCommentsView(APIView):
    api_doc = {
        "get": ApiDoc(),
        "post": ApiDoc(request=s.CommentSerializer, status=201, errors=(400, 403, 404)),
    }

    def get(self, request: Request, activity_id: str) -> Response:
        activity = visible_activity(caller_of(request), activity_id)
        return ok({"activity_id": activity.public_id, "comments": detail.comment_rows(activity)})

    def post(self, request: Request, activity_id: str) -> Response:
        caller = caller_of(request)
        author = require_user(caller)
        activity = visible_activity(caller, activity_id)
        data = validated(s.CommentSerializer, body(request))
        comment = activity_services.comment_create(
            activity=activity, author=author, text=data["text"]
        )
        return ok(
            next(c for c in detail.comment_rows(activity) if c["comment_id"] == comment.pk),
            status=201,
        )


class ActivityCommentDetailView(APIView):
    api_doc = {"delete": ApiDoc(errors=(403, 404))}

    def delete(self, request: Request, activity_id: str, comment_id: int) -> Response:
        caller = caller_of(request)
        author = require_user(caller)
        activity = visible_activity(caller, activity_id)
        comment = ActivityComment.objects.filter(activity=activity, pk=comment_id).first()
        if comment is None:
            raise ApiError("No such comment.", "NOT_FOUND", status=404)
        if comment.author_id != author.pk:
            raise ApiError("Only the comment's author deletes it.", "PERMISSION_DENIED", status=403)
        activity_services.comment_delete(comment=comment)
        return ok({"comment_id": comment_id, "deleted": True})


# One activity file, or a whole export's zip: the multipart form both endpoints read.
FILE_FORM = {
    "multipart/form-data": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "user_id": public_id("usr"),
            "allow_overlap": {"type": "boolean"},
        },
        "additionalProperties": False,
    }
}
# The upload's own: what the activity was, for a file that names no sport (API.md).
UPLOAD_FORM = {
    "multipart/form-data": {
        **FILE_FORM["multipart/form-data"],
        "properties": {
            **FILE_FORM["multipart/form-data"]["properties"],
            "sport": {"type": "string", "pattern": s.SPORT_PATTERN},
        },
    }
}


def file_form(request: Request, form: dict[str, Any] = FILE_FORM) -> None:
    """As for JSON bodies: a field the form does not have is a 400 naming it."""
    known = form["multipart/form-data"]["properties"]
    for name in [*request.data.keys(), *request.FILES.keys()]:
        if name not in known:
            raise ApiError(f"Unknown field '{name}'.", field=name)


class ActivityUploadView(APIView):
    parser_classes = [MultiPartParser]
    api_doc = {
        "post": ApiDoc(
            request=UPLOAD_FORM,
            status=201,
            errors=(400, 403, 404, 409, 413, 415),
        )
    }

    def post(self, request: Request) -> Response:
        caller = caller_of(request)
        file_form(request, UPLOAD_FORM)
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiError("Attach the activity file as the multipart field 'file'.", field="file")
        if upload.size > settings.ASTRAL_UPLOAD_MAX_BYTES:
            raise ApiError(
                "The file is larger than 25 MB.", "FILE_TOO_LARGE", field="file", status=413
            )
        sport = str_param(request.data, "sport", 32)
        if sport is not None and not re.fullmatch(s.SPORT_PATTERN, sport):
            raise ApiError("sport must be a sport's name such as run or ride.", field="sport")
        athlete = resolve_athlete(caller, str_param(request.data, "user_id", 32))
        allow_overlap = bool_param(request.data, "allow_overlap") or bool_param(
            request.query_params, "allow_overlap"
        )
        try:
            with activity_services.upload_slot(athlete):
                imported = activity_services.activity_import_file(
                    user=athlete,
                    filename=upload.name or "",
                    content=upload.read(),
                    allow_overlap=allow_overlap,
                    sport=sport,
                )
        except files.UnsupportedFileType as exc:
            raise ApiError(
                f"Unsupported file type: {exc}. Upload .fit, .gpx or .tcx, optionally .gz.",
                "UNSUPPORTED_FILE_TYPE",
                field="file",
                status=415,
            ) from None
        except files.FileTooLarge as exc:
            raise ApiError(
                f"File too large: {exc}.", "FILE_TOO_LARGE", field="file", status=413
            ) from None
        except files.InvalidActivityFile as exc:
            raise ApiError(f"Invalid activity file: {exc}.", "INVALID_FILE", field="file") from None
        data = activity_data(imported.first)
        if len(imported.activities) > 1:
            data["legs"] = [activity_data(leg) for leg in imported.activities]
        data["file_warning"] = imported.warning
        return ok(data, status=201)


def import_data(batch: ImportBatch) -> dict[str, Any]:
    return {
        "import_id": batch.public_id,
        "user_id": batch.user.public_id,
        "total": batch.total,
        "done": batch.done,
        "imported": batch.imported,
        "duplicate": batch.duplicate,
        "rejected": batch.rejected,
        "problems": batch.problems,
        "finished": batch.done >= batch.total,
        "created_at": batch.created_at,
    }


class ActivityImportView(APIView):
    """A zip of a whole export: every file a task on the workers; 202 with the batch."""

    parser_classes = [MultiPartParser]
    api_doc = {
        "post": ApiDoc(
            request=FILE_FORM,
            status=202,
            errors=(400, 403, 404, 413),
        )
    }

    def post(self, request: Request) -> Response:
        caller = caller_of(request)
        file_form(request)
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiError("Attach the export's zip as the multipart field 'file'.", field="file")
        athlete = writable_athlete(caller, str_param(request.data, "user_id", 32))
        if not zipfile.is_zipfile(upload):
            raise ApiError(
                "The file is not a zip: upload a single activity to /api/v1/activities/upload.",
                "INVALID_FILE",
                field="file",
            )
        upload.seek(0)
        batch = imports.import_archive_start(
            user=athlete,
            upload=upload,
            allow_overlap=bool_param(request.data, "allow_overlap"),
        )
        batch.refresh_from_db()
        return ok(import_data(batch), status=202)


class ImportDetailView(APIView):
    api_doc = {"get": ApiDoc(errors=(403, 404))}

    def get(self, request: Request, import_id: str) -> Response:
        caller = caller_of(request)
        batch = fetch_visible(
            ImportBatch.objects.select_related("user"),
            import_id,
            "import",
            lambda found: can_view_athlete(caller, found.user),
        )
        return ok(import_data(batch))


def visible_activity(caller: Caller, activity_id: str) -> Activity:
    return fetch_visible(
        Activity.objects.select_related("user"),
        activity_id,
        "activity",
        lambda activity: can_view_athlete(caller, activity.user),
    )


class ActivityDetailView(APIView):
    api_doc = {
        "get": ApiDoc(
            params=[
                query(
                    "include",
                    description="Comma-separated heavy parts: " + ", ".join(detail.INCLUDES),
                )
            ]
        ),
        "patch": ApiDoc(request=s.ActivityPatchSerializer, errors=(400, 403, 404, 409)),
        "delete": ApiDoc(),
    }

    def get(self, request: Request, activity_id: str) -> Response:
        caller = caller_of(request)
        activity = visible_activity(caller, activity_id)
        include = [p for p in (str_param(request.query_params, "include") or "").split(",") if p]
        unknown = sorted(set(include) - set(detail.INCLUDES))
        if unknown:
            raise ApiError(
                f"include accepts {', '.join(detail.INCLUDES)}; not {', '.join(unknown)}.",
                field="include",
            )
        data = activity_data(activity)
        data["marks"] = marks_for([activity.pk]).get(activity.pk, [])
        if activity.multisport_id:
            data["multisport"] = {
                "event_id": activity.multisport_id,
                "legs": [
                    {
                        "activity_id": leg["public_id"],
                        "leg": leg["leg"],
                        "sport": leg["sport"],
                        "distance": leg["distance"],
                        "duration": leg["duration"],
                        "start_time": leg["start_time"],
                    }
                    for leg in detail.event_legs(activity)
                ],
            }
        if {"samples", "series", "laps", "splits"} & set(include):
            columns, stream = detail.stream_of(activity, samples="samples" in include)
            views = detail.views_of(activity, stream)
            data["sample_count"] = stream.sample_count if stream else 0
            if "samples" in include:
                data["samples"] = streams.downsample(columns, 1000) if columns else None
            if "series" in include:
                data["series"] = views["series"]
            if "laps" in include:
                data["laps"] = detail.lap_rows(stream)
            if "splits" in include:
                unit = "mi" if caller.user and caller.user.units == "imperial" else "km"
                data["splits"] = {"unit": unit, "rows": views["splits"][unit]}
        if "zones" in include:
            athlete = activity.user
            data["zones"] = detail.zone_rows(
                activity, training_context(athlete, local_today(athlete.tz))
            )
        if "best_efforts" in include:
            data["best_efforts"] = detail.effort_rows(activity)
        if "comments" in include:
            data["comments"] = detail.comment_rows(activity)
        return ok(data)

    def patch(self, request: Request, activity_id: str) -> Response:
        activity = visible_activity(caller_of(request), activity_id)
        data = validated(s.ActivityPatchSerializer, body(request))
        allow_overlap = data.pop("allow_overlap", False)
        merged_elapsed = data.get("elapsed_time", activity.elapsed_time)
        if merged_elapsed is not None and merged_elapsed < data.get("duration", activity.duration):
            raise ApiError(
                "elapsed_time must not be shorter than the moving duration.", field="elapsed_time"
            )
        activity = activity_services.activity_update(
            activity=activity, fields=data, allow_overlap=allow_overlap
        )
        return ok(activity_data(activity))

    def delete(self, request: Request, activity_id: str) -> Response:
        activity = visible_activity(caller_of(request), activity_id)
        activity_services.activity_delete(activity=activity)
        return ok({"activity_id": activity_id, "deleted": True})


class ActivityFileView(APIView):
    api_doc = {
        "get": ApiDoc(
            response={"type": "string", "format": "binary"},
            media_type="application/octet-stream",
            errors=(403, 404),
            summary="The file the activity was uploaded as (.fit, .gpx or .tcx, as sent)",
        )
    }

    def get(self, request: Request, activity_id: str) -> HttpResponse:
        activity = visible_activity(caller_of(request), activity_id)
        kept = original_file_of(activity, with_data=True)
        if kept is None:
            raise ApiError(
                "This activity was not uploaded as a file: it has no original file.",
                "NOT_FOUND",
                status=404,
            )
        return original_file_response(kept)


# Health metrics -------------------------------------------------------------------------

MAX_HEALTH_ENTRIES = 1000


class HealthMetricsView(APIView):
    api_doc = {
        "post": ApiDoc(
            request=PolymorphicProxySerializer(
                component_name="HealthMetricsWrite",
                serializers=[s.HealthEntrySerializer, s.HealthEntriesSerializer],
                resource_type_field_name=None,
            ),
            status=201,
        ),
        "get": ApiDoc(
            params=[
                USER_ID,
                query("from", OpenApiTypes.DATE),
                query("to", OpenApiTypes.DATE),
                UPDATED_SINCE,
                *WALK,
            ]
        ),
    }

    def post(self, request: Request) -> Response:
        caller = caller_of(request)
        payload = body(request)
        bulk = isinstance(payload, dict) and "entries" in payload
        if bulk:
            others = sorted(str(name) for name in payload if name != "entries")
            if others:
                raise ApiError(
                    f"{others[0]}: Unknown field; with entries, each entry carries its own.",
                    field=others[0],
                )
            raw_entries = payload["entries"]
            if not isinstance(raw_entries, list) or not raw_entries:
                raise ApiError("entries must be a non-empty list.", field="entries")
            if len(raw_entries) > MAX_HEALTH_ENTRIES:
                raise ApiError(
                    f"At most {MAX_HEALTH_ENTRIES} entries per request.", field="entries"
                )
        else:
            raw_entries = [payload]
        entries = []
        athletes: dict[str | None, User] = {}
        for index, raw in enumerate(raw_entries):
            prefix = f"entries[{index}]" if bulk else None
            serializer = s.HealthEntrySerializer(data=raw)
            if not serializer.is_valid():
                field, message = first_error(serializer.errors)
                path = f"{prefix}.{field}" if prefix and field else (prefix or field)
                raise ApiError(f"{path}: {message}" if path else message, field=path)
            data = dict(serializer.validated_data)
            user_id = data.pop("user_id", None)
            if user_id not in athletes:
                try:
                    athletes[user_id] = resolve_athlete(caller, user_id)
                except ApiError as exc:
                    exc.field = f"{prefix}.user_id" if prefix else "user_id"
                    raise
            entries.append((athletes[user_id], data))
        stored = health_services.health_metrics_upsert(entries=entries)
        users_by_pk = {u.pk: u for u in athletes.values()}
        items = [health_metric_data(m, users_by_pk[m.user_id]) for m in stored]
        if bulk:
            return ok({"entries": items, "count": len(items)}, status=201)
        return ok(items[0], status=201)

    def get(self, request: Request) -> Response:
        caller = caller_of(request)
        athlete = resolve_athlete(caller, str_param(request.query_params, "user_id", 32))
        queryset = athlete.health_metrics.all()
        first = date_param(request.query_params, "from")
        last = date_param(request.query_params, "to")
        if first:
            queryset = queryset.filter(date__gte=first)
        if last:
            queryset = queryset.filter(date__lte=last)
        rows = walk(
            changed_since(queryset, request), ["-date", "pk"], request.query_params, "entries"
        )
        return ok(rows.answer([health_metric_data(m, athlete) for m in rows.rows], "entries"))


# Goals ----------------------------------------------------------------------------------


def visible_goal(caller: Caller, goal_id: str) -> Goal:
    return fetch_visible(
        Goal.objects.select_related("user"),
        goal_id,
        "goal",
        lambda goal: can_view_athlete(caller, goal.user),
    )


class GoalListView(APIView):
    api_doc = {
        "get": ApiDoc(params=[USER_ID, UPDATED_SINCE, *WALK]),
        "post": ApiDoc(request=s.GoalSerializer, status=201),
    }

    def get(self, request: Request) -> Response:
        athlete = resolve_athlete(
            caller_of(request), str_param(request.query_params, "user_id", 32)
        )
        queryset = changed_since(Goal.objects.filter(user=athlete).select_related("user"), request)
        rows = walk(queryset, ["race_date", "pk"], request.query_params, "goals")
        return ok(rows.answer([goal_data(g) for g in rows.rows], "goals"))

    def post(self, request: Request) -> Response:
        caller = caller_of(request)
        data = validated(s.GoalSerializer, body(request))
        athlete = resolve_athlete(caller, data.pop("user_id", None))
        goal = plan_services.goal_create(athlete=athlete, fields=data)
        return ok(goal_data(goal), status=201)


class GoalDetailView(APIView):
    api_doc = {"get": ApiDoc(), "patch": ApiDoc(request=s.GoalPatchSerializer), "delete": ApiDoc()}

    def get(self, request: Request, goal_id: str) -> Response:
        return ok(goal_data(visible_goal(caller_of(request), goal_id)))

    def patch(self, request: Request, goal_id: str) -> Response:
        goal = visible_goal(caller_of(request), goal_id)
        data = validated(s.GoalPatchSerializer, body(request))
        plan_services.goal_update(goal=goal, changes=data)
        return ok(goal_data(goal))

    def delete(self, request: Request, goal_id: str) -> Response:
        goal = visible_goal(caller_of(request), goal_id)
        plan_services.goal_delete(goal=goal)
        return ok({"goal_id": goal_id, "deleted": True})


# Plans ----------------------------------------------------------------------------------


class PlanListView(APIView):
    api_doc = {
        "get": ApiDoc(params=[query("org_id", public_id("org")), UPDATED_SINCE, *WALK]),
        "post": ApiDoc(request=s.PlanSerializer, status=201),
    }

    def get(self, request: Request) -> Response:
        caller = caller_of(request)
        org_ids = coached_org_ids(caller)
        queryset = changed_since(
            Plan.objects.filter(organization_id__in=org_ids).select_related("organization"),
            request,
        )
        org_id = str_param(request.query_params, "org_id", 32)
        if org_id:
            queryset = queryset.filter(
                organization=resolve_organization(caller, org_id, coach=True)
            )
        rows = walk(queryset, ["name", "pk"], request.query_params, "plans")
        return ok(rows.answer([plan_data(p) for p in rows.rows], "plans"))

    def post(self, request: Request) -> Response:
        caller = caller_of(request)
        data = validated(s.PlanSerializer, body(request))
        organization = resolve_organization(caller, data["org_id"], coach=True)
        plan, workouts = plan_services.plan_create(
            organization=organization,
            name=data["name"],
            total_weeks=data["total_weeks"],
            description=data.get("description", ""),
            created_by=caller.user,
            workouts=data.get("workouts", []),
        )
        return ok(plan_data(plan, workouts), status=201)


def coached_plan(caller: Caller, plan_id: str) -> Plan:
    return fetch_visible(
        Plan.objects.select_related("organization"),
        plan_id,
        "plan",
        lambda plan: can_coach(caller, plan.organization),
    )


class PlanDetailView(APIView):
    api_doc = {"get": ApiDoc()}

    def get(self, request: Request, plan_id: str) -> Response:
        plan = coached_plan(caller_of(request), plan_id)
        return ok(plan_data(plan, list(plan.workouts.order_by("week", "day"))))


class PlanAssignView(APIView):
    api_doc = {"post": ApiDoc(request=s.AssignSerializer, status=201)}

    def post(self, request: Request, plan_id: str) -> Response:
        caller = caller_of(request)
        plan = coached_plan(caller, plan_id)
        data = validated(s.AssignSerializer, body(request))
        athletes = organization_athletes(plan.organization, data["user_ids"])
        created = plan_services.plan_assign(
            plan=plan, athletes=athletes, start_date=data["start_date"]
        )
        instances = with_plan(PlanInstance.objects.filter(pk__in=[i.pk for i in created]))
        return ok({"plan_instances": plan_instances_data(instances)}, status=201)


class PlanInstanceListView(APIView):
    api_doc = {"get": ApiDoc(params=[USER_ID, UPDATED_SINCE, *WALK])}

    def get(self, request: Request) -> Response:
        athlete = resolve_athlete(
            caller_of(request), str_param(request.query_params, "user_id", 32)
        )
        queryset = with_plan(changed_since(PlanInstance.objects.filter(user=athlete), request))
        rows = walk(queryset, ["-start_date", "pk"], request.query_params, "plan_instances")
        return ok(rows.answer(plan_instances_data(rows.rows), "plan_instances"))


def visible_plan_instance(caller: Caller, instance_id: str) -> PlanInstance:
    return fetch_visible(
        with_plan(PlanInstance.objects.all()),
        instance_id,
        "plan instance",
        lambda instance: can_view_athlete(caller, instance.user),
    )


class PlanInstanceDetailView(APIView):
    api_doc = {"get": ApiDoc(), "patch": ApiDoc(request=s.PlanInstancePatchSerializer)}

    def get(self, request: Request, instance_id: str) -> Response:
        instance = visible_plan_instance(caller_of(request), instance_id)
        return ok(plan_instances_data([instance])[0])

    def patch(self, request: Request, instance_id: str) -> Response:
        instance = visible_plan_instance(caller_of(request), instance_id)
        data = validated(s.PlanInstancePatchSerializer, body(request))
        plan_services.plan_instance_update(instance=instance, changes=data)
        return ok(plan_instances_data([instance])[0])
