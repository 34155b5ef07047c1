from django.db import migrations


def sync_groups(apps, schema_editor):
    from accounts.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    """Managers import customers and wallet events from bank files (ImportJob, added by imports 0001)."""

    dependencies = [
        ("accounts", "0004_role_permissions_for_wording"),
        ("imports", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
