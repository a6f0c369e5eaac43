"""The passport fees in force since 2015, as data (fees change by regulation).

PP 10/2015: a 48-page ordinary passport cost Rp300,000 plus Rp55,000 for the
biometric record (the Rp355,000 the 2017 articles quote); PP 28/2019 folded the
biometric fee in. Later changes are entered by staff in the admin: a new row with its
own `valid_from`, closing the old one with `valid_until`.
"""

import datetime as dt

from django.db import migrations

PP_28_2019_IN_FORCE = dt.date(2019, 5, 15)

FEES = [
    ("paspor-biasa-48", "Paspor biasa 48 halaman", 355_000, dt.date(2015, 2, 11),
     PP_28_2019_IN_FORCE - dt.timedelta(days=1), "PP 10/2015 (Rp300.000 + biometrik Rp55.000)"),
    ("paspor-biasa-48", "Paspor biasa 48 halaman", 350_000, PP_28_2019_IN_FORCE, None, "PP 28/2019"),
    ("e-paspor-48", "Paspor elektronik 48 halaman", 655_000, dt.date(2015, 2, 11),
     PP_28_2019_IN_FORCE - dt.timedelta(days=1), "PP 10/2015 (Rp600.000 + biometrik Rp55.000)"),
    ("e-paspor-48", "Paspor elektronik 48 halaman", 650_000, PP_28_2019_IN_FORCE, None, "PP 28/2019"),
]


def load_fees(apps, schema_editor):
    Fee = apps.get_model("bookings", "Fee")
    for code, name, amount, valid_from, valid_until, regulation in FEES:
        Fee.objects.create(
            code=code, name=name, amount=amount, valid_from=valid_from,
            valid_until=valid_until, regulation=regulation,
        )


def unload_fees(apps, schema_editor):
    apps.get_model("bookings", "Fee").objects.filter(code__in={f[0] for f in FEES}).delete()


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [migrations.RunPython(load_fees, unload_fees)]
