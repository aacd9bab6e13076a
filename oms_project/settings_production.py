"""Production profile: ``DJANGO_SETTINGS_MODULE=oms_project.settings_production``.

Same environment variables as the embedded profile, but secrets and hosts are required (a missing one stops the
process with a one-line error), DEBUG is off, and cookies, HSTS and redirects assume HTTPS behind a proxy.
Passes ``manage.py check --deploy --fail-level WARNING``.
"""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_TARGETS", "false")
os.environ.setdefault("OMS_SERVE_MEDIA", "false")  # the web server or CDN in front serves MEDIA_ROOT
os.environ.setdefault("LOG_FORMAT", "json")  # one JSON object per line for log shippers

from oms_project.email_config import email_settings, require_mail_server
from oms_project.settings import *  # noqa: F403
from oms_project.settings import BASE_DIR, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # required: no default in production
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")  # required
# Required: the Temporal server must never hold customers' data in clear (docs/security.md).
TEMPORAL_PAYLOAD_KEYS = [entry for entry in env.list("TEMPORAL_PAYLOAD_KEYS", default=[]) if entry.strip()]
if not TEMPORAL_PAYLOAD_KEYS:
    raise ImproperlyConfigured(
        "Set TEMPORAL_PAYLOAD_KEYS: the production profile encrypts every Temporal payload (make a key with "
        "DJANGO_SETTINGS_MODULE=oms_project.settings manage.py new_payload_key)."
    )
# Required, and a real mail server: console or file mail would put reset links into the logs (issue #20).
EMAIL_URL = env.str("EMAIL_URL")
_email = email_settings(EMAIL_URL, base_dir=BASE_DIR)
require_mail_server(_email)
globals().update(_email)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers probe these over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
