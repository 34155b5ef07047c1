from imports.commands import ImportCommand


class Command(ImportCommand):
    help = "Import customers from a CSV or Excel file (upsert by bank reference)."
    kind = "customers"
