"""Risk scores move to a table of their own (see ClaimRisk); existing scores are copied."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0001_initial'),
        ('customers', '0004_unit_sale_currency_nullable'),
        ('network', '0002_service_centres_and_partner_terms'),
        ('workorders', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ClaimRisk',
            fields=[
                ('claim', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='risk', serialize=False, to='claims.claim', verbose_name='claim')),
                ('score', models.PositiveSmallIntegerField(default=0, verbose_name='risk')),
                ('reasons', models.JSONField(default=list)),
                ('scored_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'verbose_name': 'claim risk',
                'verbose_name_plural': 'claim risks',
            },
        ),
        migrations.RunSQL(
            "INSERT INTO claims_claimrisk (claim_id, score, reasons, scored_at)"
            " SELECT id, risk_score, risk_reasons, scored_at FROM claims_claim",
            "UPDATE claims_claim SET risk_score = (SELECT score FROM claims_claimrisk"
            " WHERE claim_id = claims_claim.id), risk_reasons = (SELECT reasons FROM"
            " claims_claimrisk WHERE claim_id = claims_claim.id), scored_at = (SELECT scored_at"
            " FROM claims_claimrisk WHERE claim_id = claims_claim.id)",
        ),
        migrations.RemoveConstraint(
            model_name='claim',
            name='claims_claim_risk_at_most_100',
        ),
        migrations.RemoveIndex(
            model_name='claim',
            name='claims_status_risk',
        ),
        migrations.RemoveIndex(
            model_name='claim',
            name='claims_work_order',
        ),
        migrations.RemoveField(
            model_name='claim',
            name='risk_reasons',
        ),
        migrations.RemoveField(
            model_name='claim',
            name='risk_score',
        ),
        migrations.RemoveField(
            model_name='claim',
            name='scored_at',
        ),
        migrations.AlterField(
            model_name='claim',
            name='partner',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='network.partner', verbose_name='partner'),
        ),
        migrations.AddIndex(
            model_name='claim',
            index=models.Index(fields=['status'], name='claims_status'),
        ),
        migrations.AddIndex(
            model_name='claimrisk',
            index=models.Index(fields=['score', 'claim'], name='claims_risk_score'),
        ),
        migrations.AddConstraint(
            model_name='claimrisk',
            constraint=models.CheckConstraint(condition=models.Q(('score__lte', 100)), name='claims_risk_at_most_100'),
        ),
    ]
