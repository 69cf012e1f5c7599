"""Auth endpoints (API.md §2): fields at the top level, no envelope."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from api.athletes.serializers import RegisterSerializer
from astral.api.errors import ApiError
from astral.api.requests import EmailField, StrictSerializer, TextField, require_user, validated
from astral.api.schema import TOP_LEVEL_OBJECT, ApiDoc
from astral.throttles import AuthRateThrottle
from athletes.backends import lockout_seconds, login_locked
from athletes.models import User
from athletes.passwords import password_reset_user, send_password_reset
from athletes.services import accounts
from organizations.access import caller_of
from organizations.models import Membership

logger = logging.getLogger(__name__)


def tokens_for(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def me_data(user: User) -> dict[str, Any]:
    memberships = Membership.objects.filter(user=user).select_related("organization")
    return {
        "id": user.public_id,
        "email": user.email,
        "username": user.username,
        "display_name": user.display_name,
        "timezone": user.tz_name,
        "unit_system": user.units,
        "email_verified": user.email_verified,
        "organizations": [
            {"org_id": m.organization.public_id, "name": m.organization.name, "role": m.role}
            for m in memberships
        ],
    }


class PublicView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class RegisterView(PublicView):
    api_doc = {
        "post": ApiDoc(
            request=RegisterSerializer,
            status=201,
            response=TOP_LEVEL_OBJECT,
            errors=(400, 409, 429),
        )
    }
    throttle_classes = [AuthRateThrottle]

    def post(self, request: Request) -> Response:
        data = validated(RegisterSerializer, request.data)
        user = accounts.user_register(
            email=data["email"],
            username=data["username"],
            password=data["password"],
            display_name=data.get("display_name", ""),
            timezone_name=data.get("timezone", ""),
        )
        return Response({"user": me_data(user), **tokens_for(user)}, status=201)


class TokenRequestSerializer(StrictSerializer):
    email = TextField(required=False, max_length=254)
    username = TextField(required=False, max_length=150)
    password = TextField(max_length=128, trim_whitespace=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("email") and not attrs.get("username"):
            raise serializers.ValidationError({"email": ["email or username is required."]})
        return attrs


class TokenView(PublicView):
    api_doc = {
        "post": ApiDoc(
            request=TokenRequestSerializer, response=TOP_LEVEL_OBJECT, errors=(400, 401, 429)
        )
    }
    throttle_classes = [AuthRateThrottle]

    def post(self, request: Request) -> Response:
        data = validated(TokenRequestSerializer, request.data)
        login = (data.get("email") or data.get("username") or "").lower()
        if login_locked(login):
            raise ApiError(
                "Too many failed sign-ins for this account; try again in 15 minutes.",
                "RATE_LIMITED",
                status=429,
                retry_after=lockout_seconds(login),
            )
        user = authenticate(request, username=login, password=data["password"])
        if user is None:  # the backend counted the failure against the account
            raise ApiError("Invalid credentials.", "INVALID_CREDENTIALS", status=401)
        return Response({**tokens_for(user), "user": me_data(user)})


class RefreshSerializer(StrictSerializer):
    refresh = TextField(max_length=2000)


class TokenRefreshView(PublicView):
    api_doc = {
        "post": ApiDoc(request=RefreshSerializer, response=TOP_LEVEL_OBJECT, errors=(400, 401, 429))
    }
    throttle_classes = [AuthRateThrottle]

    def post(self, request: Request) -> Response:
        data = validated(RefreshSerializer, request.data)
        invalid = ApiError(
            "Invalid or expired refresh token.", "INVALID_TOKEN", field="refresh", status=401
        )
        try:
            refresh = RefreshToken(data["refresh"])
        except TokenError:
            raise invalid from None
        user = User.objects.filter(public_id=refresh.payload.get("sub"), is_active=True).first()
        if user is None:
            raise invalid
        # Used once, even when requests race with the same token (ten at once: one wins).
        if not accounts.refresh_token_use(
            jti=refresh[api_settings.JTI_CLAIM],
            user=user,
            token=str(refresh),
            expires_at=datetime.fromtimestamp(refresh["exp"], tz=UTC),
        ):
            raise invalid
        new_refresh = RefreshToken.for_user(user)
        return Response({"access": str(new_refresh.access_token), "refresh": str(new_refresh)})


class PasswordChangeSerializer(StrictSerializer):
    current_password = TextField(max_length=128, trim_whitespace=False)
    new_password = TextField(max_length=128, trim_whitespace=False)


def checked_password(password: str, user: User, field: str) -> str:
    try:
        validate_password(password, user)
    except DjangoValidationError as error:
        raise ApiError(" ".join(error.messages), "WEAK_PASSWORD", field=field) from None
    return password


class PasswordChangeView(APIView):
    """The current password proves it is the person; every other session is signed out."""

    api_doc = {
        "post": ApiDoc(
            request=PasswordChangeSerializer, response=TOP_LEVEL_OBJECT, errors=(400, 401, 403, 429)
        )
    }
    throttle_classes = [AuthRateThrottle]

    def post(self, request: Request) -> Response:
        user = require_user(caller_of(request))
        data = validated(PasswordChangeSerializer, request.data)
        if not user.check_password(data["current_password"]):
            raise ApiError(
                "The current password is not correct.",
                "INVALID_CREDENTIALS",
                field="current_password",
            )
        accounts.password_set(
            user=user, password=checked_password(data["new_password"], user, "new_password")
        )
        return Response({"password_changed": True, **tokens_for(user)})


class PasswordResetRequestSerializer(StrictSerializer):
    email = EmailField()


class PasswordResetRequestView(PublicView):
    """The same answer for every well-formed address; a link only to an account's."""

    api_doc = {
        "post": ApiDoc(
            request=PasswordResetRequestSerializer, response=TOP_LEVEL_OBJECT, errors=(400, 429)
        )
    }
    throttle_classes = [AuthRateThrottle]

    def post(self, request: Request) -> Response:
        data = validated(PasswordResetRequestSerializer, request.data)
        send_password_reset(request._request, data["email"])
        return Response({"sent": True})


class PasswordResetConfirmSerializer(StrictSerializer):
    uid = TextField(max_length=64)
    token = TextField(max_length=200)
    new_password = TextField(max_length=128, trim_whitespace=False)


class PasswordResetConfirmView(PublicView):
    api_doc = {
        "post": ApiDoc(
            request=PasswordResetConfirmSerializer, response=TOP_LEVEL_OBJECT, errors=(400, 429)
        )
    }
    throttle_classes = [AuthRateThrottle]

    def post(self, request: Request) -> Response:
        data = validated(PasswordResetConfirmSerializer, request.data)
        user = password_reset_user(data["uid"], data["token"])
        if user is None:
            raise ApiError("Invalid or expired reset link.", "INVALID_TOKEN", field="token")
        accounts.password_set(
            user=user, password=checked_password(data["new_password"], user, "new_password")
        )
        return Response({"password_changed": True})


class LogoutView(APIView):
    api_doc = {
        "post": ApiDoc(request=RefreshSerializer, response=TOP_LEVEL_OBJECT, errors=(400, 401))
    }

    def post(self, request: Request) -> Response:
        data = validated(RefreshSerializer, request.data)
        try:
            RefreshToken(data["refresh"]).blacklist()
        except TokenError:
            raise ApiError(
                "Invalid or expired refresh token.", "INVALID_TOKEN", field="refresh", status=401
            ) from None
        return Response({"logged_out": True})


class AuthMeView(APIView):
    api_doc = {"get": ApiDoc(response=TOP_LEVEL_OBJECT, errors=(401, 403))}

    def get(self, request: Request) -> Response:
        """A person's account; for an API key (API.md §5), the key and its organization."""
        caller = caller_of(request)
        key = getattr(request.user, "api_key", None)
        if key is not None and caller.organization is not None:
            organization = caller.organization
            return Response(
                {
                    "api_key": {"key_id": key.public_id, "name": key.name, "prefix": key.prefix},
                    "organization": {
                        "org_id": organization.public_id,
                        "name": organization.name,
                        "created_at": organization.created_at,
                    },
                }
            )
        return Response(me_data(require_user(caller)))


class VerifyRequestSerializer(StrictSerializer):
    email = EmailField()


class VerifyEmailRequestView(PublicView):
    api_doc = {
        "post": ApiDoc(
            request=VerifyRequestSerializer, response=TOP_LEVEL_OBJECT, errors=(400, 429)
        )
    }

    def post(self, request: Request) -> Response:
        data = validated(VerifyRequestSerializer, request.data)
        accounts.email_verification_request(email=data["email"])
        return Response({"sent": True})


class VerifyConfirmSerializer(StrictSerializer):
    token = TextField(max_length=200)


class VerifyEmailConfirmView(PublicView):
    api_doc = {
        "post": ApiDoc(request=VerifyConfirmSerializer, response=TOP_LEVEL_OBJECT, errors=(400,))
    }

    def post(self, request: Request) -> Response:
        data = validated(VerifyConfirmSerializer, request.data)
        accounts.email_verification_confirm(token=data["token"])
        return Response({"email_verified": True})
