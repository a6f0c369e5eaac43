"""Settings for Antrean, read from the environment (twelve-factor, django-environ).

One module for every deployment: the environment decides. The variable names are a
contract with deployments and the test run; `.env.example` documents each one. A `.env`
file beside `manage.py` is read when present, but real environment variables win.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from immigration import localdb
from immigration.object_storage import s3_evidence_storage

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-local-development-only")
else:
    # A production process with a guessable key could have its sessions and signed
    # tokens forged, so it refuses to start instead of falling back to a default.
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(DJANGO_SECRET_KEY wajib diisi bila DJANGO_DEBUG mati)."
        )

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The site's address as applicants type it, for links in WhatsApp messages (a reply has
# no request to take it from). Default: https:// and the first allowed host.
PUBLIC_BASE_URL = env(
    "PUBLIC_BASE_URL",
    default=next((f"https://{h}" for h in ALLOWED_HOSTS if h and not h.startswith((".", "*"))), ""),
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework_api_key",
    "csp",
    "axes",
    # The project package is an app too: it holds the management commands, tasks and
    # templates that every app shares.
    "immigration",
    "offices",
    "bookings",
    "notifications",
    "complaints",
    "waitlist",
    "release",
]

MIDDLEWARE = [
    "immigration.middleware.RequestIdMiddleware",
    # A request that meets a dead database answers 503, never 500 (see the module).
    "immigration.db_outage.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # django-csp's, with the policy built once (immigration/csp.py says why).
    "immigration.csp.CSPMiddleware",
    "immigration.api_middleware.ApiErrorShapeMiddleware",
    # The WhatsApp webhook's signed deliveries, stored and answered here, before
    # sessions, DRF and URL resolution (notifications/webhook.py says why).
    "notifications.webhook.WhatsAppWebhookMiddleware",
    # A booking for a day this process just found sold out is refused here, before
    # sessions, DRF and the database (bookings/soldout.py says why that is safe).
    "bookings.soldout.SoldOutMiddleware",
    # The calendar's repeats served from memory for a moment (offices/calendar_cache.py).
    "offices.calendar_cache.CalendarCacheMiddleware",
    # The booking page's repeats served from the cache with the caller's own CSRF token
    # and language, before sessions and the rest (bookings/page_cache.py).
    "bookings.page_cache.BookingPageCacheMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "immigration.urls"
WSGI_APPLICATION = "immigration.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------
# PostgreSQL everywhere. Unset: the cluster `make run` keeps in .postgres/ (through its
# unix socket; immigration/localdb.py), so a second terminal's manage.py reaches it.
DATABASES = {"default": env.db("DATABASE_URL", default=localdb.url())}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind a pooler in transaction mode (PgBouncer, docs/scaling.md) a connection belongs
# to us only inside a transaction: no server-side cursors (QuerySet.iterator() outside
# a transaction would lose its cursor). The code's other session-bound features are
# already transaction-scoped: advisory locks are pg_advisory_xact_lock and lock_timeout
# is SET LOCAL (immigration/locks.py), and psycopg's client-side binding prepares no
# statements.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DATABASE_TRANSACTION_POOLING", default=False
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache -------------------------------------------------
# Unset means "no server": tasks run eagerly in-process and the cache is local memory,
# which is what `make run` needs on a machine with nothing installed.
REDIS_URL = env("REDIS_URL", default="") or None

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "immigration.cache.RedisCache",  # a kept client; hit() in one trip
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "antrean",
            "TIMEOUT": 300,
            # A Redis that hangs must not hang a request: rate limits fail open after this.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery (read by immigration/celery.py with the CELERY_ namespace) -------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
# A task that outlives these is stuck on a dead provider; the outbox sweep re-sends.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=50)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60)
# Acknowledge after the work, so a worker killed mid-task leaves the message queued.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task unless told
# to reuse it: each confirmation then paid for a new PostgreSQL backend (~13 ms of
# PostgreSQL CPU, #19). The worker keeps its connection as a web process does; it is
# still health-checked and recycled after CONN_MAX_AGE (immigration/celery.py).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1_000_000)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up quickly when Redis is down: a request that booked must not hang
# on it, and the outbox sweep sends what could not be queued.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = "UTC"

# --- Booking rules (policy; each can be tuned per deployment) -----------------------
# One request books at most this many people (a family) from one phone.
# The office calendar (availability API) is served from the cache this long: the
# moment a day is released everyone reloads it. 0 turns the cache off.
AVAILABILITY_CACHE_SECONDS = env.int("AVAILABILITY_CACHE_SECONDS", default=2)
BOOKING_FAMILY_MAX = env.int("BOOKING_FAMILY_MAX", default=5)
# Anti-calo: upcoming bookings one phone number may hold at once.
BOOKING_PHONE_MAX_ACTIVE = env.int("BOOKING_PHONE_MAX_ACTIVE", default=5)
# Anti-calo: this many no-shows within the window block new bookings for a while.
BOOKING_NO_SHOW_LIMIT = env.int("BOOKING_NO_SHOW_LIMIT", default=2)
BOOKING_NO_SHOW_WINDOW_DAYS = env.int("BOOKING_NO_SHOW_WINDOW_DAYS", default=60)
BOOKING_NO_SHOW_BLOCK_DAYS = env.int("BOOKING_NO_SHOW_BLOCK_DAYS", default=30)
# Come this many minutes before the slot; forfeited this many minutes after it starts.
BOOKING_ARRIVE_BEFORE_MINUTES = env.int("BOOKING_ARRIVE_BEFORE_MINUTES", default=30)
BOOKING_LATE_AFTER_MINUTES = env.int("BOOKING_LATE_AFTER_MINUTES", default=30)
# The door accepts a booking from this many minutes before its slot.
BOOKING_CHECK_IN_OPENS_MINUTES = env.int("BOOKING_CHECK_IN_OPENS_MINUTES", default=120)
# Priority walk-in tickets are issued during opening hours, and from this many minutes
# before opening (people come early and wait inside), never at night.
PRIORITY_TICKET_OPENS_BEFORE_MINUTES = env.int("PRIORITY_TICKET_OPENS_BEFORE_MINUTES", default=60)
# The day-before reminder goes out from this hour, office time.
BOOKING_REMINDER_HOUR = env.int("BOOKING_REMINDER_HOUR", default=9)
# How often a booking may be moved to another day (M-Paspor allows once).
BOOKING_RESCHEDULE_MAX = env.int("BOOKING_RESCHEDULE_MAX", default=1)
# A booking made on the web or the public API with a typed phone is a hold until it is
# confirmed by WhatsApp from that number, for at most this many minutes.
BOOKING_HOLD_MINUTES = env.int("BOOKING_HOLD_MINUTES", default=15)
# Live holds one client (a network: an IPv4 address or an IPv6 /64; an API key) may have.
BOOKING_HOLD_CLIENT_MAX = env.int("BOOKING_HOLD_CLIENT_MAX", default=10)
# Release by draw (release/): how long before a draw's window opens its commitment (the
# SHA-256 of the secret seed) is created and published.
RELEASE_COMMIT_AHEAD_HOURS = env.int("RELEASE_COMMIT_AHEAD_HOURS", default=48)
# Seconds a draw's public page data and JSON stay cached; a change of the draw's state
# (the draw made) is read at once whatever this is (the state is in the cache key).
DRAW_PAGE_CACHE_SECONDS = env.int("DRAW_PAGE_CACHE_SECONDS", default=24 * 3600)
# Asked by the booking allocation's day check: whether a day is given out by a draw.
BOOKING_RELEASE_GATE = "release.services.first_come_refusal"
# The calendar asks which days a draw holds (offices imports no app above it).
AVAILABILITY_DRAW_HOOK = "release.services.draw_holds"
# Apps that answer some WhatsApp messages before the booking conversation does.
BOOKING_CONVERSATION_HOOKS = ["release.whatsapp.reply"]
# Seconds a transaction waits for a lock (another booking of the same phone, person or
# day; a row being changed) before answering 503 `busy`, "please try again"
# (immigration/locks.py). A stuck transaction then cannot hang every worker behind it.
LOCK_TIMEOUT_SECONDS = env.float("LOCK_TIMEOUT_SECONDS", default=5)
# Wrong birth dates for one booking code in an hour: from one client (address, API key,
# WhatsApp number), and from everyone together (bookings.services.booking_for_applicant).
BIRTH_DATE_GUESSES_PER_CLIENT = env.int("BIRTH_DATE_GUESSES_PER_CLIENT", default=10)
BIRTH_DATE_GUESSES_PER_CODE = env.int("BIRTH_DATE_GUESSES_PER_CODE", default=50)
# How long a web process refuses a day it found sold out without asking the database
# again (bookings/soldout.py); 0 turns the shortcut off.
BOOKING_SOLD_OUT_SECONDS = env.float("BOOKING_SOLD_OUT_SECONDS", default=1.0)

# --- Waiting lists (waitlist/) -------------------------------------------------------
# How long freed places offered to the next request on a day's waiting list are held
# for its `YA`; shorter as the day nears (never past the day's booking cut-off).
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=120)
# The shortest an offer is ever held (the day's cut-off still wins over it).
WAITLIST_OFFER_MIN_MINUTES = env.int("WAITLIST_OFFER_MIN_MINUTES", default=20)
# Places freed anywhere in bookings are handed to this function after commit (as
# WHATSAPP_INBOUND_HANDLER is named), so bookings needs no import of the app above it.
PLACES_FREED_HANDLER = env("PLACES_FREED_HANDLER", default="waitlist.tasks.enqueue_places_freed")

# --- Personal data retention (daily jobs; counts stay, names and numbers go) ------------
# Applicants' personal data is erased this many days after the day of the visit. A
# year lets staff answer questions about last year's visits and complaints that cite
# a booking; it must cover BOOKING_NO_SHOW_WINDOW_DAYS (checked at startup), since
# the no-show rule recognises a person by the name and birth date of past bookings.
BOOKING_RETENTION_DAYS = env.int("BOOKING_RETENTION_DAYS", default=365)
# WhatsApp messages (both ways) and remembered numbers are erased after this many days.
# A conversation matters while its booking is alive (booked up to 30 days ahead, then
# the visit and the passport's collection) and while a complaint about it may still be
# filed and triaged; 90 days covers that, and a message is only ever a copy: what was
# booked lives on the booking.
MESSAGE_RETENTION_DAYS = env.int("MESSAGE_RETENTION_DAYS", default=90)
# Reporters' contact details are erased this many days after their case closed.
COMPLAINT_CONTACT_RETENTION_DAYS = env.int("COMPLAINT_CONTACT_RETENTION_DAYS", default=90)
if BOOKING_RETENTION_DAYS < BOOKING_NO_SHOW_WINDOW_DAYS:
    raise ImproperlyConfigured(
        "BOOKING_RETENTION_DAYS must be at least BOOKING_NO_SHOW_WINDOW_DAYS "
        "(BOOKING_RETENTION_DAYS minimal sebesar BOOKING_NO_SHOW_WINDOW_DAYS)."
    )
if min(MESSAGE_RETENTION_DAYS, COMPLAINT_CONTACT_RETENTION_DAYS) < 1:
    raise ImproperlyConfigured(
        "MESSAGE_RETENTION_DAYS and COMPLAINT_CONTACT_RETENTION_DAYS must be at least 1 "
        "(MESSAGE_RETENTION_DAYS dan COMPLAINT_CONTACT_RETENTION_DAYS minimal 1)."
    )

# --- WhatsApp ------------------------------------------------------------------------
WHATSAPP_BACKEND = env("WHATSAPP_BACKEND", default="notifications.backends.console.ConsoleBackend")
# Inbound texts are handed to this function (as Django does with ROOT_URLCONF), so the
# notifications app needs no import of the apps above it.
# The waiting list's commands first (waitlist/whatsapp.py), then complaints', then bookings'.
WHATSAPP_INBOUND_HANDLER = "waitlist.whatsapp.handle_message"
# The message admins show each time in the zone of the message's office, with its label
# (WIB, WITA, WIT), through this function, for the same reason.
WHATSAPP_MESSAGE_TIMES = "offices.localtime.whatsapp_message_times"
# Per sender: this many messages in the window; one polite answer, then silence.
WHATSAPP_SENDER_LIMIT = env.int("WHATSAPP_SENDER_LIMIT", default=20)
WHATSAPP_SENDER_WINDOW_SECONDS = env.int("WHATSAPP_SENDER_WINDOW_SECONDS", default=600)
# WhatsApp Cloud API (the `cloud` backend and the webhook).
WHATSAPP_APP_SECRET = env("WHATSAPP_APP_SECRET", default="")
WHATSAPP_VERIFY_TOKEN = env("WHATSAPP_VERIFY_TOKEN", default="")
WHATSAPP_ACCESS_TOKEN = env("WHATSAPP_ACCESS_TOKEN", default="")
WHATSAPP_API_VERSION = env("WHATSAPP_API_VERSION", default="v21.0")
WHATSAPP_GRAPH_URL = env("WHATSAPP_GRAPH_URL", default="https://graph.facebook.com")
# The outbox's sender (notifications/services.py). WhatsApp's own limits, paced here
# so the sender never provokes them: messages per second per office number (Cloud API
# default 80, up to 1,000 when upgraded; error 130429), seconds between two messages to
# one user (131056), the share of a number's daily unique-user tier that only urgent
# notices may use (reminders stop first), and the share at which the dashboard warns.
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
# How long the first notice of a burst waits for others before the sender's task starts:
# one task and one claim then carry every notice queued meanwhile (a rush's 100
# confirmations a second go out in batches of ~20 instead of a task each, #19).
OUTBOX_GATHER_SECONDS = env.float("OUTBOX_GATHER_SECONDS", default=0.2)
WHATSAPP_SEND_RATE_PER_SECOND = env.int("WHATSAPP_SEND_RATE_PER_SECOND", default=80)
WHATSAPP_SAME_USER_SECONDS = env.float("WHATSAPP_SAME_USER_SECONDS", default=6.0)
# A number's tier until staff set it (SenderNumber): 250, 2000, 10000 or 100000.
WHATSAPP_DEFAULT_DAILY_UNIQUE_USERS = env.int("WHATSAPP_DEFAULT_DAILY_UNIQUE_USERS", default=250)
WHATSAPP_TIER_URGENT_RESERVE = env.float("WHATSAPP_TIER_URGENT_RESERVE", default=0.2)
WHATSAPP_TIER_WARN_AT = env.float("WHATSAPP_TIER_WARN_AT", default=0.8)
# Inbound messages and status callbacks older than this (by the provider's timestamp)
# are dropped as replays; widen it for a while after an outage longer than this.
WHATSAPP_WEBHOOK_MAX_AGE_SECONDS = env.int("WHATSAPP_WEBHOOK_MAX_AGE_SECONDS", default=300)
# The webhook's deliveries answered in front of Django's handler (immigration/wsgi.py,
# notifications/webhook_wsgi.py); false: by its middleware, as other requests are.
WHATSAPP_WEBHOOK_FAST_PATH = env.bool("WHATSAPP_WEBHOOK_FAST_PATH", default=True)

# --- Auth ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# django-axes refuses logins to an account from an address after too many failures
# there, before the password is even checked. It needs the request in authenticate():
# login forms pass it (the admin's is the only one); a test calling it must too.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# Per username and address together: a guesser is stopped, but cannot lock a colleague
# out from elsewhere, nor does one office's shared address lock every account.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "immigration.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "immigration.lockout.lockout_response"
# No start-up banner in every command's output; failures and lockouts are still logged.
AXES_VERBOSE = False
# Where the admin lives: a path of its own keeps the bulk of scanners away from its login
# form (obscurity only adds to the lockout above, it does not replace it).
ADMIN_URL = (env("DJANGO_ADMIN_URL", default="") or "admin").strip("/") + "/"

# --- Languages and time ------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Instants are stored in UTC; each office renders and books in its own zone. This zone
# is only the default for pages that show no office (most offices are WIB).
TIME_ZONE = "Asia/Jakarta"
USE_TZ = True

# --- Static files (whitenoise serves them: no CDN) -----------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Without a collected tree (make run, tests) whitenoise serves from the finders.
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded evidence is personal data: it lives outside the web root and is only
# streamed to authorised staff by a view, never served by URL.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private")))
# With a bucket named, evidence lives in S3-compatible object storage (MinIO, any S3)
# instead, so web and worker processes can run on several machines. The bucket is
# private (no public policy, objects without ACL grants); files still reach staff only
# through the download view, streamed after its permission check, never by a URL of
# the bucket. Unset (make run, tests by default): the folder above.
EVIDENCE_S3_BUCKET = env("EVIDENCE_S3_BUCKET", default="")
if EVIDENCE_S3_BUCKET:
    STORAGES["evidence"] = s3_evidence_storage(
        bucket=EVIDENCE_S3_BUCKET,
        # Empty: AWS itself; MinIO or another S3-compatible server: its URL.
        endpoint_url=env("EVIDENCE_S3_ENDPOINT_URL", default=""),
        region=env("EVIDENCE_S3_REGION", default=""),
        access_key=env("EVIDENCE_S3_ACCESS_KEY_ID", default=""),
        secret_key=env("EVIDENCE_S3_SECRET_ACCESS_KEY", default=""),
        addressing_style=env("EVIDENCE_S3_ADDRESSING_STYLE", default="path"),
    )
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A complaint carries at most 5 evidence files; nothing else uploads.
DATA_UPLOAD_MAX_NUMBER_FILES = 5
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The largest API request body: a complaint with 5 evidence files of 10 MB and its text.
# Any other API body (JSON) is held to DATA_UPLOAD_MAX_MEMORY_SIZE; larger ones get 413.
API_UPLOAD_MAX_BYTES = env.int("API_UPLOAD_MAX_BYTES", default=5 * 10 * 1024 * 1024 + 1_048_576)

# --- Security ----------------------------------------------------------------------
# Secure by default whenever DEBUG is off; each switch can be turned off by env for a
# deployment behind a proxy that terminates TLS, or for `make stack` on plain HTTP.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe health over plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG
)
# Preloading is hard to undo, so a deployment opts in to it explicitly.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz answers only ok or error to the public; a probe sending
# `Authorization: Bearer <HEALTHZ_TOKEN>` (or staff signed in) sees each part's state.
HEALTHZ_TOKEN = env("HEALTHZ_TOKEN", default="")
# Addresses or networks of the reverse proxies in front of gunicorn. Only a request
# from one of them has its X-Forwarded-For read to find the client's address (page
# limits, API throttles, the login lockout: immigration.ratelimit.client_ip); empty:
# the header is ignored, as anyone can send it.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# A popup opened from our pages (or ours opened from another site) gets no handle on
# the other window.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): nothing runs or styles a page unless it is a
# file of ours, so injected markup cannot run script, load a foreign resource, post a
# form elsewhere or be framed. The pages need no inline script or style (the API docs
# page fetches its start-up script: immigration/api_docs.py). data: images are icons
# drawn inside stylesheets (Swagger UI) and QR codes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    # The API key first: its WWW-Authenticate makes a request without credentials 401
    # (DRF answers 403 when the first class has no such header, as sessions have not).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "offices.access.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Closed by default: a public endpoint says so with its own permission_classes.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Per caller: an API key, a staff user, or a client address (offices/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        # Per caller (key, staff user or address) and per kind of work, counted in one
        # Redis round trip; lets a request through while Redis is down (see
        # immigration/throttling.py).
        "offices.throttling.CallerAndScopeRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # Everything a caller sends: per address, per staff user, per API key.
        "anon": env("API_THROTTLE_ANON", default="30/min"),
        "user": env("API_THROTTLE_USER", default="120/min"),
        "client": env("API_THROTTLE_CLIENT", default="300/min"),
        # Per kind of work, per caller: booking and rescheduling, lookups by code.
        "booking": env("API_THROTTLE_BOOKING", default="10/min"),
        "lookup": env("API_THROTTLE_LOOKUP", default="30/min"),
        # Per gateway key, instead of the key's own rate (one key carries an office's
        # whole WhatsApp traffic).
        "whatsapp": env("API_THROTTLE_WHATSAPP", default="600/min"),
        # Filing complaints and adding to them, per caller.
        "complaint": env("API_THROTTLE_COMPLAINT", default="10/hour"),
    },
    "DEFAULT_SCHEMA_CLASS": "immigration.schema.AutoSchema",
    "EXCEPTION_HANDLER": "immigration.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON in, read strictly (immigration.jsonbody: size limit, no duplicate keys, no
    # NaN, no deep nesting), unless an endpoint that takes files says otherwise
    # (complaints); other bodies are 415.
    "DEFAULT_PARSER_CLASSES": ["immigration.jsonbody.StrictJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Antrean API",
    "DESCRIPTION": (
        "Passport front-desk booking for Indonesian immigration offices: offices and "
        "availability, bookings, WhatsApp intake and complaints."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ComplaintCategoryEnum": "complaints.models.Category.choices",
        "PriorityCategoryEnum": "bookings.models.PriorityCategory.choices",
        "DayStateEnum": "offices.selectors.DAY_STATES",
        "WaitlistRequestStateEnum": "waitlist.models.RequestState.choices",
    },
    # Served by the app itself: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge fetched from swagger.io: the schema's address stays here, and the page
    # loads nothing from outside (the CSP would refuse it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
}

# --- Logging: JSON lines on stdout, with a request id, without personal data --------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "immigration.logging.RequestIdFilter"},
        "redact": {"()": "immigration.logging.RedactPersonalDataFilter"},
    },
    "formatters": {
        "json": {"()": "immigration.logging.JsonFormatter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_id", "redact"],
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The dev server's own request lines carry query strings; ours carry none.
        "django.server": {"level": "WARNING"},
        # pikepdf announces its logger bridge at import (every process); qpdf's warnings
        # about a file being refused still come through.
        "pikepdf": {"level": "WARNING"},
    },
}
