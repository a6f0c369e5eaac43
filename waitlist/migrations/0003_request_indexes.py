"""Fewer indexes on the waiting list's requests (#19, bench/README.md "Session 12:
indexes of the hot tables"): the single-column office index goes
(waitlist_unique_position and waitlist_waiting_idx lead with the office), and the
reference's varchar_pattern_ops twin (no LIKE query). The reference stays unique: its
constraint is renamed, not rebuilt."""

import django.db.models.deletion
from django.db import migrations, models

REF_KEY = "waitlist_waitlistrequest_ref_key"
REF_LIKE = "waitlist_waitlistrequest_ref_7ae030ba_like"


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0008_release_window_function"),
        ("waitlist", "0002_request_source"),
    ]

    operations = [
        migrations.AlterField(
            model_name="waitlistrequest",
            name="office",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="waitlist",
                to="offices.office",
                verbose_name="office",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE waitlist_waitlistrequest RENAME CONSTRAINT {REF_KEY}"
                    f" TO waitlist_ref_unique; DROP INDEX IF EXISTS {REF_LIKE};",
                    reverse_sql="ALTER TABLE waitlist_waitlistrequest RENAME CONSTRAINT"
                    f" waitlist_ref_unique TO {REF_KEY}; CREATE INDEX {REF_LIKE}"
                    " ON waitlist_waitlistrequest (ref varchar_pattern_ops);",
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="waitlistrequest",
                    name="ref",
                    field=models.CharField(max_length=8, verbose_name="reference"),
                ),
                migrations.AddConstraint(
                    model_name="waitlistrequest",
                    constraint=models.UniqueConstraint(fields=("ref",), name="waitlist_ref_unique"),
                ),
            ],
        ),
    ]
