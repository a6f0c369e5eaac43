"""A request refused before its body is read (413, 415, 429) leaves the connection
honest: the body is drained and the connection serves the next request, or the
answer says `Connection: close`."""

import io
import socket

import pytest

from immigration import launcher, unread_body
from immigration.tests.drills import current_database_url
from immigration.unread_body import UnreadBodyMiddleware


class _Server:
    """Stands in for gunicorn's Response: `start_response` is its bound method."""

    def __init__(self):
        self.closed = False
        self.status = None
        self.headers = None

    def force_close(self):
        self.closed = True

    def start_response(self, status, headers, exc_info=None):
        self.status, self.headers = status, headers
        return lambda data: None


def _refuse_unread(environ, start_response):
    start_response("413 Payload Too Large", [("Content-Type", "application/json")])
    return [b'{"error": {}}']


def _read_all(environ, start_response):
    environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _call(app, size: int, *, declared: int | None = None, chunked: bool = False):
    stream = io.BytesIO(b"x" * size)
    environ = {"REQUEST_METHOD": "POST", "wsgi.input": stream}
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(size if declared is None else declared)
    server = _Server()
    body = UnreadBodyMiddleware(app)(environ, server.start_response)
    return server, stream, b"".join(body)


def test_an_unread_body_up_to_the_drain_limit_is_drained_and_the_connection_kept():
    server, stream, body = _call(_refuse_unread, 200_000)
    assert server.status.startswith("413")
    assert stream.tell() == 200_000  # the next request starts where it should
    assert not server.closed
    assert "connection" not in {k.lower() for k, _ in server.headers}
    assert body == b'{"error": {}}'


def test_an_unread_body_over_the_drain_limit_closes_the_connection_and_says_so():
    size = unread_body.DRAIN_MAX_BYTES + 1
    server, stream, _ = _call(_refuse_unread, 1024, declared=size)
    assert server.closed
    assert ("Connection", "close") in server.headers
    assert stream.tell() == 0  # not read at all: refusing it must cost nothing


def test_a_chunked_body_is_drained_to_its_end(monkeypatch):
    server, stream, _ = _call(_refuse_unread, 100_000, chunked=True)
    assert stream.tell() == 100_000
    assert not server.closed


def test_a_chunked_body_longer_than_the_limit_closes_the_connection(monkeypatch):
    monkeypatch.setattr(unread_body, "DRAIN_MAX_BYTES", 64 * 1024)
    server, _, _ = _call(_refuse_unread, 1_000_000, chunked=True)
    assert server.closed


def test_a_body_the_application_read_is_left_alone():
    server, stream, body = _call(_read_all, 300_000)
    assert (server.status, body, server.closed) == ("200 OK", b"ok", False)
    assert stream.tell() == 300_000


def test_a_slow_body_is_not_drained_past_the_deadline(monkeypatch):
    monkeypatch.setattr(unread_body, "DRAIN_SECONDS", 0)
    server, _, _ = _call(_refuse_unread, 500_000)
    assert server.closed


def test_the_deployed_application_is_wrapped():
    from immigration.wsgi import application

    assert isinstance(application, UnreadBodyMiddleware)


# --- through gunicorn, as deployed -------------------------------------------------------


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def gunicorn(tmp_path):
    port = launcher.free_port()
    env = {
        "DATABASE_URL": current_database_url(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "body-test-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
    }
    log = tmp_path / "gunicorn.log"
    with launcher.gunicorn(port=port, env=env, workers=1, log=log) as server:
        launcher.wait_until(
            lambda: _listening(port), "gunicorn listens", seconds=60, servers=[server]
        )
        yield port


def _responses(sock: socket.socket, count: int) -> list[bytes]:
    """The heads of up to `count` answers read off the connection (each framed by
    Content-Length or chunked), fewer when the server closes it first."""
    reader = sock.makefile("rb")
    heads = []
    while len(heads) < count:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = reader.readline()
            if not line:
                return heads
            head += line
        fields = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)
        }
        if b"content-length" in fields:
            reader.read(int(fields[b"content-length"]))
        elif fields.get(b"transfer-encoding") == b"chunked":
            while (size := int(reader.readline().strip(), 16)) > 0:
                reader.read(size + 2)
            reader.readline()
        heads.append(head)
    return heads


def _post_head(length: int) -> bytes:
    return (
        "POST /api/v1/bookings/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


HEALTH = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.mark.drill
@pytest.mark.django_db(transaction=True)
def test_through_gunicorn_the_next_request_after_a_413_is_answered(gunicorn):
    size = 3 * 1024 * 1024  # over the API's 2.5 MB for JSON: refused unread
    with socket.create_connection(("127.0.0.1", gunicorn), timeout=30) as sock:
        sock.sendall(_post_head(size) + b" " * size + HEALTH)
        answers = _responses(sock, 2)
    assert len(answers) == 2, answers
    assert answers[0].startswith(b"HTTP/1.1 413")
    assert b"Connection: keep-alive" in answers[0]
    assert answers[1].startswith(b"HTTP/1.1 200")


@pytest.mark.drill
@pytest.mark.django_db(transaction=True)
def test_through_gunicorn_a_body_too_large_to_drain_is_answered_with_connection_close(gunicorn):
    size = 20 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", gunicorn), timeout=30) as sock:
        sock.sendall(_post_head(size) + b" " * 65536)
        answers = _responses(sock, 2)
    assert len(answers) == 1
    assert answers[0].startswith(b"HTTP/1.1 413")
    assert b"Connection: close" in answers[0]
