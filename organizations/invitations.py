"""Invitations: the only way into an organization (API.md, Organizations).

Adding someone by e-mail creates a pending invitation and e-mails a single-use link valid
7 days. The answer is the same whether or not the address has an account, and until the
invited person accepts, the organization has no reach over them: no membership exists.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from astral.api.errors import ApiError
from athletes.models import User
from athletes.services.changes import athlete_data_changed
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
from organizations.services import labels_set, organization_changed

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = timedelta(days=7)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_expired(invitation: Invitation) -> bool:
    return invitation.expires_at <= timezone.now()


def display_status(invitation: Invitation) -> str:
    """`pending`, `expired`, `accepted`, `declined` or `revoked`."""
    if invitation.status == InvitationStatus.PENDING and is_expired(invitation):
        return "expired"
    return str(invitation.status)


def invitation_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/invitations/{token}"


def _send(invitation: Invitation, token: str, base_url: str, inviter: str) -> None:
    """The e-mail with the link; a mail server that is away never fails the invitation
    (it can be resent)."""
    link = invitation_link(settings.ASTRAL_BASE_URL or base_url, token)
    role = "an athlete" if invitation.role == Role.ATHLETE else f"a {invitation.role}"
    body = (
        f"{inviter} invited you to join {invitation.organization.name} on Astral as {role}.\n\n"
        f"Accept or decline here (the link works once and expires in 7 days):\n{link}\n\n"
        "Until you accept, the club sees nothing of your training. "
        "If you did not expect this, ignore this e-mail."
    )
    try:
        send_mail(
            f"{inviter} invited you to {invitation.organization.name} on Astral",
            body,
            None,
            [invitation.email],
        )
    except Exception:
        logger.exception("could not send the invitation e-mail for %s", invitation.public_id)


def invitation_create(
    *,
    organization: Organization,
    email: str,
    role: str,
    assigned_coach: User | None,
    labels: Iterable[str],
    groups: Iterable[Group],
    invited_by: User | None,
    api_key: ApiKey | None,
    base_url: str,
) -> Invitation:
    """A pending invitation, e-mailed. Inviting an address that has one pending renews it
    (new link, new 7 days, the new choices)."""
    email = email.strip().lower()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ApiError(
            "This person is already a member of the organization.",
            "CONFLICT",
            field="email",
            status=409,
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(organization=organization, email=email, status=InvitationStatus.PENDING)
            .first()
        ) or Invitation(organization=organization, email=email)
        invitation.role = role
        invitation.assigned_coach = assigned_coach
        invitation.labels = sorted({name.strip() for name in labels if name.strip()})
        invitation.invited_by = invited_by
        invitation.invited_by_key = api_key
        invitation.token_hash = token_hash(token)
        invitation.sent_at = now
        invitation.expires_at = now + INVITATION_LIFETIME
        invitation.save()
        invitation.groups.set(list(groups))
    _send(invitation, token, base_url, inviter_name(invitation))
    return invitation


def inviter_name(invitation: Invitation) -> str:
    if invitation.invited_by is not None:
        return invitation.invited_by.display_name or invitation.invited_by.username
    return invitation.organization.name


def invitation_resend(*, invitation: Invitation, base_url: str) -> Invitation:
    """A new link (the old one stops working) and 7 more days."""
    if invitation.status != InvitationStatus.PENDING:
        raise ApiError(
            f"This invitation is {invitation.status}; invite the person again instead.",
            "CONFLICT",
            status=409,
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    _send(invitation, token, base_url, inviter_name(invitation))
    return invitation


def invitation_revoke(*, invitation: Invitation) -> None:
    _answer(invitation, InvitationStatus.REVOKED, user=None)


def invitation_decline(*, invitation: Invitation, user: User) -> None:
    _check_invitee(invitation, user)
    _answer(invitation, InvitationStatus.DECLINED, user=user)


def _answer(invitation: Invitation, status: str, user: User | None) -> None:
    updated = Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.PENDING).update(
        status=status, answered_at=timezone.now(), answered_by=user
    )
    if not updated:
        raise ApiError("This invitation is no longer pending.", "CONFLICT", status=409)
    invitation.refresh_from_db()


def _check_invitee(invitation: Invitation, user: User) -> None:
    if user.email.strip().lower() != invitation.email:
        raise ApiError(
            "This invitation was sent to another e-mail address.",
            "PERMISSION_DENIED",
            status=403,
        )


def invitation_accept(
    *, invitation: Invitation, user: User, email_proven: bool = False
) -> Membership:
    """The membership the invitation offered, with its role, assigned coach, labels and
    groups. Accepting by the e-mailed link proves the address (`email_proven`); without it the
    account's address must already be verified: registering the invited address is not owning
    its mailbox, so a stranger cannot take the seat (issue 32)."""
    _check_invitee(invitation, user)
    with transaction.atomic():
        current = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if current.status != InvitationStatus.PENDING:
            raise ApiError(f"This invitation was {current.status}.", "CONFLICT", status=409)
        if is_expired(current):
            raise ApiError(
                "This invitation has expired; ask the club for a new one.",
                "INVITATION_EXPIRED",
                status=410,
            )
        if not email_proven and not user.email_verified:
            raise ApiError(
                "Open the link in the invitation e-mail, or verify your e-mail address first.",
                "EMAIL_NOT_VERIFIED",
                status=403,
            )
        organization = current.organization
        membership = Membership.objects.filter(organization=organization, user=user).first()
        if membership is None:
            coach = current.assigned_coach
            if (
                coach is not None
                and not Membership.objects.filter(
                    organization=organization, user=coach, role__in=COACH_ROLES
                ).exists()
            ):
                coach = None  # no longer a coach there
            membership = Membership.objects.create(
                organization=organization, user=user, role=current.role, assigned_coach=coach
            )
            labels_set(membership=membership, names=current.labels)
            if current.role == Role.ATHLETE:
                for group in current.groups.filter(organization=organization):
                    group.members.add(user)
        current.status = InvitationStatus.ACCEPTED
        current.answered_at = timezone.now()
        current.answered_by = user
        current.save(update_fields=["status", "answered_at", "answered_by"])
        if email_proven and not user.email_verified:
            User.objects.filter(pk=user.pk).update(email_verified=True)
        organization_changed(organization)
        athlete_data_changed([user.pk])
    invitation.refresh_from_db()
    return membership


def token_matches(invitation: Invitation, token: object) -> bool:
    """Whether `token` is the one in this invitation's e-mailed link."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return False
    return secrets.compare_digest(token_hash(token), invitation.token_hash or "")


def invitation_by_token(token: str) -> Invitation | None:
    """The pending invitation a link points at (None for a used, revoked or unknown one)."""
    if not token or len(token) > 200:
        return None
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )


def pending_for(user: User) -> list[Invitation]:
    """The invitations waiting for this person's answer, newest first."""
    return list(pending_for_query(user).order_by("-sent_at", "pk"))


def pending_for_query(user: User) -> QuerySet[Invitation]:
    """The same, unordered and unread: for a list that pages them itself."""
    return Invitation.objects.select_related("organization", "invited_by").filter(
        email=user.email.strip().lower(),
        status=InvitationStatus.PENDING,
        expires_at__gt=timezone.now(),
    )
