from django.db import migrations, models


def sync_groups(apps, schema_editor):
    from accounts.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    """"Sign out everywhere" (User.session_epoch), and the administrators' role gets the permissions of
    the sign-in apps: second-factor devices (django-otp) and lock-out records (django-axes)."""

    dependencies = [
        ("accounts", "0005_role_permissions_for_imports"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="session_epoch",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="session generation"),
        ),
        migrations.RunPython(sync_groups, migrations.RunPython.noop),
    ]
