"""Password reset by e-mail: Django's own single-use, expiring links (the token hashes the
password, so it dies once used), the same answer for known and unknown addresses."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from athletes.models import User


def send_password_reset(request: HttpRequest, email: str) -> None:
    """E-mails a reset link to an active account with this address; nothing otherwise."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    base = settings.ASTRAL_BASE_URL
    form.save(
        request=request,
        use_https=base.startswith("https://") if base else request.is_secure(),
        domain_override=base.split("://", 1)[-1].rstrip("/") if base else None,
        email_template_name=EMAIL_TEMPLATE,
        subject_template_name=SUBJECT_TEMPLATE,
        extra_email_context=email_context(),
    )


EMAIL_TEMPLATE = "registration/password_reset_email.txt"
SUBJECT_TEMPLATE = "registration/password_reset_subject.txt"


def email_context() -> dict[str, int]:
    return {"timeout_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}


def password_reset_user(uid: str, token: str) -> User | None:
    """The account a reset link was made for, while the link is valid."""
    try:
        pk = force_str(urlsafe_base64_decode(uid))
        user = User.objects.filter(pk=int(pk), is_active=True).first()
    except (ValueError, TypeError, OverflowError):
        return None
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user
