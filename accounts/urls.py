from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import security_views, views
from accounts.forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Open to someone who has given their password but not their second factor yet.
    path("accounts/two-factor/set-up/", security_views.two_factor_setup, name="two-factor-setup"),
    path("accounts/two-factor/", security_views.two_factor_verify, name="two-factor-verify"),
    # Only after the second factor.
    path("accounts/security/", security_views.security, name="security"),
    path("accounts/security/recovery-codes/", security_views.recovery_codes, name="recovery-codes"),
    path("accounts/security/password/", security_views.PasswordChangeView.as_view(), name="password-change"),
    path("accounts/security/sign-out-everywhere/", security_views.sign_out_everywhere, name="sign-out-everywhere"),
]
