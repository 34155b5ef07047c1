"""Staff sign-in after the password: the second factor (set up, verify, recovery codes) and the
"Your account / security" page with "sign out everywhere"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import lockout, second_factor, sessions
from accounts.forms import EnrolmentCodeForm, SecondFactorCodeForm

ENROLMENT_KEY = "two_factor_enrolment_key"
CODES_TO_SHOW = "two_factor_codes_to_show"


def _next_url(request) -> str:
    """Where the person was going before the second factor, if it is a page of this site."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_required
def two_factor_setup(request):
    if second_factor.has_second_factor(request.user):
        return redirect("security" if request.user.is_verified() else "two-factor-verify")
    key = request.session.setdefault(ENROLMENT_KEY, second_factor.new_totp_key())
    form = EnrolmentCodeForm(request.POST or None)
    if form.is_valid():
        device = second_factor.enrol_totp_device(user=request.user, key=key, code=form.cleaned_data["code"])
        if device is None:
            form.add_error(
                "code", _("That code does not match. Check the app shows this account and try the next code.")
            )
        else:
            del request.session[ENROLMENT_KEY]
            otp_login(request, device)
            request.session[CODES_TO_SHOW] = second_factor.regenerate_recovery_codes(user=request.user)
            lockout.unlock_sign_in(user=request.user)
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("recovery-codes")
    uri = second_factor.provisioning_uri(user=request.user, key=key)
    context = {
        "form": form,
        "qr_code": second_factor.qr_code_svg(uri),
        "key_for_typing": second_factor.key_for_typing(key),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return render(request, "accounts/two_factor_setup.html", context)


@login_required
def two_factor_verify(request):
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not second_factor.has_second_factor(user):
        return redirect("two-factor-setup")
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and lockout.is_locked(request, user=user):
        logout(request)
        return lockout.locked_out_response(request, credentials={"username": user.get_username()})
    if form.is_valid():
        device = second_factor.verify_second_factor(user=user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            lockout.unlock_sign_in(user=user)  # a complete sign-in starts the count of failures again
            if isinstance(device, StaticDevice):
                left = second_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code; %(left)d is left. Make new ones on your security page.",
                        "You used a recovery code; %(left)d are left. Make new ones on your security page.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(_next_url(request))
        if lockout.record_failed_code(request, user=user):
            logout(request)
            return lockout.locked_out_response(request, credentials={"username": user.get_username()})
        form.add_error(
            "code", _("That code is not right, or it was already used. Wait for the next code and try again.")
        )
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


@login_required
def recovery_codes(request):
    """The new codes, shown once (they are in the session only until this page shows them)."""
    if request.method == "POST":
        request.session[CODES_TO_SHOW] = second_factor.regenerate_recovery_codes(user=request.user)
        messages.success(request, _("New recovery codes made; the old ones no longer work."))
        return redirect("recovery-codes")
    codes = request.session.pop(CODES_TO_SHOW, None)
    context = {"codes": codes, "codes_left": second_factor.recovery_codes_left(request.user)}
    return render(request, "accounts/recovery_codes.html", context)


@login_required
def security(request):
    device = second_factor.totp_device_of(request.user)
    context = {
        "device": device,
        "codes_left": second_factor.recovery_codes_left(request.user),
        "idle_minutes": settings.SESSION_IDLE_SECONDS // 60,
        "max_hours": f"{settings.SESSION_COOKIE_AGE / 3600:g}",
    }
    return render(request, "accounts/security.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own (old password, new one twice, AUTH_PASSWORD_VALIDATORS); this session stays, the
    person's other sessions end because the password hash they carry has changed."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("security")

    def form_valid(self, form):
        messages.success(self.request, _("Your password is changed; your other sessions have ended."))
        return super().form_valid(form)


@require_POST
@login_required
def sign_out_everywhere(request):
    sessions.sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, _("You are signed out on every browser and device."))
    return redirect(settings.LOGIN_URL)
