"""The invitation link's page: accept or decline, or sign up and join in one step."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from astral.api.errors import ApiError
from athletes.models import User
from athletes.services.accounts import user_register
from organizations import invitations
from organizations.models import Invitation, InvitationStatus


class JoinForm(forms.Form):
    """A new account for the invited address (the link proves it is theirs)."""

    display_name = forms.CharField(max_length=150, label="Your name")
    username = forms.RegexField(
        regex=r"^[\w.@+-]+$",
        max_length=150,
        error_messages={"invalid": "Letters, digits and . @ + - _ only."},
    )
    password = forms.CharField(widget=forms.PasswordInput, label="Password")

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("This username is taken.")
        return username

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password, User(email=self.email, username=self.data.get("username")))
        return password


def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitations.invitation_by_token(token)
    if invitation is None or invitation.status != InvitationStatus.PENDING:
        return _gone(request, invitation)
    if invitations.is_expired(invitation):
        return _gone(request, invitation)
    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    form = None
    if request.method == "POST":
        action = request.POST.get("action")
        if request.user.is_authenticated and action in ("accept", "decline"):
            return _answer(request, invitation, action, email_proven=True)
        if not request.user.is_authenticated and not has_account and action == "join":
            form = JoinForm(request.POST, email=invitation.email)
            if form.is_valid():
                return _join(request, invitation, form)
    context = {
        "invitation": invitation,
        "inviter": invitations.inviter_name(invitation),
        "has_account": has_account,
        "matches": request.user.is_authenticated
        and request.user.email.strip().lower() == invitation.email,
        "form": form or JoinForm(email=invitation.email),
        "login_url": f"{reverse('login')}?next={request.path}",
    }
    return render(request, "organizations/invitation.html", context)


def _gone(request: HttpRequest, invitation: Invitation | None) -> HttpResponse:
    if invitation is None:
        reason = "This invitation link is not valid. Check that you copied all of it."
    elif invitation.status == InvitationStatus.PENDING:
        reason = "This invitation has expired. Ask the club to send you a new one."
    elif invitation.status == InvitationStatus.ACCEPTED:
        reason = "This invitation has already been accepted."
    else:
        reason = f"This invitation was {invitation.status}. Ask the club for a new one."
    return render(request, "organizations/invitation_gone.html", {"reason": reason}, status=410)


def _answer(
    request: HttpRequest, invitation: Invitation, action: str, email_proven: bool = False
) -> HttpResponse:
    """Accept or decline; `email_proven` only from the e-mailed link's own page."""
    if action not in ("accept", "decline"):
        return redirect("my-invitations")
    try:
        if action == "accept":
            invitations.invitation_accept(
                invitation=invitation,
                user=request.user,  # type: ignore[arg-type]
                email_proven=email_proven,
            )
            messages.success(request, f"Welcome to {invitation.organization.name}.")
        else:
            invitations.invitation_decline(invitation=invitation, user=request.user)  # type: ignore[arg-type]
            messages.info(request, f"You declined {invitation.organization.name}'s invitation.")
    except ApiError as error:
        messages.error(request, error.message)
    return redirect("home")


def _join(request: HttpRequest, invitation: Invitation, form: JoinForm) -> HttpResponse:
    user = user_register(
        email=invitation.email,
        username=form.cleaned_data["username"],
        password=form.cleaned_data["password"],
        display_name=form.cleaned_data["display_name"],
        email_verified=True,
    )
    invitations.invitation_accept(invitation=invitation, user=user, email_proven=True)
    login(request, user, backend="athletes.backends.EmailOrUsernameBackend")
    messages.success(request, f"Welcome to {invitation.organization.name}.")
    return redirect("home")


@login_required
def my_invitations(request: HttpRequest) -> HttpResponse:
    """The signed-in person's pending invitations, each to accept or decline."""
    if request.method == "POST":
        wanted = request.POST.get("invitation_id", "")
        invitation = next(
            (i for i in invitations.pending_for(request.user) if i.public_id == wanted),  # type: ignore[arg-type]
            None,
        )
        if invitation is None:
            messages.error(request, "That invitation is no longer open.")
            return redirect("my-invitations")
        return _answer(request, invitation, request.POST.get("action", ""))
    rows = invitations.pending_for(request.user)  # type: ignore[arg-type]
    for invitation in rows:
        invitation.inviter = invitations.inviter_name(invitation)  # type: ignore[attr-defined]
    return render(request, "organizations/my_invitations.html", {"invitations": rows})
