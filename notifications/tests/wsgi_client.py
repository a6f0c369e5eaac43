"""Deliveries posted through the WSGI application gunicorn serves (immigration/wsgi.py:
the webhook's fast path in front of Django), in this process, for the tests that must
prove that path: Django's test client goes around it, straight to Django's handler."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass, field


@dataclass
class WsgiAnswer:
    status_code: int
    headers: dict[str, str]
    content: bytes
    read: int = 0  # bytes of the body the application read
    cookies: list[str] = field(default_factory=list)

    def json(self):
        return json.loads(self.content)

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]


class _Body(io.BytesIO):
    """wsgi.input that counts what was read of it."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.taken += len(data)
        return data


def wsgi_post(
    path: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    content_length: int | None = None,
    application=None,
    secure: bool = False,
) -> WsgiAnswer:
    """POST `body` to `path` through `application` (immigration.wsgi.application);
    `headers` by their HTTP names; `content_length` declares another length."""
    if application is None:
        from immigration.wsgi import application
    stream = _Body(body)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body) if content_length is None else content_length),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "443" if secure else "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": stream,
        "wsgi.url_scheme": "https" if secure else "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    started: list = []

    def start_response(status, response_headers, exc_info=None):
        started[:] = [status, response_headers]

    result = application(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    status, response_headers = started
    return WsgiAnswer(
        status_code=int(status.split()[0]),
        headers={k.lower(): v for k, v in response_headers if k.lower() != "set-cookie"},
        content=content,
        read=stream.taken,
        cookies=[v for k, v in response_headers if k.lower() == "set-cookie"],
    )


class FastPathClient:
    """What the drills' `client.post(path, body, content_type=..., HTTP_X_...=...)`
    calls, through the WSGI application instead of Django's test client."""

    def post(self, path: str, body: bytes, content_type: str = "", **extra) -> WsgiAnswer:
        headers = {
            key.removeprefix("HTTP_").replace("_", "-"): value
            for key, value in extra.items()
            if key.startswith("HTTP_")
        }
        return wsgi_post(path, body, headers=headers)
