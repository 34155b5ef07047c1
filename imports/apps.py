from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Customers and wallet events from the bank's files (CSV, Excel): upload, map, check, import."""

    name = "imports"
