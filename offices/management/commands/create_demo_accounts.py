"""Create (or reset) the demo staff accounts that `make run` prints.

Demo only: the passwords are printed to the terminal, so the command refuses to run
unless DEBUG is on. Each run sets fresh random passwords.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from offices.models import Office, OfficerProfile
from offices.roles import DESK, INSPECTOR, ROLE_GROUPS, SUPERVISOR, ensure_role_groups

# username, role, superuser?, office code (None: headquarters).
DEMO_OFFICE = "tangerang"
DEMO_ACCOUNTS = [
    ("admin", None, True, None),
    ("loket", DESK, False, DEMO_OFFICE),
    ("supervisor", SUPERVISOR, False, DEMO_OFFICE),
    ("inspektur", INSPECTOR, False, None),
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
            groups = ensure_role_groups()
            for username, role, is_superuser, office_code in DEMO_ACCOUNTS:
                user, _ = User.objects.get_or_create(username=username)
                password = secrets.token_urlsafe(9)
                # Demo accounts are staff accounts too: the same rules as any other.
                try:
                    validate_password(password, user)
                except ValidationError as exc:
                    raise CommandError(" ".join(exc.messages)) from exc
                user.set_password(password)
                user.is_staff = True
                user.is_superuser = is_superuser
                user.save()
                if role:
                    user.groups.add(groups[role])
                office = Office.objects.get(code=office_code) if office_code else None
                OfficerProfile.objects.update_or_create(
                    user=user, defaults={"office": office, "is_headquarters": office is None}
                )
                where = office.code if office else "HQ"
                rows.append(
                    (username, password, f"{ROLE_GROUPS[role] if role else 'superuser'} ({where})")
                )
        self.stdout.write(f"Demo accounts (akun demo) for {reverse('admin:index')}:")
        for username, password, role in rows:
            self.stdout.write(f"  {username:<11} {password:<14} {role}")
