"""Settings for every environment, read from environment variables (see README "Configuration").

The defaults are the embedded profile: SQLite and a local Temporal dev server under ``OMS_DATA_DIR``.
``oms_project.settings_production`` tightens them for a real deployment.
"""

from datetime import timedelta
from pathlib import Path

import environ

from oms_project.email_config import email_settings
from oms_project.logging_config import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("OMS_DATA_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-embedded-development-key-change-me-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "backoffice.apps.BackofficeAdminConfig",  # django.contrib.admin with the back office's home page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",  # failed sign-ins and lockouts (customers.limits)
    "easy_thumbnails",
    "oms_project",
    "catalog",
    "customers",
    "partners",
    "payments",
    "sagas",
    "carts",
    "orders",
    "vouchers",
    "returns",
    "webhooks",
    "notifications",
    "reports",
    "backoffice",
]

MIDDLEWARE = [
    # First, so the request id and the request metrics cover everything below (docs/observability.md).
    "oms_project.observability.RequestContextMiddleware",
    "oms_project.middleware.RejectNulInPathMiddleware",
    "oms_project.api.DatabaseUnavailableMiddleware",  # 503 + Retry-After when PostgreSQL refuses connections
    "django.middleware.security.SecurityMiddleware",
    "oms_project.security.SecurityHeadersMiddleware",  # CSP; no-store on the API (docs/security.md)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a sign-in refused because of a lockout into the page that says so (customers.views.locked_out).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oms_project.urls"
WSGI_APPLICATION = "oms_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carts.context_processors.cart_item_count",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
# SQLite (WAL, immediate transactions) by default; PostgreSQL through DATABASE_URL=postgres://...
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'oms.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
        }
    )
else:
    # A psycopg pool per process by default: the process never holds more than max_size connections, whatever
    # its threads or activity slots, so the sum over processes can be kept under max_connections (the budget:
    # docs/observability.md "Database connections"). A thread waits up to the timeout for a free connection,
    # then the request answers 503 (oms_project.api.database_unavailable).
    if env.bool("DATABASE_POOL", default=True):
        _pool_timeout = env.float("DATABASE_POOL_TIMEOUT_SECONDS", default=10)
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=20),
            "timeout": _pool_timeout,
            # A connection attempt backs off exponentially while the server is down; giving it up after this
            # long lets the next request start afresh, so a restarted server is used within seconds, not after
            # the backoff grew to a minute.
            "reconnect_timeout": _pool_timeout,
            # psycopg closes at most ONE idle connection per max_idle period (default 600 s): a pool that grew to
            # 20 in a burst took over three hours to shrink back (issue #19). At 60 s it is back to min_size
            # within max_size minutes of the burst; a connection costs a few ms to open again.
            "max_idle": env.float("DATABASE_POOL_MAX_IDLE_SECONDS", default=60),
        }
        # A connection broken by a server restart is replaced, not handed out; the check looks at the socket, not
        # at the server (no round trip per checkout: oms_project.postgresql.base).
        _db["CONN_HEALTH_CHECKS"] = True
        if _db["ENGINE"] == "django.db.backends.postgresql":
            _db["ENGINE"] = "oms_project.postgresql"
    else:
        _db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        _db["CONN_HEALTH_CHECKS"] = True
    # Server-side parameters and prepared statements: psycopg prepares a query the second time a connection runs
    # it, so PostgreSQL parses and plans the hot queries once per connection, not per run (issue #19: PostgreSQL's
    # CPU per order -40%, the whole order -11%; docs/benchmarks.md). Off behind a pooler that cannot carry
    # prepared statements across transactions (PgBouncer before 1.21 in transaction mode): docs/observability.md.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        _db.setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 2})
    # Each test run gets its own database so two runs on one machine never collide.
    _db["TEST"] = {"NAME": env.str("DATABASE_TEST_NAME", default=None)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://oms")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The lockout check first: it refuses a locked account or address before any password is checked. Then sign-in
# with the e-mail address (any case) or, for older accounts, the username (customers/backends.py).
AUTHENTICATION_BACKENDS = ["customers.limits.LoginLockoutBackend", "customers.backends.EmailOrUsernameBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# --- E-mail (docs/notifications.md) ------------------------------------------------------------------------
# EMAIL_URL picks the server: smtp://host:port, smtp+tls://user:password@host:587, consolemail://, or
# filemail:///path. The embedded default writes one file per mail to var/mail/; production requires SMTP.
EMAIL_URL = env.str("EMAIL_URL", default=f"filemail://{DATA_DIR / 'mail'}")
globals().update(email_settings(EMAIL_URL, base_dir=BASE_DIR))
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT_SECONDS", default=30)  # one SMTP conversation
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="shop@oms.localhost")
# Customer e-mails: the retry schedule of one e-mail (backoff while the mail server is away, then "failed"), and
# the shop's public address that links in e-mails start with.
EMAIL_RETRY_INITIAL_INTERVAL = timedelta(seconds=env.float("EMAIL_RETRY_INITIAL_SECONDS", default=5))
EMAIL_RETRY_BACKOFF = env.float("EMAIL_RETRY_BACKOFF", default=2.0)
EMAIL_RETRY_MAX_INTERVAL = timedelta(seconds=env.float("EMAIL_RETRY_MAX_INTERVAL_SECONDS", default=600))
EMAIL_GIVE_UP_AFTER = timedelta(hours=env.float("EMAIL_GIVE_UP_AFTER_HOURS", default=72))
# The order's e-mail dispatch tries each e-mail once itself, with this SMTP timeout (and within this many seconds
# of the dispatch's start), before handing it to a retrying EmailWorkflow (ADR 0142); 0 hands every e-mail over.
EMAIL_FIRST_ATTEMPT_TIMEOUT = env.float("EMAIL_FIRST_ATTEMPT_TIMEOUT_SECONDS", default=10)
SITE_URL = env.str("OMS_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Files browsers ask for at the site root (/favicon.ico), served by WhiteNoise like the static files.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

# --- Uploaded media: product images (docs/catalog.md "Product images") -----------------------------------------
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
# The embedded run serves MEDIA_ROOT itself; behind a web server or CDN that serves it, turn this off.
SERVE_MEDIA = env.bool("OMS_SERVE_MEDIA", default=True)
# Uploads larger than this are refused (admin and import_catalog), and so are pictures of more pixels.
PRODUCT_IMAGE_MAX_BYTES = env.int("PRODUCT_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
PRODUCT_IMAGE_MAX_PIXELS = 40_000_000
# Thumbnails (easy-thumbnails): made once on first use, stored next to the original, reused afterwards.
THUMBNAIL_ALIASES = {
    "": {
        "card": {"size": (480, 480), "crop": "smart", "quality": 85},
        "detail": {"size": (960, 960), "crop": False, "quality": 88},
        "admin": {"size": (120, 120), "crop": "smart", "quality": 80},
    }
}
THUMBNAIL_PRESERVE_EXTENSIONS = ("png",)
THUMBNAIL_BASEDIR = "thumbs"

# --- Partner API ----------------------------------------------------------------------------------------
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["partners.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["partners.permissions.HasValidApiKey"],
    "DEFAULT_THROTTLE_CLASSES": ["partners.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": API_RATE_LIMIT},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["oms_project.parsers.JSONParser"],  # with a nesting limit
    "DEFAULT_PAGINATION_CLASS": "oms_project.api.CursorPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "oms_project.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
API_DESCRIPTION = """Carts, orders, fulfilment, webhooks and reports for partners.

**[Partner guide](/api/guide/)** (conventions, a `curl` example for every route, webhook signature verification
code in Python): served at `/api/guide/`, and `docs/api.md` in the OMS repository.

- **Authentication**: `Authorization: Api-Key <key>` (401 without a valid key; 403 without the route's scope:
  `orders` or `fulfilment`). Use *Authorize* above to try the routes here.
- **Errors**: every 4xx is `{"code", "message", "field", "errors"}`; `code` is stable and machine-readable.
- **Idempotency**: `POST /orders/` and `POST /carts/{id}/checkout/` need an `Idempotency-Key` header; a retry with
  the same key and body replays the first answer.
- **Orders are processed asynchronously**: a 201 order becomes `confirmed` or `failed` within seconds (webhooks
  `order.confirmed` / `order.failed`). Stock is reserved then, so an order for more than is available is accepted
  and ends `failed` with `insufficient_stock`, while a cart refuses the item at once (409).
- **Webhooks** are signed: `OMS-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` with the endpoint's secret.
"""
SPECTACULAR_SETTINGS = {
    "TITLE": "OMS partner API",
    "DESCRIPTION": API_DESCRIPTION,
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets come from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The ApiKeyAuth security scheme comes from partners.authentication.ApiKeyAuthenticationScheme.
    "ENUM_NAME_OVERRIDES": {"WebhookEventTypeEnum": "webhooks.domain.EVENT_TYPES"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=DEBUG)
# Webhook deliveries: one HTTP attempt's timeout and the retry schedule (backoff for hours, then give up).
WEBHOOK_TIMEOUT = timedelta(seconds=env.float("WEBHOOK_TIMEOUT_SECONDS", default=5))
WEBHOOK_RETRY_INITIAL_INTERVAL = timedelta(seconds=env.float("WEBHOOK_RETRY_INITIAL_SECONDS", default=10))
WEBHOOK_RETRY_BACKOFF = env.float("WEBHOOK_RETRY_BACKOFF", default=2.0)
WEBHOOK_RETRY_MAX_INTERVAL = timedelta(seconds=env.float("WEBHOOK_RETRY_MAX_INTERVAL_SECONDS", default=3600))
WEBHOOK_GIVE_UP_AFTER = timedelta(hours=env.float("WEBHOOK_GIVE_UP_AFTER_HOURS", default=24))
# One partner cannot crowd out the others (docs/webhooks.md "Limits and fairness", ADR 0054): endpoints per
# partner, and concurrent attempts per partner in one worker process (an attempt without a slot waits this long).
WEBHOOK_MAX_ENDPOINTS_PER_PARTNER = env.int("WEBHOOK_MAX_ENDPOINTS_PER_PARTNER", default=10)
WEBHOOK_PARTNER_CONCURRENCY = env.int("WEBHOOK_PARTNER_CONCURRENCY", default=4)
WEBHOOK_PARTNER_BUSY_RETRY = timedelta(seconds=env.float("WEBHOOK_PARTNER_BUSY_RETRY_SECONDS", default=2))

# --- Guessed passwords and floods (docs/security.md "Guessed passwords and floods") ---------------------------
# Failed sign-ins (storefront and admin) lock the account after LOGIN_FAILURE_LIMIT and the client address after
# LOGIN_ADDRESS_FAILURE_LIMIT, until LOGIN_LOCKOUT_MINUTES pass without another try; a success clears the account.
AXES_ENABLED = env.bool("LOGIN_LOCKOUT_ENABLED", default=True)
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=50)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks (customers.limits.LoginAttemptHandler)
AXES_HANDLER = "customers.limits.LoginAttemptHandler"
AXES_USERNAME_CALLABLE = "customers.limits.attempted_username"
AXES_CLIENT_IP_CALLABLE = "oms_project.security.client_ip"
AXES_LOCKOUT_CALLABLE = "customers.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner on every command's stderr; user names and addresses stay masked in logs
# Password-reset mails per account, and reset requests per client address ("<count>/<second|minute|hour|day>").
PASSWORD_RESET_RATE_LIMIT = env.str("PASSWORD_RESET_RATE_LIMIT", default="3/hour")
PASSWORD_RESET_ADDRESS_RATE_LIMIT = env.str("PASSWORD_RESET_ADDRESS_RATE_LIMIT", default="20/hour")
# Proxies in front of the web process that append the client's address to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Response headers (docs/security.md) ------------------------------------------------------------------
# Scripts only from this origin (no inline script anywhere, /api/docs/ included); inline styles stay allowed for
# the catalog's per-product colour attribute and the styles htmx and Swagger UI inject.
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)
# Answers that carry personal data (API, account and guest order pages, cart, checkout, decrypted Temporal
# payloads): Cache-Control: no-store
NO_STORE_PATH_PREFIXES = ["/api/", "/account/", "/order/", "/cart/", "/checkout/", "/temporal-codec/"]

# --- Temporal -------------------------------------------------------------------------------------------
TEMPORAL_ADDRESS = env.str("TEMPORAL_ADDRESS", default="")  # empty: the embedded launcher starts a dev server
TEMPORAL_EMBEDDED_ADDRESS = env.str("TEMPORAL_EMBEDDED_ADDRESS", default="127.0.0.1:7233")
TEMPORAL_UI_URL = env.str("TEMPORAL_UI_URL", default="http://127.0.0.1:8233")
TEMPORAL_NAMESPACE = env.str("TEMPORAL_NAMESPACE", default="default")
TEMPORAL_API_KEY = env.str("TEMPORAL_API_KEY", default="")
TEMPORAL_TLS = env.bool("TEMPORAL_TLS", default=bool(TEMPORAL_API_KEY))
TEMPORAL_TLS_CLIENT_CERT = env.str("TEMPORAL_TLS_CLIENT_CERT", default="")  # path to a PEM file
TEMPORAL_TLS_CLIENT_KEY = env.str("TEMPORAL_TLS_CLIENT_KEY", default="")
TEMPORAL_TLS_SERVER_CA = env.str("TEMPORAL_TLS_SERVER_CA", default="")
# Payload encryption (oms_project.payload_codec): "<key id>:<32 bytes url-safe base64>", first one encrypts, any
# decrypts. Empty: payloads are stored in clear (embedded profile only; the production profile requires keys).
TEMPORAL_PAYLOAD_KEYS = env.list("TEMPORAL_PAYLOAD_KEYS", default=[])
TEMPORAL_RPC_TIMEOUT = timedelta(seconds=env.float("TEMPORAL_RPC_TIMEOUT_SECONDS", default=10))
CART_TASK_QUEUE = env.str("CART_TASK_QUEUE", default="CART_TASK_QUEUE")
ORDER_TASK_QUEUE = env.str("ORDER_TASK_QUEUE", default="ORDER_TASK_QUEUE")
# Webhook deliveries run on their own queue (own slots and threads): a slow receiver never delays an order.
WEBHOOK_TASK_QUEUE = env.str("WEBHOOK_TASK_QUEUE", default="WEBHOOK_TASK_QUEUE")
EMAIL_TASK_QUEUE = env.str("EMAIL_TASK_QUEUE", default="EMAIL_TASK_QUEUE")  # customer e-mails (docs/notifications.md)
WORKER_MAX_CONCURRENT_ACTIVITIES = env.int("WORKER_MAX_CONCURRENT_ACTIVITIES", default=32)
WORKER_MAX_CONCURRENT_WORKFLOW_TASKS = env.int("WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", default=32)
WORKER_GRACEFUL_SHUTDOWN = timedelta(seconds=env.float("WORKER_GRACEFUL_SHUTDOWN_SECONDS", default=10))
# "unsandboxed" skips the workflow sandbox (workflow modules are pure; measured in docs/benchmarks.md).
WORKER_WORKFLOW_RUNNER = env.str("WORKER_WORKFLOW_RUNNER", default="sandboxed")
WORKER_STICKY_TIMEOUT = timedelta(seconds=env.float("WORKER_STICKY_TIMEOUT_SECONDS", default=3))
# Workflows kept in memory per task queue of a worker process (the SDK default is 1,000). Orders wait for days, so
# the cache fills at any steady load and then each new workflow evicts the least recently used one whatever the
# size: the size bounds the worker's memory, not its CPU (docs/benchmarks.md "Growth over time").
WORKER_MAX_CACHED_WORKFLOWS = env.int("WORKER_MAX_CACHED_WORKFLOWS", default=500)

# --- Business settings ----------------------------------------------------------------------------------
DEFAULT_CURRENCY = env.str("OMS_DEFAULT_CURRENCY", default="EUR")
CART_GUEST_IDLE_TIMEOUT = timedelta(hours=env.float("CART_GUEST_IDLE_HOURS", default=24))
CART_CUSTOMER_IDLE_TIMEOUT = timedelta(days=env.float("CART_CUSTOMER_IDLE_DAYS", default=30))
# A cart workflow continues as new once its history holds this many events (or earlier, when Temporal suggests).
CART_MAX_HISTORY_EVENTS = env.int("CART_MAX_HISTORY_EVENTS", default=5000)
PAYMENT_AUTHORIZATION_TTL = timedelta(days=env.float("PAYMENT_AUTHORIZATION_TTL_DAYS", default=7))
# Order SLA per status (docs/orders.md "Deadlines and SLA"): an order still in the status after this is flagged.
ORDER_SLA_CONFIRMED_HOURS = env.float("ORDER_SLA_CONFIRMED_HOURS", default=48)  # confirmed -> shipped
ORDER_SLA_SHIPPED_HOURS = env.float("ORDER_SLA_SHIPPED_HOURS", default=120)  # shipped -> delivered
# How long a request waits for an order action (cancel, ship, a delivery event or change) before it answers 202
# with ``pending_action`` and the order process finishes the action by itself (API.md "Long-running actions").
ORDER_ACTION_ANSWER_SECONDS = env.float("ORDER_ACTION_ANSWER_SECONDS", default=5)
# Returns (docs/returns.md): a delivered order's units may be returned for this many days after delivery; an
# approved return whose parcel has not arrived after RETURN_RECEIVE_DAYS expires (a timer in its workflow).
RETURN_WINDOW_DAYS = env.float("RETURN_WINDOW_DAYS", default=30)
RETURN_RECEIVE_DAYS = env.float("RETURN_RECEIVE_DAYS", default=14)
STOCK_LOW_THRESHOLD = env.int("STOCK_LOW_THRESHOLD", default=5)  # admin "low stock" filter: available <= this

# --- Demo data set (manage.py seed_demo, run by the embedded launcher) --------------------------------------
# Fixed, documented defaults (also in oms_project.demo.DEMO_DEFAULTS) so the embedded run can always print working
# credentials; seed_demo refuses them when DEBUG is off.
DEMO_ADMIN_PASSWORD = env.str("OMS_DEMO_ADMIN_PASSWORD", default="admin")
DEMO_CUSTOMER_PASSWORD = env.str("OMS_DEMO_CUSTOMER_PASSWORD", default="customer")
DEMO_API_KEY = env.str("OMS_DEMO_API_KEY", default="oms_000000000001_demo-key-for-local-use-only")
# Orders (docs/orders.md "Totals"): amounts are in the order's currency and rounded by oms_project.money.quantize.
ORDER_TAX_RATE = env.str("ORDER_TAX_RATE", default="0")  # catalog prices are tax-inclusive by default
ORDER_SHIPPING_FEE = env.str("ORDER_SHIPPING_FEE", default="4.90")
ORDER_URGENT_SHIPPING_FEE = env.str("ORDER_URGENT_SHIPPING_FEE", default="9.90")
ORDER_FREE_SHIPPING_THRESHOLD = env.str("ORDER_FREE_SHIPPING_THRESHOLD", default="50.00")  # "" disables
# Order numbers are an HMAC of the caller's idempotency key (or the cart id) under this secret, so they cannot be
# predicted from one another; empty: derived from DJANGO_SECRET_KEY. Rotating it changes the number a retry of a
# not yet finished placement would get (see docs/orders.md "Order numbers").
ORDER_NUMBER_KEY = env.str("ORDER_NUMBER_KEY", default="")
ORDER_IDEMPOTENCY_TTL = timedelta(hours=env.float("ORDER_IDEMPOTENCY_TTL_HOURS", default=24))
# A request that claimed a key and then vanished (process killed) blocks its key for this long, then a retry
# with the same body takes it over and finishes the same order.
ORDER_IDEMPOTENCY_STALE_AFTER = timedelta(seconds=env.float("ORDER_IDEMPOTENCY_STALE_SECONDS", default=60))

# --- Retention (oms_project.retention; docs/operations in docs/observability.md "Retention"; ADR 0140) -------
# Rows older than these are deleted by the ``retention-purge`` Temporal Schedule; 0 keeps them forever.
RETENTION_ENABLED = env.bool("RETENTION_ENABLED", default=True)  # off: run_workers does not create the schedule
RETENTION_INTERVAL = timedelta(minutes=env.float("RETENTION_INTERVAL_MINUTES", default=60))
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=500)  # rows per DELETE (one short transaction)
# Idempotency records, counted from their creation; never less than ORDER_IDEMPOTENCY_TTL (the key's window).
IDEMPOTENCY_RETENTION = timedelta(hours=env.float("IDEMPOTENCY_RETENTION_HOURS", default=48))
# Webhook events (with their deliveries and attempts) none of whose deliveries is still pending or retrying.
WEBHOOK_EVENT_RETENTION = timedelta(days=env.float("WEBHOOK_EVENT_RETENTION_DAYS", default=30))
# Carts checked out, expired or merged, counted from their last change; an open cart is never deleted.
CLOSED_CART_RETENTION = timedelta(days=env.float("CLOSED_CART_RETENTION_DAYS", default=30))
DELIVERY_PROVIDER = env.str("DELIVERY_PROVIDER", default="orders.delivery.SandboxDeliveryProvider")
# Dotted path of the payment provider class (payments.providers.PaymentProvider); the sandbox PSP by default.
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="payments.sandbox.SandboxProvider")
SANDBOX_SLOW_SECONDS = env.float("SANDBOX_SLOW_SECONDS", default=3)  # how long pm_card_slow takes to answer
SANDBOX_FLAKY_FAILURES = env.int("SANDBOX_FLAKY_FAILURES", default=2)  # transient failures of pm_card_flaky

# --- Observability (docs/observability.md) ----------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")  # plain | json (the production profile defaults to json)
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# Temporal SDK metrics of a run_workers process: a Prometheus endpoint on this host:port ("" = off).
WORKER_METRICS_ADDRESS = env.str("WORKER_METRICS_ADDRESS", default="")
# /metrics reads task-queue backlogs from Temporal at most this often, waiting at most this long.
TEMPORAL_METRICS_CACHE_SECONDS = env.float("TEMPORAL_METRICS_CACHE_SECONDS", default=10)
TEMPORAL_METRICS_TIMEOUT_SECONDS = env.float("TEMPORAL_METRICS_TIMEOUT_SECONDS", default=1)
# OpenTelemetry tracing: off unless OTEL_ENABLED; console or OTLP/HTTP (endpoint without /v1/traces).
OTEL_ENABLED = env.bool("OTEL_ENABLED", default=False)
OTEL_EXPORTER = env.str("OTEL_EXPORTER", default="console")  # console | otlp
OTEL_EXPORTER_OTLP_ENDPOINT = env.str("OTEL_EXPORTER_OTLP_ENDPOINT", default="http://127.0.0.1:4318")
OTEL_SERVICE_NAME = env.str("OTEL_SERVICE_NAME", default="oms")

LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
