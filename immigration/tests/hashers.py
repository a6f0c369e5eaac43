"""The suite's password hasher: Django's PBKDF2 with one round.

Production hashes a staff password with 1,000,000 rounds, about half a second of CPU
on this project's 2-core machines, and the suite creates and logs in hundreds of staff
users. One round keeps the same algorithm and format (`pbkdf2_sha256$1$salt$hash`),
so a hash made in a test is checked by the production hasher too (the round count
travels in the hash) and every code path, salting and comparison included, is the
real one. Set only by the root conftest.py, never in settings.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class OneRoundPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1
