"""Cases (issue 5 §3): the regulatory clock's single extension with its approver, the complex flag, the
agent's own flag, who resolved; one Case per category per response; an index for overdue lookups."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_role_permissions_for_wording'),
        ('surveys', '0003_starter_survey'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='complex',
            field=models.BooleanField(default=False, verbose_name='complex case'),
        ),
        migrations.AddField(
            model_name='case',
            name='extension_reason',
            field=models.TextField(blank=True, verbose_name='reason for the extension'),
        ),
        migrations.AddField(
            model_name='case',
            name='flagged_by_agent',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='flagged_cases', to=settings.AUTH_USER_MODEL, verbose_name='flagged by agent'),
        ),
        migrations.AddField(
            model_name='case',
            name='regulatory_extended_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='regulatory deadline extended at'),
        ),
        migrations.AddField(
            model_name='case',
            name='regulatory_extended_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='extension approved by'),
        ),
        migrations.AddField(
            model_name='case',
            name='resolved_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='resolved by'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status', 'resolved'), _negated=True), fields=['regulatory_due_at'], name='case_regulatory_due_idx'),
        ),
        migrations.AddConstraint(
            model_name='case',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('extension_reason', ''), ('regulatory_extended_at__isnull', True), ('regulatory_extended_by__isnull', True)), models.Q(('regulatory_extended_at__isnull', False), ('regulatory_extended_by__isnull', False), models.Q(('extension_reason', ''), _negated=True)), _connector='OR'), name='case_extension_has_approver_and_time'),
        ),
        migrations.AddConstraint(
            model_name='case',
            constraint=models.UniqueConstraint(condition=models.Q(('response__isnull', False)), fields=('response', 'category'), name='one_case_per_category_per_response'),
        ),
    ]
