"""What every success answer holds, field by field (API.md §5: "a schema that types everything").

`ANSWERS` maps each JSON operation (by its operationId) to the shape of its `data` (or, for the
auth endpoints, of the whole body); `COMPONENTS` are the resources several answers share. The
postprocessing hook `typed_answers` writes them into the OpenAPI schema and refuses to build a
schema in which an operation has no declared answer, so a new view cannot ship untyped.

Objects are closed (`additionalProperties: false`) and every field that is always sent is
required: the suite checks every answer it receives against this schema
(tests/conftest.py), so a field added, dropped or retyped in code without changing this file
fails the tests.
"""

from __future__ import annotations

import copy
from typing import Any

from athletes.models import PlanStatus, Sex, Source, UnitSystem
from organizations.models import InvitationStatus, Role

Shape = dict[str, Any]

STR: Shape = {"type": "string"}
INT: Shape = {"type": "integer"}
NUM: Shape = {"type": "number"}
BOOL: Shape = {"type": "boolean"}
DAY: Shape = {"type": "string", "format": "date"}
INSTANT: Shape = {"type": "string", "format": "date-time"}
_OPTIONAL = "x-astral-optional"


def ident(prefix: str) -> Shape:
    return {"type": "string", "pattern": f"^{prefix}_[0-9a-z]{{16}}$"}


def enum(*values: str) -> Shape:
    return {"type": "string", "enum": list(values)}


def null(shape: Shape) -> Shape:
    return {**shape, "nullable": True}


def arr(items: Shape) -> Shape:
    return {"type": "array", "items": items}


def opt(shape: Shape) -> Shape:
    """A field sent only in some answers (an include asked for, a page with a next one)."""
    return {**shape, _OPTIONAL: True}


def ref(name: str) -> Shape:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(fields: dict[str, Shape] | None = None, **more: Shape) -> Shape:
    """A closed object; keyword names for fields that are Python names, a dict for the rest
    (`from`)."""
    properties = {**(fields or {}), **more}
    required = [name for name, shape in properties.items() if not shape.get(_OPTIONAL)]
    clean = {name: {k: v for k, v in s.items() if k != _OPTIONAL} for name, s in properties.items()}
    out: Shape = {"type": "object", "properties": clean, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def one_of(*shapes: Shape) -> Shape:
    return {"oneOf": list(shapes)}


def choices(choices_class: Any) -> Shape:
    return enum(*choices_class.values)


# Ids (API.md §1: a prefix and 16 characters).
USER_ID = ident("usr")
ACTIVITY_ID = ident("act")
ORG_ID = ident("org")
GROUP_ID = ident("grp")

ZONE_TIMES = {f"{kind}_z{i}_time": null(NUM) for kind in ("pace", "hr") for i in range(1, 6)}
PACE_ZONE_TIMES = {f"pace_z{i}_time": null(NUM) for i in range(1, 6)}
CHANGE_TYPES = ("activity", "health_metric", "goal", "plan", "plan_instance", "membership")
DATED_VALUE = obj(date=DAY, value=NUM)
PAGE_META = obj(total=INT, page=INT, per_page=INT, total_pages=INT, has_next=BOOL, has_prev=BOOL)


def page_of(key: str, item: Shape, *, walk: bool = True, **more: Shape) -> Shape:
    """A list answer (API.md §1): the items under `key`, `total_count` and `metadata`; with
    `next_cursor` (null on the last page) where the list takes `cursor` (API.md §5)."""
    cursor = {"next_cursor": null(STR)} if walk else {}
    return obj({key: arr(item), "total_count": INT, "metadata": PAGE_META, **cursor, **more})


def deleted(id_field: str, id_shape: Shape, flag: str = "deleted", **more: Shape) -> Shape:
    return obj({id_field: id_shape, **more, flag: BOOL})


STEP_TARGET = obj(pace_zone=opt(INT), hr=opt(arr(INT)))
STEP = obj(
    kind=opt(STR),
    distance=opt(NUM),
    duration=opt(NUM),
    target=opt(STEP_TARGET),
    repeat=opt(INT),
    steps=opt(arr(obj(kind=STR, distance=opt(NUM), duration=opt(NUM), target=opt(STEP_TARGET)))),
)
WORKOUT_FIELDS = {
    "type": STR,
    "distance": null(NUM),
    "duration": null(NUM),
    "pace_zone": null(INT),
    "note": STR,
    "steps": null(arr(STEP)),
}
PLAN_WEEK = obj(
    week=INT,
    week_start=DAY,
    planned_distance=NUM,
    done_distance=NUM,
    planned_load=NUM,
    compliance=null(NUM),
    status=STR,
)
PLAN_INSTANCE_FIELDS = {
    "plan_instance_id": ident("pi"),
    "name": STR,
    "status": choices(PlanStatus),
    "start_date": DAY,
    "current_week": INT,
    "total_weeks": INT,
}
INTEGRATION = obj(
    connected=BOOL, connected_at=null(INSTANT), last_sync_at=null(INSTANT), external_id=null(STR)
)
INTEGRATIONS = obj(strava=INTEGRATION, garmin=INTEGRATION, apple_health=INTEGRATION)
SIGNAL = obj(
    code=STR,
    metric=STR,
    severity=enum("info", "warning"),
    current=NUM,
    previous=null(NUM),
    change_pct=null(NUM),
    message=STR,
    since=DAY,
)
FITNESS_NOW = obj(
    vo2_max=null(NUM),
    hrv_avg=null(NUM),
    recovery_score=null(NUM),
    vo2_max_prev=null(NUM),
    hrv_avg_prev=null(NUM),
    recovery_score_prev=null(NUM),
)
RECORD_FIELDS = {
    "activity_id": ACTIVITY_ID,
    "activity_name": STR,
    "start_time": INSTANT,
    "date": DAY,
    "seconds": NUM,
    "time": STR,
}
RECORD = obj(RECORD_FIELDS)
GROUP_TOTALS = {
    "athlete_count": INT,
    "total_distance": NUM,
    "total_activities": INT,
    "active_athletes": INT,
    "engagement_rate": NUM,
    "avg_distance_per_athlete": NUM,
}
STATS_FIELDS = {
    "distance": NUM,
    "duration": NUM,
    "nexrex_training_load": NUM,
    "calories": NUM,
    **PACE_ZONE_TIMES,
}
SERIES = obj(t=arr(NUM), distance=arr(NUM), value=arr(NUM))
ORG_ROLE = obj(org_id=ORG_ID, name=STR, role=choices(Role))
SESSION_USER = obj(
    id=USER_ID,
    email=STR,
    username=STR,
    display_name=STR,
    timezone=STR,
    unit_system=choices(UnitSystem),
    email_verified=BOOL,
    organizations=arr(ORG_ROLE),
)
TOKENS = {"access": STR, "refresh": STR}

COMPONENTS: dict[str, Shape] = {
    "Activity": obj(
        activity_id=ACTIVITY_ID,
        user_id=USER_ID,
        start_time=INSTANT,
        start_time_local=INSTANT,
        name=STR,
        notes=STR,
        sport=STR,
        distance=NUM,
        duration=NUM,
        elapsed_time=null(NUM),
        avg_heart_rate=null(NUM),
        max_heart_rate=null(NUM),
        calories=null(INT),
        elevation_gain=null(NUM),
        source=choices(Source),
        multisport_id=null(ident("evt")),
        leg=null(INT),
        external_id=null(STR),
        training_load=NUM,
        nexrex_training_load=NUM,
        created_at=INSTANT,
        updated_at=INSTANT,
        **ZONE_TIMES,
        # What some answers add: the list's and the page's marks, the includes of
        # GET /activities/{id}, an upload's warning and a multisport file's legs.
        marks=opt(arr(STR)),
        sample_count=opt(INT),
        samples=opt(
            obj(
                t=arr(NUM),
                distance=arr(NUM),
                heart_rate=opt(arr(null(NUM))),
                lat=opt(arr(null(NUM))),
                lon=opt(arr(null(NUM))),
                altitude=opt(arr(null(NUM))),
                cadence=opt(arr(null(NUM))),
            )
        ),
        laps=opt(
            arr(
                obj(
                    number=INT,
                    start=NUM,
                    elapsed=null(NUM),
                    seconds=NUM,
                    distance=NUM,
                    avg_heart_rate=null(NUM),
                    max_heart_rate=null(NUM),
                )
            )
        ),
        splits=opt(
            obj(
                unit=enum("km", "mi"),
                rows=arr(
                    obj(
                        number=INT,
                        distance=NUM,
                        seconds=NUM,
                        pace=NUM,
                        avg_heart_rate=null(NUM),
                        elevation_change=null(NUM),
                    )
                ),
            )
        ),
        series=opt(obj(pace=opt(SERIES), heart_rate=opt(SERIES), cadence=opt(SERIES))),
        zones=opt(
            obj(
                hr=obj(seconds=arr(null(NUM)), upper_bounds=null(arr(NUM))),
                pace=obj(seconds=arr(null(NUM)), boundaries=null(arr(NUM))),
            )
        ),
        best_efforts=opt(
            arr(
                obj(
                    distance=STR,
                    label=STR,
                    seconds=NUM,
                    start_offset=NUM,
                    place=null(INT),
                    mark=null(STR),
                )
            )
        ),
        file_warning=opt(null(STR)),
        legs=opt(arr(ref("Activity"))),
        multisport=opt(
            obj(
                event_id=ident("evt"),
                legs=arr(
                    obj(
                        activity_id=ACTIVITY_ID,
                        leg=INT,
                        sport=STR,
                        distance=NUM,
                        duration=NUM,
                        start_time=INSTANT,
                    )
                ),
            )
        ),
    ),
    "HealthMetric": obj(
        user_id=USER_ID,
        date=DAY,
        resting_hr=null(NUM),
        hrv=null(NUM),
        vo2_max=null(NUM),
        recovery_score=null(NUM),
        sleep_seconds=null(INT),
        updated_at=INSTANT,
    ),
    "User": obj(
        user_id=USER_ID,
        username=STR,
        email=STR,
        display_name=STR,
        profile_image_url=null(STR),
        timezone=STR,
        unit_system=choices(UnitSystem),
        sex=null(choices(Sex)),
        birth_date=null(DAY),
        weight_kg=null(NUM),
        max_hr=null(INT),
        resting_hr=null(INT),
        vdot=null(NUM),
        hr_zones=arr(INT),
        pace_zones=null(arr(NUM)),
        pace_zones_source=null(enum("custom", "vdot")),
        privacy=obj(profile_visibility=STR),
        preferences=obj(week_start=STR),
        has_push_token=BOOL,
    ),
    "ApiKey": obj(
        key_id=ident("key"),
        name=STR,
        prefix=STR,
        created_at=opt(INSTANT),
        last_used_at=opt(null(INSTANT)),
        key=opt(STR),  # the secret, in the answer that creates the key only
    ),
    "Goal": obj(
        goal_id=ident("gol"),
        user_id=opt(USER_ID),  # not in a roster row, which is the athlete's already
        race_name=STR,
        race_date=DAY,
        distance=NUM,
        goal_time=null(STR),
        updated_at=opt(INSTANT),
    ),
    "Plan": obj(
        plan_id=ident("pln"),
        org_id=ORG_ID,
        name=STR,
        description=STR,
        total_weeks=INT,
        created_at=INSTANT,
        updated_at=INSTANT,
        workouts=opt(arr(obj(week=INT, day=INT, **WORKOUT_FIELDS))),
    ),
    "PlanInstance": obj(
        **PLAN_INSTANCE_FIELDS,
        # The roster's rows carry the short form; the resource and the profile all of it.
        plan_id=opt(ident("pln")),
        user_id=opt(USER_ID),
        end_date=opt(DAY),
        started=opt(BOOL),
        compliance=opt(null(NUM)),
        planned_distance_to_date=opt(NUM),
        recent_weeks=opt(arr(PLAN_WEEK)),
        updated_at=opt(INSTANT),
    ),
    "Member": obj(
        user_id=USER_ID,
        username=STR,
        email=STR,
        display_name=STR,
        role=choices(Role),
        assigned_coach_id=null(USER_ID),
        labels=arr(STR),
        joined_at=INSTANT,
    ),
    "PlannedWorkout": obj(
        workout_id=INT,
        plan_instance_id=ident("pi"),
        plan_name=STR,
        **WORKOUT_FIELDS,
        athlete_note=STR,
        planned_load=NUM,
        key_quantity=null(enum("distance", "duration")),
        done=NUM,
        activity_ids=arr(ACTIVITY_ID),
        status=STR,
    ),
    "Change": obj(
        cursor=STR,
        type=enum(*CHANGE_TYPES),
        id=STR,
        user_id=null(USER_ID),
        change=enum("created", "updated", "deleted"),
        at=INSTANT,
    ),
    "Organization": obj(
        org_id=ORG_ID,
        name=STR,
        created_at=INSTANT,
        role=opt(choices(Role)),  # the caller's, in their list of clubs
        athlete_count=opt(INT),
        group_count=opt(INT),
    ),
    "Webhook": obj(
        webhook_id=ident("whk"),
        url=STR,
        events=arr(enum(*CHANGE_TYPES)),
        failing_since=null(INSTANT),
        next_attempt_at=null(INSTANT),
        created_at=INSTANT,
        secret=opt(STR),  # in the answer that creates the webhook only
    ),
    "Comment": obj(
        comment_id=INT, author_id=null(USER_ID), author_name=STR, text=STR, created_at=INSTANT
    ),
    "Import": obj(
        import_id=ident("imp"),
        user_id=USER_ID,
        total=INT,
        done=INT,
        imported=INT,
        duplicate=INT,
        rejected=INT,
        problems=arr(STR),
        finished=BOOL,
        created_at=INSTANT,
    ),
    "Invitation": obj(
        invitation_id=ident("inv"),
        org_id=ORG_ID,
        organization_name=STR,
        email=STR,
        role=choices(Role),
        assigned_coach_id=null(USER_ID),
        labels=arr(STR),
        group_ids=arr(GROUP_ID),
        status=enum(*InvitationStatus.values, "expired"),
        invited_by=STR,
        sent_at=INSTANT,
        expires_at=INSTANT,
        membership=opt(ref("Member")),  # in the answer of accept
    ),
    "Group": obj(
        group_id=GROUP_ID,
        org_id=ORG_ID,
        name=STR,
        member_count=INT,
        created_at=INSTANT,
        members=opt(arr(obj(user_id=USER_ID, display_name=STR, username=STR))),
    ),
}

ANSWERS: dict[str, Shape] = {
    # Activities
    "activities_get": page_of("activities", ref("Activity")),
    "activities_post": ref("Activity"),
    "activities_upload_post": ref("Activity"),
    "activities_import_post": ref("Import"),
    "imports_import_id_get": ref("Import"),
    "activities_activity_id_get": ref("Activity"),
    "activities_activity_id_patch": ref("Activity"),
    "activities_activity_id_delete": deleted("activity_id", ACTIVITY_ID),
    "activities_by_external_id_source_external_id_put": ref("Activity"),
    "activities_activity_id_comments_get": obj(
        activity_id=ACTIVITY_ID, comments=arr(ref("Comment"))
    ),
    "activities_activity_id_comments_post": ref("Comment"),
    "activities_activity_id_comments_comment_id_delete": deleted("comment_id", INT),
    # Health, goals, plans
    "health_metrics_get": page_of("entries", ref("HealthMetric")),
    "health_metrics_post": one_of(
        ref("HealthMetric"), obj(entries=arr(ref("HealthMetric")), count=INT)
    ),
    "goals_get": page_of("goals", ref("Goal")),
    "goals_post": ref("Goal"),
    "goals_goal_id_get": ref("Goal"),
    "goals_goal_id_patch": ref("Goal"),
    "goals_goal_id_delete": deleted("goal_id", ident("gol")),
    "plans_get": page_of("plans", ref("Plan")),
    "plans_post": ref("Plan"),
    "plans_plan_id_get": ref("Plan"),
    "plans_plan_id_assign_post": obj(plan_instances=arr(ref("PlanInstance"))),
    "plan_instances_get": page_of("plan_instances", ref("PlanInstance")),
    "plan_instances_instance_id_get": ref("PlanInstance"),
    "plan_instances_instance_id_patch": ref("PlanInstance"),
    "changes_get": obj(changes=arr(ref("Change")), next_cursor=STR, has_more=BOOL),
    # Users
    "users_me_get": ref("User"),
    "users_me_patch": ref("User"),
    "users_me_delete": obj(deleted=BOOL),
    "users_user_id_get": ref("User"),
    "users_me_integrations_get": INTEGRATIONS,
    "users_me_integrations_provider_put": INTEGRATIONS,
    "users_me_integrations_provider_delete": INTEGRATIONS,
    # Organizations
    "organizations_get": page_of("organizations", ref("Organization")),
    "organizations_post": ref("Organization"),
    "organizations_org_id_get": ref("Organization"),
    "organizations_org_id_patch": ref("Organization"),
    "organizations_org_id_members_get": page_of("members", ref("Member")),
    "organizations_org_id_members_post": ref("Invitation"),
    "organizations_org_id_members_user_id_patch": ref("Member"),
    "organizations_org_id_members_user_id_delete": deleted("user_id", USER_ID, "removed"),
    "organizations_org_id_invitations_get": page_of("invitations", ref("Invitation")),
    "organizations_org_id_invitations_invitation_id_delete": ref("Invitation"),
    "organizations_org_id_invitations_invitation_id_resend_post": ref("Invitation"),
    "invitations_get": page_of("invitations", ref("Invitation")),
    "invitations_invitation_id_accept_post": ref("Invitation"),
    "invitations_invitation_id_decline_post": ref("Invitation"),
    "organizations_org_id_groups_get": page_of("groups", ref("Group")),
    "organizations_org_id_groups_post": ref("Group"),
    "groups_group_id_get": ref("Group"),
    "groups_group_id_patch": ref("Group"),
    "groups_group_id_delete": deleted("group_id", GROUP_ID),
    "groups_group_id_members_post": ref("Group"),
    "groups_group_id_members_user_id_delete": deleted(
        "group_id", GROUP_ID, "removed", user_id=USER_ID
    ),
    "organizations_org_id_labels_get": obj(labels=arr(obj(name=STR, athlete_count=INT))),
    "organizations_org_id_api_keys_get": page_of("api_keys", ref("ApiKey")),
    "organizations_org_id_api_keys_post": ref("ApiKey"),
    "organizations_org_id_api_keys_key_id_delete": deleted("key_id", ident("key"), "revoked"),
    "organizations_org_id_webhooks_get": page_of("webhooks", ref("Webhook")),
    "organizations_org_id_webhooks_post": ref("Webhook"),
    "organizations_org_id_webhooks_webhook_id_delete": deleted("webhook_id", ident("whk")),
    "organizations_org_id_webhooks_webhook_id_deliveries_get": page_of(
        "deliveries",
        obj(
            change_cursor=STR,
            status=enum("delivered", "failed", "gave_up", "pending"),
            status_code=null(INT),
            error=STR,
            attempt=INT,
            at=INSTANT,
        ),
    ),
    # Auth: the body itself, no envelope (API.md §2)
    "auth_register_post": obj(user=SESSION_USER, **TOKENS),
    "auth_token_post": obj(user=SESSION_USER, **TOKENS),
    "auth_token_refresh_post": obj(**TOKENS),
    "auth_logout_post": obj(logged_out=BOOL),
    "auth_me_get": one_of(
        SESSION_USER,
        obj(
            api_key=obj(key_id=ident("key"), name=STR, prefix=STR), organization=ref("Organization")
        ),
    ),
    "auth_password_post": obj(password_changed=BOOL, **TOKENS),
    "auth_password_reset_post": obj(sent=BOOL),
    "auth_password_reset_confirm_post": obj(password_changed=BOOL),
    "auth_verify_email_request_post": obj(sent=BOOL),
    "auth_verify_email_confirm_post": obj(email_verified=BOOL),
    # Analytics (API.md §4)
    "analytics_running_stats_get": arr(obj(date=DAY, **STATS_FIELDS, runs=INT)),
    "analytics_activity_stats_get": obj(
        {
            "from": DAY,
            "to": DAY,
            "timezone": STR,
            "granularity": enum("day", "week", "month"),
            "totals": obj(**STATS_FIELDS, elevation_gain=NUM, runs=INT),
            "buckets": arr(obj(date=DAY, **STATS_FIELDS, elevation_gain=NUM, runs=INT)),
        }
    ),
    "analytics_fitness_stats_get": obj(
        {
            "days": INT,
            "from": DAY,
            "to": DAY,
            "total_activities": INT,
            "total_distance": NUM,
            "total_duration": NUM,
            "avg_pace": null(STR),
            "avg_heart_rate": opt(INT),
        }
    ),
    "analytics_health_metrics_get": obj(
        {
            "from": DAY,
            "to": DAY,
            "granularity": enum("day", "week", "month"),
            "series": arr(
                obj(
                    date=DAY,
                    resting_hr=null(NUM),
                    hrv=null(NUM),
                    vo2_max=null(NUM),
                    recovery_score=null(NUM),
                    samples=INT,
                )
            ),
        }
    ),
    "analytics_running_streaks_post": obj(
        current_streak=INT,
        longest_streak=INT,
        active_days=INT,
        calendar=arr(obj(date=DAY, active=BOOL, runs=INT, distance=NUM)),
    ),
    "analytics_user_metrics_summary_get": obj(
        weekly_distance=NUM,
        weekly_distance_change_pct=null(NUM),
        current_week_load=NUM,
        four_week_avg_load=NUM,
        acute_chronic_ratio=null(NUM),
        resting_hr=null(NUM),
        resting_hr_30d_avg=null(NUM),
        hrv_avg=null(NUM),
        vo2_max=null(NUM),
        current_streak=INT,
        last_activity_at=null(INSTANT),
    ),
    "analytics_user_metrics_charts_get": obj(
        hrv=arr(
            obj(
                date=DAY,
                value=null(NUM),
                mean_7d=null(NUM),
                normal_low=null(NUM),
                normal_high=null(NUM),
            )
        ),
        daily_distance=arr(obj(date=DAY, value=NUM, trend=NUM)),
        weekly_training_load=arr(obj(week_start=DAY, value=NUM, trend=NUM)),
        resting_hr=arr(obj(date=DAY, value=null(NUM), trend=null(NUM))),
        fitness_fatigue=arr(obj(date=DAY, ctl=NUM, atl=NUM, tsb=NUM)),
    ),
    "analytics_athlete_profile_get": obj(
        user_id=USER_ID,
        username=STR,
        display_name=STR,
        profile_image_url=null(STR),
        timezone=STR,
        unit_system=choices(UnitSystem),
        vdot=null(NUM),
        metrics=obj(
            running_analytics=obj(
                weekly_distance_km=NUM,
                weekly_distance=NUM,
                last_week_same_days_distance=NUM,
                avg_pace_per_km=null(STR),
                current_streak=INT,
            ),
            fitness=obj(
                current=FITNESS_NOW,
                vo2_max_history=arr(DATED_VALUE),
                hrv_history=arr(DATED_VALUE),
                recovery_score_history=arr(DATED_VALUE),
            ),
            training=obj(
                current_week_load=NUM,
                four_week_avg_load=NUM,
                acute_chronic_ratio=null(NUM),
                acr_band=null(STR),
                ctl=NUM,
                atl=NUM,
                tsb=NUM,
            ),
        ),
        current_goals=obj(races=arr(ref("Goal"))),
        current_plans=arr(ref("PlanInstance")),
        integrations=INTEGRATIONS,
        recent_activities=arr(ref("Activity")),
        insights=obj(
            recent_activities=arr(obj(activity_id=ACTIVITY_ID, summary=STR)),
            weekly_summary=STR,
        ),
        attention_signals=obj(flags=arr(SIGNAL)),
        data_quality=obj(score=INT, checks=arr(obj(key=STR, ok=BOOL, points=INT, hint=STR))),
        last_activity_at=null(INSTANT),
        last_updated=INSTANT,
    ),
    "analytics_coach_athletes_metrics_get": page_of(
        "athletes",
        obj(
            user_id=USER_ID,
            username=STR,
            display_name=STR,
            profile_image=null(STR),
            email=STR,
            timezone=STR,
            unit_system=choices(UnitSystem),
            assigned_coach_id=null(USER_ID),
            assigned_coach_name=null(STR),
            groups=arr(STR),
            group_ids=arr(GROUP_ID),
            labels=arr(STR),
            current_plans=arr(ref("PlanInstance")),
            current_goals=obj(races=arr(ref("Goal"))),
            has_push_token=BOOL,
            metrics=obj(
                fitness=obj(current=FITNESS_NOW),
                training=obj(
                    acr_band=null(STR),
                    current_week_load=NUM,
                    four_week_avg_load=NUM,
                    acute_chronic_ratio=null(NUM),
                ),
                data_quality=obj(score=INT),
                last_updated=INSTANT,
                last_activity_at=null(INSTANT),
                attention_signals=obj(flags=arr(SIGNAL)),
                running_analytics=obj(weekly_distance=NUM, weekly_distance_km=NUM),
            ),
        ),
        walk=False,
        pagination=PAGE_META,
    ),
    "analytics_personal_records_get": obj(
        user_id=USER_ID,
        records=arr(
            obj(
                distance=STR,
                label=STR,
                meters=NUM,
                all_time=null(RECORD),
                this_year=null(RECORD),
                efforts=INT,
                history=arr(RECORD),
            )
        ),
        vdot_estimate=null(obj(RECORD_FIELDS, vdot=NUM, distance=STR, label=STR)),
    ),
    "analytics_pace_curve_get": obj(
        user_id=USER_ID,
        days=INT,
        points=arr(
            obj(
                seconds=INT,
                recent_speed=null(NUM),
                recent_pace=null(NUM),
                all_time_speed=null(NUM),
                all_time_pace=null(NUM),
            )
        ),
    ),
    "analytics_calendar_get": obj(
        {
            "user_id": USER_ID,
            "from": DAY,
            "to": DAY,
            "today": DAY,
            "days": arr(
                obj(
                    date=DAY,
                    planned=arr(ref("PlannedWorkout")),
                    activities=arr(
                        obj(
                            activity_id=ACTIVITY_ID,
                            name=STR,
                            sport=STR,
                            distance=NUM,
                            duration=NUM,
                            training_load=NUM,
                            marks=arr(STR),
                            in_plan=BOOL,
                        )
                    ),
                    status=null(STR),
                )
            ),
            "weeks": arr(
                obj(
                    week_start=DAY,
                    distance=NUM,
                    duration=NUM,
                    training_load=NUM,
                    planned_distance=NUM,
                    planned_duration=NUM,
                    planned_load=NUM,
                )
            ),
        }
    ),
    "analytics_group_overview_get": obj(
        {
            "org_id": ORG_ID,
            "group_id": null(GROUP_ID),
            "week_start": DAY,
            "week_end": DAY,
            "total_distance": NUM,
            "total_activities": INT,
            "active_athletes": INT,
            "athlete_count": INT,
            "engagement_rate": NUM,
            "in_progress": BOOL,
            "last_week": obj(
                {
                    "from": DAY,
                    "to": DAY,
                    "total_distance": NUM,
                    "total_activities": INT,
                    "engagement_rate": NUM,
                }
            ),
            "insight": STR,
            "member_matrix": arr(
                obj(
                    user_id=USER_ID,
                    display_name=STR,
                    total_distance=NUM,
                    days=arr(obj(date=DAY, distance=NUM, runs=INT)),
                )
            ),
        }
    ),
    "analytics_group_comparison_get": obj(
        {
            "org_id": ORG_ID,
            "from": DAY,
            "to": DAY,
            "groups": arr(obj(group_id=GROUP_ID, name=STR, **GROUP_TOTALS)),
            "unassigned": obj(**GROUP_TOTALS),
        }
    ),
    "analytics_group_stats_get": obj(
        {
            "group_id": GROUP_ID,
            "name": STR,
            "from": DAY,
            "to": DAY,
            **GROUP_TOTALS,
            "members": arr(
                obj(
                    user_id=USER_ID,
                    display_name=STR,
                    total_distance=NUM,
                    total_activities=INT,
                    active=BOOL,
                )
            ),
        }
    ),
    "analytics_plans_overview_get": obj(
        org_id=ORG_ID,
        active_plans=INT,
        by_group=arr(
            obj(
                group_id=null(GROUP_ID),
                name=STR,
                active_plans=INT,
                avg_progress=null(NUM),
                avg_compliance=null(NUM),
                plans=arr(STR),
            )
        ),
        athletes=arr(
            obj(
                **PLAN_INSTANCE_FIELDS,
                plan_id=ident("pln"),
                user_id=USER_ID,
                display_name=STR,
                started=BOOL,
                compliance=null(NUM),
                planned_distance_to_date=NUM,
                recent_weeks=arr(PLAN_WEEK),
                progress=NUM,
            )
        ),
    ),
}

# Top-level members beside `status` and `data` (API.md §4, running_stats).
ALSO_TOP_LEVEL: dict[str, Shape] = {
    "analytics_running_stats_get": {
        "meta": obj(range_type=STR, metric_type=STR, timezone=STR),
    },
}


def typed_answers(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """A postprocessing hook: each JSON success answer declares its fields (ANSWERS), in the
    envelope or, for the auth endpoints, as the whole body."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(copy.deepcopy(COMPONENTS))
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            op_id = operation["operationId"]
            for code, answer in operation["responses"].items():
                content = answer.get("content", {}).get("application/json")
                if not code.startswith("2") or content is None:
                    continue
                schema = content["schema"]
                envelope = schema.get("properties", {}).get("data") == {}
                if not envelope and schema != {"type": "object"}:
                    continue  # declared by the view itself (the health check)
                if op_id not in ANSWERS:
                    raise LookupError(f"{op_id}: no declared answer in api/shapes.py")
                shape = copy.deepcopy(ANSWERS[op_id])
                if envelope:
                    also = copy.deepcopy(ALSO_TOP_LEVEL.get(op_id, {}))
                    shape = obj(status=enum("ok"), data=shape, **also)
                content["schema"] = shape
    return result
