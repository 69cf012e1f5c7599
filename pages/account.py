"""Account pages on Django's own password views: change (signed in) and reset by e-mail.
Either way every API session's refresh token is revoked, as through the API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from athletes.passwords import EMAIL_TEMPLATE, SUBJECT_TEMPLATE, email_context
from athletes.services import accounts


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form: Any) -> Any:
        response = super().form_valid(form)
        accounts.sessions_revoke(user=form.user)
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_message.html"
    extra_context = {"title": "Password changed", "message": "Your password was changed."}


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset.html"
    email_template_name = EMAIL_TEMPLATE
    subject_template_name = SUBJECT_TEMPLATE
    success_url = reverse_lazy("password_reset_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        self.extra_email_context = email_context()
        return super().get_form_kwargs()


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_message.html"
    extra_context = {
        "title": "Check your e-mail",
        "message": "If an account uses that address, we sent it a link to choose a new "
        "password. It works once, for two hours.",
    }


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> Any:
        response = super().form_valid(form)
        accounts.sessions_revoke(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_message.html"
    extra_context = {
        "title": "Password changed",
        "message": "Your new password is set. Sign in with it.",
        "sign_in": True,
    }
