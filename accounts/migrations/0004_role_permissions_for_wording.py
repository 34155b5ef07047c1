from django.db import migrations


def sync_groups(apps, schema_editor):
    from accounts.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    """Managers edit message templates and concern keywords (models added by surveys 0002)."""

    dependencies = [
        ("accounts", "0003_walletevent_follow_up_planned_at"),
        ("surveys", "0002_links_skip_logic_reminders_templates"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
