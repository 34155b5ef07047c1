"""Follow-ups people add: calls agents schedule and "is it fixed?" re-surveys of resolved cases.

Adds the manual campaign trigger, who scheduled a follow-up and why, the Case a re-survey checks, and
installs the re-survey (surveys/data/recheck_survey.json; idempotent, left in place going backwards).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def install_recheck_survey(apps, schema_editor):
    from surveys.starter import RECHECK_PATH, install_starter_survey, starter_data

    install_starter_survey(
        survey_model=apps.get_model("surveys", "Survey"),
        question_model=apps.get_model("surveys", "Question"),
        choice_model=apps.get_model("surveys", "Choice"),
        now=timezone.now(),
        data=starter_data(RECHECK_PATH),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0004_case_clocks_and_flags"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="followup",
            name="note",
            field=models.CharField(blank=True, max_length=300, verbose_name="why this call"),
        ),
        migrations.AddField(
            model_name="followup",
            name="rechecks_case",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="rechecks",
                to="surveys.case",
                verbose_name="re-survey of case",
            ),
        ),
        migrations.AddField(
            model_name="followup",
            name="scheduled_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="scheduled by",
            ),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("batch", "Batch: everyone in the audience"),
                    ("event", "Wallet event"),
                    ("manual", "Manual: calls scheduled by agents, re-surveys of resolved cases"),
                ],
                default="batch",
                max_length=8,
                verbose_name="trigger",
            ),
        ),
        migrations.RunPython(install_recheck_survey, migrations.RunPython.noop),
    ]
