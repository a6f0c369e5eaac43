"""The webhook's deliveries answered in front of Django's handler (notifications/
webhook_wsgi.py), through the WSGI application gunicorn serves: the same answers,
headers and stored rows as Django's path for the same inputs; a bad signature, an
oversized body or a replay changes nothing; a connection the database dropped is
replaced, not answered 503; with PostgreSQL down it answers 503 so WhatsApp retries,
and every delivery it acknowledged is stored."""

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from immigration import launcher
from immigration.tests.drills import (
    DRILL_DB_POSTGRES,
    Servers,
    current_database_url,
    redis_url,
    wait_for,
)
from immigration.unread_body import UnreadBodyMiddleware
from immigration.wsgi import django_application
from notifications.models import InboundMessage
from notifications.tests.wsgi_client import wsgi_post
from notifications.webhook import MAX_BODY_BYTES
from notifications.webhook_wsgi import WebhookFastPath

SECRET = "app-secret-for-the-fast-path"
PATH = "/api/v1/whatsapp/webhook/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.WHATSAPP_APP_SECRET = SECRET


def _fast_path():
    """A fresh one: it learns the settings' headers on first use."""
    return UnreadBodyMiddleware(WebhookFastPath(django_application))


def _body(message_id: str, *, age: int = 0, sender: str = "6281234500011") -> bytes:
    stamp = str(int(time.time()) - age)
    message = {
        "from": sender,
        "id": message_id,
        "timestamp": stamp,
        "type": "text",
        "text": {"body": "INFO"},
    }
    value = {"metadata": {"phone_number_id": "1098765"}, "messages": [message]}
    return json.dumps({"entry": [{"changes": [{"value": value}]}]}).encode()


def _signed(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _rows() -> list[tuple[str, str]]:
    return sorted(InboundMessage.objects.values_list("provider_message_id", "state"))


BAD_JSON = (None, "", 400, 0)
# Each case: body of message id `i`, signature (None: the right one), Accept-Language,
# and the status and number of rows stored expected of both paths.
CASES = {
    "valid": (lambda i: _body(i), None, "", 200, 1),
    "stale": (lambda i: _body(i, age=3600), None, "", 200, 0),
    "bad signature": (lambda i: _body(i), "sha256=" + "0" * 64, "", 403, 0),
    "bad signature, Indonesian": (lambda i: _body(i), "sha256=" + "0" * 64, "id", 403, 0),
    "not a signature": (lambda i: _body(i), "md5=abc\u00e9", "", 403, 0),
    "no signature": (lambda i: _body(i), "", "", 403, 0),
    "not JSON": (lambda i: b"{not json " + i.encode(), None, "", 400, 0),
    "duplicate keys": (lambda i: b'{"entry": [], "entry": [], "x": "%b"}' % i.encode(), *BAD_JSON),
    "signed, empty": (lambda i: b'{"x": "%s"}' % i.encode(), None, "", 200, 0),
}


@pytest.mark.django_db
@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_fast_path_answers_as_djangos_path_does(client, settings, case, secure):
    settings.SECURE_HSTS_SECONDS = 3600
    make, signature, language, expected_status, expected_rows = CASES[case]
    answers = {}
    for way, message_id in (("django", "wamid.same.django"), ("fast", "wamid.same.fast")):
        body = make(message_id)
        headers = {"X-Hub-Signature-256": signature if signature is not None else _signed(body)}
        if language:
            headers["Accept-Language"] = language
        before = len(_rows())
        if way == "django":
            response = client.post(
                PATH,
                body,
                content_type="application/json",
                secure=secure,
                **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
            )
            answer_headers = {k.lower(): v for k, v in response.headers.items()}
            status, content, cookies = response.status_code, response.content, response.cookies
        else:
            answer = wsgi_post(PATH, body, headers=headers, application=_fast_path(), secure=secure)
            answer_headers, status = answer.headers, answer.status_code
            content, cookies = answer.content, answer.cookies
        assert answer_headers.pop("x-request-id")
        stored = len(_rows()) - before
        answers[way] = (status, json.loads(content), answer_headers, bool(cookies), stored)
    assert answers["fast"] == answers["django"]
    status, _content, headers, _cookies, stored = answers["fast"]
    assert (status, stored) == (expected_status, expected_rows)
    assert headers["strict-transport-security" if secure else "referrer-policy"]


@pytest.mark.django_db
def test_a_bad_signature_changes_nothing_and_is_answered_in_the_callers_language():
    body = _body("wamid.fast.bad")
    answer = wsgi_post(
        PATH,
        body,
        headers={"X-Hub-Signature-256": _signed(body + b" "), "Accept-Language": "id"},
        application=_fast_path(),
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "bad_signature"
    assert answer.json()["error"]["message"] == "Tanda tangan tidak cocok dengan isi permintaan."
    assert not answer.cookies
    assert _rows() == []


@pytest.mark.django_db
def test_an_oversized_delivery_is_refused_before_its_body_is_read():
    body = _body("wamid.fast.big")
    # Declared over the limit: refused by the length alone, nothing read.
    answer = wsgi_post(
        PATH,
        body,
        headers={"X-Hub-Signature-256": _signed(body)},
        content_length=MAX_BODY_BYTES + 1,
        application=WebhookFastPath(django_application),
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (413, "too_large")
    assert answer.read == 0
    # A body really over the limit, honestly declared and validly signed: refused too.
    padded = body[:-1] + b', "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    answer = wsgi_post(
        PATH, padded, headers={"X-Hub-Signature-256": _signed(padded)}, application=_fast_path()
    )
    assert answer.status_code == 413
    assert _rows() == []


@pytest.mark.django_db
def test_a_replayed_delivery_is_stored_once():
    body = _body("wamid.fast.replay")
    headers = {"X-Hub-Signature-256": _signed(body)}
    first = wsgi_post(PATH, body, headers=headers, application=_fast_path())
    again = wsgi_post(PATH, body, headers=headers, application=_fast_path())
    assert first.status_code == again.status_code == 200
    assert _rows() == [("wamid.fast.replay", "pending")]


# Transactional: Django's own handler ends each request's connection (in a test's
# transaction, it would close the test's).
@pytest.mark.django_db(transaction=True)
def test_other_requests_go_on_to_django():
    fast = _fast_path()
    elsewhere = wsgi_post(PATH + "x/", b"{}", application=fast)
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (404, "not_found")


@pytest.mark.django_db(transaction=True)
def test_with_https_required_a_plain_http_delivery_is_redirected_as_django_does(settings):
    settings.SECURE_SSL_REDIRECT = True
    body = _body("wamid.fast.http")
    # Django's middleware read the setting as they were built: a handler built now.
    fast = WebhookFastPath(WSGIHandler())
    answer = wsgi_post(PATH, body, headers={"X-Hub-Signature-256": _signed(body)}, application=fast)
    assert answer.status_code == 301
    assert answer["Location"].startswith("https://")
    assert _rows() == []


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_database_dropped_is_replaced_and_the_delivery_stored():
    """What Django's per-request health check (a SELECT 1) did, the fast path does by
    retrying the INSERT once on a fresh connection when a kept one turns out dead."""
    fast = _fast_path()
    first = _body("wamid.fast.kept")
    answer = wsgi_post(
        PATH, first, headers={"X-Hub-Signature-256": _signed(first)}, application=fast
    )
    assert answer.status_code == 200
    assert connection.connection is not None  # kept for the next request
    backend = connection.connection.info.backend_pid
    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname=settings_dict["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
        wait_for(
            lambda: (
                not other.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend]
                ).fetchone()
            ),
            "the backend is gone",
        )
    second = _body("wamid.fast.after", sender="6281234500012")
    answer = wsgi_post(
        PATH, second, headers={"X-Hub-Signature-256": _signed(second)}, application=fast
    )
    assert (answer.status_code, answer.json()) == (200, {"handled": 1, "ignored": 0})
    assert connection.connection.info.backend_pid != backend
    # (Committed: the session's worker may have processed them already.)
    stored = InboundMessage.objects.values_list("provider_message_id", flat=True)
    assert sorted(stored) == ["wamid.fast.after", "wamid.fast.kept"]


# --- Drill: gunicorn (the fast path), PostgreSQL stopped and started ------------------


@pytest.fixture
def gunicorn(tmp_path):
    port = launcher.free_port()
    env = {
        "DATABASE_URL": current_database_url(),
        "REDIS_URL": redis_url(DRILL_DB_POSTGRES),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "drill-only-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "WHATSAPP_APP_SECRET": SECRET,
        "LOG_LEVEL": "ERROR",
    }
    base = f"http://127.0.0.1:{port}"
    with launcher.gunicorn(
        port=port, env=env, workers=1, threads=4, log=tmp_path / "gunicorn.log"
    ) as server:
        launcher.wait_serving(server, base, seconds=30)
        yield base


def _deliver_over_http(base: str, message_id: str, sender: str) -> tuple[int, dict, dict]:
    body = _body(message_id, sender=sender)
    request = urllib.request.Request(  # noqa: S310 (loopback)
        base + PATH, data=body, headers={"X-Hub-Signature-256": _signed(body)}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def _parallel(base: str, prefix: str, count: int) -> list[int]:
    statuses: list[int] = []

    def deliver(n: int) -> None:
        status, _answer, _headers = _deliver_over_http(base, f"{prefix}{n}", f"62812991{n:05d}")
        statuses.append(status)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


@pytest.mark.drill
@pytest.mark.django_db(transaction=True)
def test_with_postgres_down_the_fast_path_answers_503_and_after_a_restart_stores_again(
    gunicorn,
):
    servers = Servers.from_env()
    # Every thread gets a persistent connection.
    assert _parallel(gunicorn, "wamid.pg.before.", 8) == [200] * 8
    servers.stop_postgres()
    try:
        status, answer, headers = _deliver_over_http(gunicorn, "wamid.pg.down", "6281299200001")
    finally:
        servers.start_postgres()
    assert (status, answer["error"]["code"]) == (503, "service_unavailable")
    assert headers["Retry-After"]
    assert headers["X-Request-ID"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Each thread's kept connection died with the server: replaced, never a 503.
    assert _parallel(gunicorn, "wamid.pg.after.", 12) == [200] * 12
    connection.close()  # ours died with the server too
    stored = set(InboundMessage.objects.values_list("provider_message_id", flat=True))
    assert stored == {f"wamid.pg.before.{n}" for n in range(8)} | {
        f"wamid.pg.after.{n}" for n in range(12)
    }
