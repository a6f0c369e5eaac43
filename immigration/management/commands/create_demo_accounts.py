"""Create (or reset) the demo staff accounts that `make run` prints.

Demo only: the passwords are printed to the terminal, so the command refuses to run
unless DEBUG is on. Each run sets fresh random passwords.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from offices.models import Office, OfficerProfile

# username, group, superuser?, office code (None: headquarters).
DEMO_OFFICE = "tangerang"
DEMO_ACCOUNTS = [
    ("admin", None, True, None),
    ("loket", "Petugas loket", False, DEMO_OFFICE),
    ("supervisor", "Supervisor", False, DEMO_OFFICE),
    ("inspektur", "Inspektur", False, None),
]


class Command(BaseCommand):
    help = "Create demo staff accounts with random passwords (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Demo accounts are refused when DEBUG is off (akun demo ditolak bila DEBUG mati)."
            )
        User = get_user_model()
        rows = []
        with transaction.atomic():
            for username, group_name, is_superuser, office_code in DEMO_ACCOUNTS:
                user, _ = User.objects.get_or_create(username=username)
                password = secrets.token_urlsafe(9)
                user.set_password(password)
                user.is_staff = True
                user.is_superuser = is_superuser
                user.save()
                if group_name:
                    group, _ = Group.objects.get_or_create(name=group_name)
                    user.groups.add(group)
                office = Office.objects.get(code=office_code) if office_code else None
                OfficerProfile.objects.update_or_create(
                    user=user, defaults={"office": office, "is_headquarters": office is None}
                )
                where = office.code if office else "HQ"
                rows.append((username, password, f"{group_name or 'superuser'} ({where})"))
        self.stdout.write("Demo accounts (akun demo) for /admin/:")
        for username, password, role in rows:
            self.stdout.write(f"  {username:<11} {password:<14} {role}")
