from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts.sessions import start_session_clock

        # Session bookkeeping, not business logic: the idle and absolute limits count from the sign-in.
        user_logged_in.connect(start_session_clock, dispatch_uid="accounts.start_session_clock")
