"""The slot's single-column office index goes (#19, bench/README.md "Session 12:
indexes of the hot tables"): slot_office_date_idx and slot_unique_start lead with the
office and serve every query by office, and the PROTECT check of an office's deletion."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('offices', '0008_release_window_function'),
    ]

    operations = [
        migrations.AlterField(
            model_name='slot',
            name='office',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='slots', to='offices.office', verbose_name='office'),
        ),
    ]
