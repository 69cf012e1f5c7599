from __future__ import annotations

from django.conf import settings
from django.db import models

from astral.ids import PublicIdField


class Role(models.TextChoices):
    OWNER = "owner"
    COACH = "coach"
    ATHLETE = "athlete"


COACH_ROLES = (Role.OWNER, Role.COACH)


class Organization(models.Model):
    public_id = PublicIdField("org_")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=64)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="label_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.ATHLETE)
    assigned_coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coached_memberships",
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user")
        ]
        indexes = [models.Index(fields=["organization", "role"], name="membership_org_role")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class Group(models.Model):
    public_id = PublicIdField("grp_")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=200)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="athlete_groups"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """An organization's integration key; only its SHA-256 is stored."""

    public_id = PublicIdField("key_")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class InvitationStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"


class Invitation(models.Model):
    """An offer to join an organization, made by e-mail. Nobody is a member, and the
    organization has no reach over them, until they accept (API.md, Organizations). What the
    inviter chose (role, assigned coach, labels, groups) is applied on acceptance."""

    public_id = PublicIdField("inv_")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.ATHLETE)
    assigned_coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    labels = models.JSONField(default=list, blank=True)
    groups = models.ManyToManyField(Group, blank=True, related_name="invitations")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_sent",
    )
    invited_by_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Only the SHA-256 of the link's secret is kept; each resend replaces it.
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=8, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per person and club: inviting again resends it.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_email",
            )
        ]
        indexes = [models.Index(fields=["email", "status"], name="invitation_email_status")]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} ({self.status})"


class Webhook(models.Model):
    """API.md §5: where an organization's changes are POSTed, signed with `secret` (shown
    once, when it is made). `cursor` is the last change delivered (athletes.DataChange id);
    a failing receiver is retried with backoff for 24 hours from its first failure."""

    public_id = PublicIdField("whk_")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, blank=True)  # change types; empty: all
    secret = models.CharField(max_length=64)
    cursor = models.BigIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"webhook {self.url} of {self.organization}"


class WebhookDelivery(models.Model):
    """One attempt to deliver one change: `delivered`, `failed` (retried) or `gave_up`."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    change_id = models.BigIntegerField()
    status = models.CharField(max_length=10)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True, default="")
    attempt = models.PositiveIntegerField(default=1)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["webhook", "-id"], name="delivery_webhook_recent")]

    def __str__(self) -> str:
        return f"change {self.change_id} to {self.webhook_id}: {self.status}"
