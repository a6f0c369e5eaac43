"""Fees get an English name, for applicants who read English (issue #21 §4); the
seeded fees (0002_fees) get theirs. Rows staff added keep an empty English name and
are shown by their Indonesian name until one is entered in the admin."""

from django.db import migrations, models

# By fee code: every period of a fee shares its name.
NAMES_EN = {
    "paspor-biasa-48": "Ordinary passport, 48 pages",
    "e-paspor-48": "Electronic passport (e-passport), 48 pages",
}


def name_fees(apps, schema_editor):
    Fee = apps.get_model("bookings", "Fee")
    for code, name_en in NAMES_EN.items():
        Fee.objects.filter(code=code, name_en="").update(name_en=name_en)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0008_booking_priority_claim")]

    operations = [
        migrations.AddField(
            model_name="fee",
            name="name_en",
            field=models.CharField(
                blank=True,
                help_text="Shown to applicants who read English; empty: the Indonesian name.",
                max_length=150,
                verbose_name="name in English",
            ),
        ),
        migrations.RunPython(name_fees, migrations.RunPython.noop),
    ]
