from django.db import migrations


def sync_groups(apps, schema_editor):
    from accounts.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    """Administrators may view the audit log (the admin role holds every permission; nobody else gets it)."""

    dependencies = [
        ("accounts", "0005_role_permissions_for_imports"),
        ("audit", "0002_append_only"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
