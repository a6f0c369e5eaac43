"""A draw's run updates each of its 20,000 requests up to three times (the result, the
placement, `notified_at`). Cheaper updates: pages half full (fillfactor 50), so an
update that changes no indexed column (`notified_at`, the placement) is a HOT update
on the same page, with no index entries (the results step's UPDATE of `notified_at`:
1.4 s of PostgreSQL CPU to 0.3 s, bench/README.md); and no index of the draw's own,
which the indexes starting with it serve."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("release", "0003_release_gate_cached_plan"),
    ]

    operations = [
        migrations.AlterField(
            model_name="drawentry",
            name="draw",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="release.draw",
                verbose_name="draw",
            ),
        ),
        migrations.RunSQL(
            "ALTER TABLE release_drawentry SET (fillfactor = 50)",
            reverse_sql="ALTER TABLE release_drawentry RESET (fillfactor)",
        ),
    ]
