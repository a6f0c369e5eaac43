"""Django in a fresh process, for what is read once at start: the settings (production
mode, the retention checks) and the URLconf (the admin's path).

A probe is a script that prints one line `RESULT <json>`; log lines may share its
stdout. The environment is the suite's without any DJANGO_* variable, plus what the
test gives, so each test states the whole configuration it checks.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def environment(env: dict[str, str], *, without: tuple[str, ...] = ()) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in without}
    return {**base, "DJANGO_SETTINGS_MODULE": "immigration.settings", **env}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def probe(script: str, env: dict[str, str], *, without: tuple[str, ...] = ()):
    """Run `script` with Django set up in a fresh process; return its RESULT."""
    result = subprocess.run(
        [sys.executable, "-c", "import django\ndjango.setup()\n" + script],
        cwd=ROOT,
        env=environment(env, without=without),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))
