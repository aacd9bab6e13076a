"""Production profile: ``DJANGO_SETTINGS_MODULE=oms_project.settings_production``.

Same environment variables as the embedded profile, but secrets and hosts are required (a missing one stops the
process with a one-line error), DEBUG is off, and cookies, HSTS and redirects assume HTTPS behind a proxy.
Passes ``manage.py check --deploy --fail-level WARNING``.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_TARGETS", "false")
os.environ.setdefault("OMS_SERVE_MEDIA", "false")  # the web server or CDN in front serves MEDIA_ROOT
os.environ.setdefault("LOG_FORMAT", "json")  # one JSON object per line for log shippers

from oms_project.settings import *  # noqa: F403
from oms_project.settings import env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # required: no default in production
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")  # required

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
