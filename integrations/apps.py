from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """The HTTP API for the bank's systems: wallet events, customers, opt-outs, follow-up status."""

    name = "integrations"
