"""Install the starter survey for wallet follow-ups (surveys/data/starter_survey.json).

Idempotent: a database that already holds wallet-follow-up v1 is left as it is. Going backwards
leaves the survey in place: campaigns and responses may point at it.
"""

from django.db import migrations
from django.utils import timezone


def install(apps, schema_editor):
    from surveys.starter import install_starter_survey

    install_starter_survey(
        survey_model=apps.get_model("surveys", "Survey"),
        question_model=apps.get_model("surveys", "Question"),
        choice_model=apps.get_model("surveys", "Choice"),
        now=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0002_links_skip_logic_reminders_templates"),
        ("accounts", "0004_role_permissions_for_wording"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
