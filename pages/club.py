"""Run the club from the browser: invitations, members, groups and API keys. The same rules
as the API (`organizations/access.py`): owners and coaches manage, only owners change roles,
invite coaches or hold API keys. Plain forms with CSRF; every change is one service call."""

from __future__ import annotations

from functools import cached_property
from html import escape as e
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from analytics.models import Club, RosterRow
from astral.api.errors import ApiError
from athletes.models import User
from organizations import invitations, services
from organizations.models import (
    COACH_ROLES,
    ApiKey,
    Group,
    Invitation,
    InvitationStatus,
    Membership,
    Organization,
    Role,
)
from pages.chrome import coach_organizations, current_organization, failed_form, form_failed


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail")
    role = forms.ChoiceField(choices=[(Role.ATHLETE, "Athlete"), (Role.COACH, "Coach")])
    assigned_coach = forms.ChoiceField(required=False, label="Assigned coach")
    labels = forms.CharField(required=False, help_text="Comma separated, e.g. masters, 5k")
    groups = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, coaches: list[User], groups: list[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_coach"].choices = [("", "None")] + [
            (c.public_id, c.display_name or c.username) for c in coaches
        ]
        self.fields["groups"].choices = [(g.public_id, g.name) for g in groups]


MEMBERS_PER_PAGE = 50
MEMBER_FIELDS = ("public_id", "display_name", "username", "email")  # what a member row shows
GROUP_NAMES_SHOWN = 12


def _labels(text: str) -> list[str]:
    return [name.strip()[:64] for name in text.split(",") if name.strip()]


def _is_owner(organization: Organization, user: Any) -> bool:
    return Membership.objects.filter(organization=organization, user=user, role=Role.OWNER).exists()


@login_required
def club(request: HttpRequest) -> HttpResponse:
    if not coach_organizations(request):
        return _create_club(request)
    organization = current_organization(request)
    owner = _is_owner(organization, request.user)
    coaches = list(
        User.objects.filter(
            memberships__organization=organization, memberships__role__in=COACH_ROLES
        ).order_by("display_name", "username")
    )
    # Each group's athletes as PostgreSQL keeps them counted (analytics.Club): one index
    # entry a group, not a count of the club's group memberships.
    groups = list(
        organization.groups.annotate(
            member_count=Coalesce(
                Subquery(
                    Club.objects.filter(kind="group", ref=OuterRef("pk")).values("athletes")[:1]
                ),
                0,
            )
        ).order_by("name", "pk")
    )
    form = InviteForm(coaches=coaches, groups=groups)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "invite":
            form = InviteForm(request.POST, coaches=coaches, groups=groups)
            if form.is_valid():
                done = _invite(request, organization, form, owner, coaches, groups)
                if done:
                    return _back(request, organization, "#invitations")
        else:
            _act(request, organization, owner, action, coaches)
            anchor = request.POST.get("anchor", "")
            if action == "group_create":  # the new group opens, ready to be filled
                created = organization.groups.filter(name=request.POST.get("name", "").strip())
                made = created.order_by("-pk").values_list("public_id", flat=True).first()
                anchor = f"#group-{made}" if made else anchor
            return _back(request, organization, anchor)
    search = request.GET.get("q", "").strip()[:100]
    # A page of members at a time: a club of a thousand is not one table. Its ids come in
    # the page's order (role, then name), then its fifty rows are read.
    members: Any = ClubMembers(organization.pk)
    if search:  # the matches, sorted from the ordering columns alone
        members = (
            Membership.objects.filter(organization=organization)
            .filter(
                Q(user__display_name__icontains=search)
                | Q(user__username__icontains=search)
                | Q(user__email__icontains=search)
            )
            .order_by("role", "user__display_name", "user__username", "pk")
            .values_list("pk", flat=True)
        )
    member_page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    page_ids = list(member_page.object_list)
    # The page's rows as plain values (no model instances), their labels in one more read.
    rows = {
        row["pk"]: row
        for row in Membership.objects.filter(pk__in=page_ids).values(
            "pk", "role", "user_id", "assigned_coach_id", *(f"user__{f}" for f in MEMBER_FIELDS)
        )
    }
    for row in rows.values():
        row["labels"] = []
    for membership_id, name in (
        Membership.labels.through.objects.filter(membership_id__in=page_ids)
        .order_by("label__name")
        .values_list("membership_id", "label__name")
    ):
        rows[membership_id]["labels"].append(name)
    member_page.object_list = [rows[pk] for pk in page_ids if pk in rows]
    pending = (
        Invitation.objects.filter(organization=organization, status=InvitationStatus.PENDING)
        .select_related("invited_by")
        .order_by("-sent_at")
    )
    failed = failed_form(request)
    # One group's forms and names open at a time (a club of forty groups is a list, not
    # forty boxes of forms): the one asked for, the one whose form just failed, or a club's
    # only group.
    failed_group = _failed_group(failed)
    opened = request.GET.get("group") or failed_group
    if opened is None and len(groups) == 1:
        opened = groups[0].public_id
    return render(
        request,
        "organizations/club.html",
        {
            "organization": organization,
            "owner": owner,
            "form": form,
            # The groups' boxes are written by the page (twenty through the form's widget
            # templates took longer than the rest of the form).
            "chosen_groups": form["groups"].value() or [],
            "members": member_page,
            "member_rows": member_rows(
                member_page.object_list,
                coaches=coaches,
                owner=owner,
                viewer_id=request.user.pk,
                csrf_token=get_token(request),
            ),
            "search": search,
            "pending": [{"row": i, "status": invitations.display_status(i)} for i in pending],
            "coaches": coaches,
            "groups": [
                {
                    "group": g,
                    "open": g.public_id == opened,
                    "members": _first_names(g) if g.public_id == opened else [],
                    "failed": _failed_of(failed, g.public_id),
                }
                for g in groups
            ],
            "create_failed": _failed_of(failed, ""),
            "roles": Role.choices,
            "keys": ApiKey.objects.filter(organization=organization, revoked_at__isnull=True)
            if owner
            else [],
            "new_key": request.session.pop("astral_new_key", None),
        },
    )


def _create_club(request: HttpRequest) -> HttpResponse:
    """Someone who coaches no club yet starts one here (and becomes its owner)."""
    error = ""
    if request.method == "POST" and request.POST.get("action") == "create_club":
        name = request.POST.get("name", "").strip()[:200]
        if name:
            organization = services.organization_create(name=name, owner=request.user)
            messages.success(request, f"{name} is ready. Invite your athletes and coaches.")
            return _back(request, organization, "#invite")
        error = "Give your club a name."
    from organizations import invitations  # the invitations this person can answer

    pending = invitations.pending_for(request.user)  # type: ignore[arg-type]
    return render(
        request,
        "organizations/club_new.html",
        {"error": error, "pending": pending, "typed": request.POST.get("name", "")},
    )


def _back(request: HttpRequest, organization: Organization, anchor: str) -> HttpResponse:
    """The page again, at the form's place; a group's forms stay open after one is sent."""
    opened = f"&group={anchor[len('#group-') :]}" if anchor.startswith("#group-") else ""
    return redirect(f"{reverse('club')}?org={organization.public_id}{opened}{anchor}")


def _invite(
    request: HttpRequest,
    organization: Organization,
    form: InviteForm,
    owner: bool,
    coaches: list[User],
    groups: list[Group],
) -> bool:
    data = form.cleaned_data
    if data["role"] != Role.ATHLETE and not owner:
        form.add_error("role", "Only the club's owner invites coaches.")
        return False
    coach = next((c for c in coaches if c.public_id == data["assigned_coach"]), None)
    try:
        invitations.invitation_create(
            organization=organization,
            email=data["email"],
            role=data["role"],
            assigned_coach=coach,
            labels=_labels(data["labels"]),
            groups=[g for g in groups if g.public_id in data["groups"]],
            invited_by=request.user,  # type: ignore[arg-type]
            api_key=None,
            base_url=request.build_absolute_uri("/"),
        )
    except ApiError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return False
    messages.success(request, f"Invitation sent to {data['email']}.")
    return True


def _club_athlete(organization: Organization, post: Any) -> User | None:
    """An athlete of the club by public id, or by what a coach types: e-mail, username or
    exact name (a select of a thousand names is no way to pick one)."""
    athletes = User.objects.filter(
        memberships__organization=organization, memberships__role=Role.ATHLETE
    )
    if post.get("user_id"):
        return athletes.filter(public_id=post["user_id"]).first()
    typed = post.get("athlete", "").strip()[:254]
    if not typed:
        return None
    found = list(
        athletes.filter(
            Q(email__iexact=typed) | Q(username__iexact=typed) | Q(display_name__iexact=typed)
        )[:2]
    )
    return found[0] if len(found) == 1 else None


def _member(organization: Organization, user_id: str) -> Membership:
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(organization=organization, user__public_id=user_id)
        .first()
    )
    if membership is None:
        raise ApiError("That person is no longer a member.", "NOT_FOUND", status=404)
    return membership


class ClubMembers:
    """A club's memberships in the member table's order (role, then name, username and id),
    as the paginator slices them. The athletes (`athlete` sorts first) are read from the
    roster rows PostgreSQL keeps per athlete membership, by name in their index: page one of
    a club of 10,000 is fifty index entries, not a sort of the club. Coaches and owners
    follow, from the memberships (a handful)."""

    def __init__(self, organization_id: int) -> None:
        self.organization_id = organization_id

    @cached_property
    def athletes(self) -> int:
        return RosterRow.objects.filter(organization_id=self.organization_id).count()

    def count(self) -> int:
        others = Membership.objects.filter(organization_id=self.organization_id).exclude(
            role=Role.ATHLETE
        )
        return self.athletes + others.count()

    def __getitem__(self, window: slice) -> list[int]:
        start, stop = window.start or 0, window.stop
        ids = list(
            RosterRow.objects.filter(organization_id=self.organization_id)
            .order_by("name", "username", "membership_id")
            .values_list("membership_id", flat=True)[start:stop]
        ) if start < self.athletes else []  # fmt: skip
        if stop > self.athletes:
            ids += list(
                Membership.objects.filter(organization_id=self.organization_id)
                .exclude(role=Role.ATHLETE)
                .order_by("role", "user__display_name", "user__username", "pk")
                .values_list("pk", flat=True)[max(0, start - self.athletes) : stop - self.athletes]
            )
        return ids


def member_rows(
    members: list[dict[str, Any]],
    *,
    coaches: list[User],
    owner: bool,
    viewer_id: int,
    csrf_token: str,
) -> SafeString:
    """The member table's rows, each its own small form (role, assigned coach, labels) and
    a remove button, written here: fifty rows of nested loops through the template language
    took longer than the rest of the page. Every value is escaped (`html.escape`, which
    Django's own `escape` applies)."""
    token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{e(csrf_token)}">'
    rows = []
    for m in members:
        pk, role_now, form = m["pk"], m["role"], f"member-{m['pk']}"
        name = e(m["user__display_name"] or m["user__username"])
        pid = e(m["user__public_id"])
        if owner:
            options = "".join(
                f'<option value="{e(value)}" {"selected" if role_now == value else ""}>{e(text)}</option>'
                for value, text in Role.choices
            )
            role = (
                f'<label class="sr-only" for="role-{pk}">Role of {name}</label>'
                f'<select id="role-{pk}" name="role" form="{form}">{options}</select>'
            )
        else:
            role = f'{e(role_now)}<input type="hidden" name="role" value="{e(role_now)}" form="{form}">'
        coach_options = "".join(
            f'<option value="{e(c.public_id)}" {"selected" if m["assigned_coach_id"] == c.pk else ""}>'
            f"{e(c.display_name or c.username)}</option>"
            for c in coaches
        )
        labels = e(", ".join(m["labels"]))
        remove = ""
        if (role_now == Role.ATHLETE or owner) and m["user_id"] != viewer_id:
            remove = (
                f'<form method="post">{token}<input type="hidden" name="action" value="remove">'
                '<input type="hidden" name="anchor" value="#members">'
                f'<input type="hidden" name="user_id" value="{pid}">'
                '<button type="submit" class="danger">Remove</button></form>'
            )
        rows.append(
            f'<tr><th scope="row">{name}<div class="muted small">{e(m["user__email"])}</div></th>'
            f"<td>{role}</td>"
            f'<td><label class="sr-only" for="coach-{pk}">Assigned coach of {name}</label>'
            f'<select id="coach-{pk}" name="assigned_coach" form="{form}">'
            f'<option value="">None</option>{coach_options}</select></td>'
            f'<td><label class="sr-only" for="labels-{pk}">Labels of {name}</label>'
            f'<input id="labels-{pk}" name="labels" form="{form}" value="{labels}"></td>'
            f'<td class="row-actions"><form method="post" id="{form}">{token}'
            '<input type="hidden" name="action" value="member">'
            '<input type="hidden" name="anchor" value="#members">'
            f'<input type="hidden" name="user_id" value="{pid}">'
            f'<button type="submit">Save</button></form>{remove}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above escaped


def _first_names(group: Group) -> list[dict[str, str]]:
    """The first athletes of a group by name (the count says how many in all)."""
    return list(
        group.members.order_by("display_name", "username").values(
            "public_id", "display_name", "username"
        )[:GROUP_NAMES_SHOWN]
    )


def _failed_group(failed: dict[str, Any] | None) -> str | None:
    """The group whose form failed on the last post, if one did."""
    if not failed or not failed["form"].startswith("group_"):
        return None
    return failed["form"].partition(":")[2] or None


def _failed_of(failed: dict[str, Any] | None, group_id: str) -> dict[str, Any] | None:
    """The group form (of this group; "" the new group's) that failed on the last post, with
    its action, message and typed values."""
    if not failed or not failed["form"].startswith("group_"):
        return None
    action, _, which = failed["form"].partition(":")
    return {**failed, "action": action} if which == group_id else None


def _act(
    request: HttpRequest, organization: Organization, owner: bool, action: str, coaches: list[User]
) -> None:
    """One change from one of the page's small forms; the outcome as a message, or, for a
    group's forms, beside the field with what was typed."""
    post = request.POST
    try:
        text = _apply(request, organization, owner, action, coaches, post)
    except ApiError as error:
        if action.startswith("group_"):
            key = f"{action}:{post.get('group_id', '') if action != 'group_create' else ''}"
            form_failed(request, key, error.field, error.message, post)
        else:
            messages.error(request, error.message)
    else:
        if text:
            messages.success(request, text)


def _apply(
    request: HttpRequest,
    organization: Organization,
    owner: bool,
    action: str,
    coaches: list[User],
    post: Any,
) -> str:
    if action in ("resend", "revoke"):
        invitation = Invitation.objects.filter(
            organization=organization, public_id=post.get("invitation_id", "")
        ).first()
        if invitation is None:
            raise ApiError("No such invitation.", "NOT_FOUND", status=404)
        if action == "resend":
            invitations.invitation_resend(
                invitation=invitation, base_url=request.build_absolute_uri("/")
            )
            return f"Invitation sent again to {invitation.email}."
        invitations.invitation_revoke(invitation=invitation)
        return f"Invitation to {invitation.email} revoked."
    if action == "member":
        membership = _member(organization, post.get("user_id", ""))
        role = post.get("role") or membership.role
        if role not in Role.values:
            raise ApiError("Choose a role.", field="role")
        if role != membership.role and not owner:
            raise PermissionDenied("Only the club's owner changes roles.")
        coach_id = post.get("assigned_coach", "")
        coach = next((c for c in coaches if c.public_id == coach_id), None)
        services.membership_update(
            membership=membership,
            role=role,
            assigned_coach=coach,
            labels=_labels(post.get("labels", "")),
        )
        return f"{membership.user.display_name or membership.user.username} updated."
    if action == "remove":
        membership = _member(organization, post.get("user_id", ""))
        if membership.role != Role.ATHLETE and not owner:
            raise PermissionDenied("Only the club's owner removes coaches.")
        services.membership_remove(membership=membership)
        return f"{membership.user.display_name or membership.user.username} left the club."
    if action == "group_create":
        name = post.get("name", "").strip()[:200]
        if not name:
            raise ApiError("Give the group a name.", field="name")
        services.group_create(organization=organization, name=name)
        return f"Group {name} created."
    group = Group.objects.filter(organization=organization, public_id=post.get("group_id", ""))
    found = group.select_related("organization").first()
    if found is None:
        raise ApiError("No such group.", "NOT_FOUND", status=404)
    if action == "group_rename":
        name = post.get("name", "").strip()[:200]
        if not name:
            raise ApiError("Give the group a name.", field="name")
        services.group_rename(group=found, name=name)
        return f"Group renamed to {name}."
    if action == "group_delete":
        services.group_delete(group=found)
        return f"Group {found.name} deleted."
    athlete = _club_athlete(organization, post)
    if athlete is None:
        typed = post.get("athlete", "").strip()
        raise ApiError(
            f"No athlete of the club is called “{typed}”: type their e-mail, username or full "
            "name as the members list shows it.",
            field="athlete",
        )
    if action == "group_add":
        services.group_members_add(group=found, athletes=[athlete])
        return f"{athlete.display_name or athlete.username} joined {found.name}."
    if action == "group_remove":
        services.group_member_remove(group=found, athlete=athlete)
        return f"{athlete.display_name or athlete.username} left {found.name}."
    raise ApiError("Unknown action.")


@login_required
def club_keys(request: HttpRequest) -> HttpResponse:
    """The owner creates (shown once) and revokes API keys."""
    organization = current_organization(request)
    if request.method != "POST" or not _is_owner(organization, request.user):
        raise PermissionDenied("Only the club's owner manages API keys.")
    if request.POST.get("action") == "create":
        name = request.POST.get("name", "").strip()[:100]
        if not name:
            messages.error(request, "Give the key a name (what will use it).")
        else:
            _, raw = services.api_key_create(
                organization=organization, name=name, created_by=request.user
            )
            # Shown once, on the next page only; only its hash is kept.
            request.session["astral_new_key"] = {"name": name, "key": raw}
    elif services.api_key_revoke(organization=organization, key_id=request.POST.get("key_id", "")):
        messages.success(request, "API key revoked: integrations using it stop at once.")
    return _back(request, organization, "#keys")
