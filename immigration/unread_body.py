"""A request refused before its body is read leaves its connection honest.

A 413 (too large), 415 or 429 is answered without reading the body, rightly: reading
50 MB to refuse it is what a flood wants. But on a keep-alive connection the unread
bytes come before the client's next request. gunicorn discards at most 64 KB of them
and otherwise closes the connection silently after an answer that said
`Connection: keep-alive`, so the client's next request on it dies without an answer
(and a client that already sent it cannot tell whether it was done).

This WSGI middleware wraps the whole application (immigration/wsgi.py). It counts
what the application read; when an answer leaves bytes unread it either

- drains them (at most UNREAD_BODY_DRAIN_BYTES, 8 MB, within a few seconds), so the
  connection is ready for the next request, or
- marks the answer `Connection: close`, so the client knows to open a new one.

gunicorn drops a `Connection` header set by an application (it is hop-by-hop), so
the answer is closed through gunicorn's own response object (`force_close`), which
is what `start_response` is bound to; other servers get the header.
"""

import time

DRAIN_MAX_BYTES = 8 * 1024 * 1024
DRAIN_SECONDS = 5
_CHUNK = 64 * 1024


class _CountingInput:
    """wsgi.input that counts the bytes the application read."""

    def __init__(self, stream):
        self._stream = stream
        self.consumed = 0
        self.exhausted = False

    def _count(self, data: bytes) -> bytes:
        self.consumed += len(data)
        return data

    def read(self, *args):
        data = self._stream.read(*args)
        if not data and (not args or args[0] is None or args[0] != 0):
            self.exhausted = True
        return self._count(data)

    def readline(self, *args):
        data = self._stream.readline(*args)
        if not data:
            self.exhausted = True
        return self._count(data)

    def readlines(self, *args):
        return [self._count(line) for line in self._stream.readlines(*args)]

    def __iter__(self):
        for line in self._stream:
            yield self._count(line)
        self.exhausted = True


def _declared_length(environ) -> int | None:
    """The body's length: Content-Length, or None when it is chunked (unknown)."""
    text = environ.get("CONTENT_LENGTH") or ""
    if text.strip().isdigit():
        return int(text)
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    return 0


def _drain(body: _CountingInput, length: int | None) -> bool:
    """Read and discard what is left of the body; False when it is more than
    DRAIN_MAX_BYTES or takes longer than DRAIN_SECONDS (then the connection closes)."""
    deadline = time.monotonic() + DRAIN_SECONDS
    drained = 0
    while length is None or body.consumed < length:
        if drained >= DRAIN_MAX_BYTES or time.monotonic() > deadline:
            return False
        want = _CHUNK if length is None else min(_CHUNK, length - body.consumed)
        try:
            data = body.read(want)
        except OSError:  # the client went away, or timed out: nothing to keep open
            return False
        if not data:
            return length is None
        drained += len(data)
    return True


def _leaves_bytes(body: _CountingInput, length: int | None) -> bool:
    if length is None:
        return not body.exhausted
    return body.consumed < length


def _would_drain(body: _CountingInput, length: int | None) -> bool:
    return length is None or length - body.consumed <= DRAIN_MAX_BYTES


class UnreadBodyMiddleware:
    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        length = _declared_length(environ)
        if length == 0:
            return self.application(environ, start_response)
        body = _CountingInput(environ["wsgi.input"])
        environ["wsgi.input"] = body
        pending: list[tuple] = []

        def deferred_start_response(status, headers, exc_info=None):
            # The answer waits until the application has returned: only then is it
            # known whether its body was read.
            pending[:] = [(status, list(headers), exc_info)]
            return _late_write

        written: list[bytes] = []

        def _late_write(data: bytes) -> None:  # the legacy write(); Django never calls it
            written.append(data)

        result = self.application(environ, deferred_start_response)
        status, headers, exc_info = pending[0]
        if _leaves_bytes(body, length) and not (
            _would_drain(body, length) and _drain(body, length)
        ):
            headers = [(k, v) for k, v in headers if k.lower() != "connection"]
            headers.append(("Connection", "close"))
            force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
            if callable(force_close):
                force_close()
        write = start_response(status, headers, exc_info)
        for data in written:
            write(data)
        return result
