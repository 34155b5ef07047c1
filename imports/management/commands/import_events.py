from imports.commands import ImportCommand


class Command(ImportCommand):
    help = "Import wallet events from a CSV or Excel file (idempotent on the event reference)."
    kind = "events"
