"""gunicorn settings (read automatically from the working directory)."""

import multiprocessing
import os

# Loopback unless told otherwise: a container sets GUNICORN_BIND=0.0.0.0:8000.
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# A process per core plus one, two threads each (as docker-compose.yml and the bench run
# it): threads let a process overlap requests waiting on PostgreSQL, and more of them, or
# more single-threaded processes than cores, cost more CPU per request in GIL hand-offs
# and context switches. Measured for the webhook on 2 cores (bench/README.md "Session
# 12"): 3x2 and 2x2 1.6-1.8 gunicorn CPU ms per delivery, 2x4 2.0, 4x1 2.3.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 2)
# The listen backlog stays gunicorn's 2,048 (the kernel caps it at net.core.somaxconn):
# the bench's 64 keep-alive clients never filled it (ListenOverflows 0).
# gthread keeps connections alive; `sync` measured slower behind keep-alive clients
# (bench/README.md). GUNICORN_WORKER_CLASS is there to compare.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gthread"
timeout = 30
graceful_timeout = 20
# Access lines come from RequestIdMiddleware as JSON without query strings; gunicorn's
# own would repeat them with the query string (which may hold personal data).
accesslog = None
# gunicorn's own lines as JSON on stdout too, like the application's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "immigration.logging.JsonFormatter"}},
    # Redacted like the application's lines: an error about a bad request may quote it.
    "filters": {"redact": {"()": "immigration.logging.RedactPersonalDataFilter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        # gunicorn writes access lines whenever a logging config is given, accesslog or
        # not; they carry query strings (which may hold personal data): drop them.
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
