"""Django settings, read from environment variables only (see docs/operator-guide.md).

Strict parsers refuse malformed values at start-up with the variable's name, instead of
guessing: ``LIVRET_DEBUG=yes`` is an error, not a truthy string.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    """``True``/``False`` (or 1/0) only; anything else stops start-up with a clear message."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw in ("True", "true", "1"):
        return True
    if raw in ("False", "false", "0"):
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {raw!r}")


def env_int(name: str, default: int) -> int:
    """An integer, or a start-up error naming the variable."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_int_at_least(name: str, default: int, minimum: int, what: str) -> int:
    """An integer of at least ``minimum``; ``what`` names the unit in the start-up error."""
    value = env_int(name, default)
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be {what} ({minimum} or more), not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _data_dir() -> Path:
    """LIVRET_DATA_DIR (default ``./var``), created if missing; a start-up error if it cannot be."""
    path = Path(os.environ.get("LIVRET_DATA_DIR") or "var").resolve()
    if path.exists() and not path.is_dir():
        raise ImproperlyConfigured(f"LIVRET_DATA_DIR {str(path)!r} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"LIVRET_DATA_DIR {str(path)!r} cannot be created ({error.strerror})"
        ) from None
    return path


DATA_DIR = _data_dir()
UPLOADS_DIR = DATA_DIR / "uploads"
BACKUPS_DIR = DATA_DIR / "backups"


def _secret_key() -> str:
    """LIVRET_SECRET_KEY, else a key generated once and kept in the data directory."""
    if os.environ.get("LIVRET_SECRET_KEY"):
        return os.environ["LIVRET_SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("LIVRET_DEBUG", False)
ALLOWED_HOSTS = env_list("LIVRET_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("LIVRET_CSRF_TRUSTED_ORIGINS", [])
# `livret serve` (docs/operator-guide.md): where it listens (its --host/--port options set these
# two for the server and its worker, before the settings are read).
WEB_HOST = (os.environ.get("LIVRET_HOST") or "127.0.0.1").strip()
if not WEB_HOST:
    raise ImproperlyConfigured("LIVRET_HOST must be a host name or address, not empty")
WEB_PORT = env_int("LIVRET_PORT", 8000)
if not 1 <= WEB_PORT <= 65535:
    raise ImproperlyConfigured(f"LIVRET_PORT must be a TCP port (1 to 65535), not {WEB_PORT}")


def _site_url() -> str:
    """LIVRET_SITE_URL (the public address, without a trailing slash), else the address
    ``livret serve`` listens on: every absolute link (mails, feeds) and the demo's probes use
    it, so a demo served on another port links to itself."""
    raw = (os.environ.get("LIVRET_SITE_URL") or "").strip()
    if not raw:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(WEB_HOST, WEB_HOST)  # noqa: S104
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"http://{host}:{WEB_PORT}"
    parts = urlsplit(raw)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = parts._replace(netloc="")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"LIVRET_SITE_URL must be an http:// or https:// address such as "
            f"https://support.example.fr, not {raw!r}"
        )
    return raw.rstrip("/")


SITE_URL = _site_url()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "livret.offers",
    "livret.tenants",
    "livret.mail",
    "livret.accounts",
    "livret.notifications",
    "livret.support",
    "livret.status",
    "livret.statuspage",
    "livret.monitoring",
    "livret.ops",
    "livret.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "livret.web.middleware.ContentSecurityPolicyMiddleware",  # every page, fast path included
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "livret.statuspage.fastpath.PublicStatusFastPath",  # plain anonymous status page visits
    "django.contrib.sessions.middleware.SessionMiddleware",
    "livret.web.middleware.CookieLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "livret.accounts.middleware.ForcePasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "livret.web.errors.ServiceErrorMiddleware",  # a refusal no view caught: a 4xx page
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "livret.api.errors.JsonErrorsMiddleware",
]

ROOT_URLCONF = "livret.urls"
WSGI_APPLICATION = "livret.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "livret.notifications.context_processors.unread",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'livret.sqlite3'}"
try:
    # Connections are kept a minute, and checked before reuse: one the server dropped (restart,
    # failover, idle timeout) is replaced instead of failing the next request of each process.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {error}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    if "mode=ro" in DATABASE_URL.partition("?")[2].split("&"):
        # sqlite:///PATH?mode=ro: a copy opened read-only (reports, audits); writes are refused.
        DATABASES["default"]["NAME"] = f"file:{DATABASES['default']['NAME']}?mode=ro"
    DATABASES["default"]["CONN_MAX_AGE"] = 60  # one connection per thread, kept
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
# French whatever the browser sends; English only by choice (cookie set by i18n/setlang/).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
X_FRAME_OPTIONS = "DENY"

# HTTPS (docs/operator-guide.md, "HTTPS"): derived from LIVRET_SITE_URL. Behind https the
# cookies are secure and browsers are told to use https only (HSTS, one year, subdomains too).
SITE_HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env_bool("LIVRET_SECURE_COOKIES", SITE_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SITE_HTTPS:
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# The reverse proxy redirects http to https; the site can do it itself if asked.
SECURE_SSL_REDIRECT = env_bool("LIVRET_SSL_REDIRECT", False)
if env_bool("LIVRET_BEHIND_PROXY", False):
    # Only when the proxy sets X-Forwarded-Proto (and strips the client's): trusted as is.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = [
    # W008 (SECURE_SSL_REDIRECT off): the reverse proxy answers plain http with a redirect.
    "security.W008",
    # W021 (no HSTS preload): joining the browsers' preload list is the domain owner's
    # decision (hstspreload.org), for every subdomain, not the application's.
    "security.W021",
]

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("LIVRET_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = env_int("LIVRET_SMTP_PORT", 25)
EMAIL_HOST_USER = os.environ.get("LIVRET_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("LIVRET_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("LIVRET_SMTP_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("LIVRET_MAIL_FROM", "livret <support@livret.invalid>")
# Who signs the mails that concern no contract (password reset, mail-gate refusals…): "L'équipe
# support <name>". A mail about a contract is signed by the vendor of its offer.
VENDOR_NAME = " ".join((os.environ.get("LIVRET_VENDOR_NAME") or "").split()) or "livret"
# The mail gate's address (docs/mail.md): Reply-To of every outgoing mail; empty: none.
MAIL_GATE_ADDRESS = os.environ.get("LIVRET_MAIL_GATE_ADDRESS", "").strip()

# REQ-11: the audit chains' heads, checkpointed outside the database (docs/sla.md), and who
# receives a copy of each checkpoint by mail (empty: nobody).
AUDIT_CHECKPOINTS = DATA_DIR / "audit" / "checkpoints.log"
AUDIT_MAIL = env_list("LIVRET_AUDIT_MAIL", [])

# The largest attachment accepted, on the portal, the API and the mail gate.
MAX_ATTACHMENT_MB = env_int_at_least("LIVRET_MAX_ATTACHMENT_MB", 20, 1, "a number of megabytes")
MAX_ATTACHMENT_BYTES = MAX_ATTACHMENT_MB * 1024 * 1024

# PreventCare monitoring (docs/monitoring.md): sample retention, and who is told of alerts
# (empty: the vendor's technicians and operators, and its leads for level 2).
MONITORING_SAMPLE_DAYS = env_int_at_least(
    "LIVRET_MONITORING_SAMPLE_DAYS", 35, 1, "a number of days"
)
MONITORING_TEAM = env_list("LIVRET_MONITORING_TEAM", [])
MONITORING_LEVEL2 = env_list("LIVRET_MONITORING_LEVEL2", [])

# Status-page webhooks go to public addresses only (docs/status-page.md); these host names
# (as written in the webhook's URL) may be private, e.g. a receiver on the vendor's network.
WEBHOOK_ALLOWED_HOSTS = env_list("LIVRET_WEBHOOK_ALLOWED_HOSTS", [])

# `livret serve`: processes × threads (its --workers/--threads options override these).
WEB_WORKERS = env_int_at_least("LIVRET_WEB_WORKERS", 2, 1, "a number of processes")
# One thread per process: measured faster than threads on 2 cores (docs/performance.md).
WEB_THREADS = env_int_at_least("LIVRET_WEB_THREADS", 1, 1, "a number of threads")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_LEVEL = (os.environ.get("LIVRET_LOG_LEVEL") or "INFO").strip().upper()
if LOG_LEVEL not in LOG_LEVELS:
    raise ImproperlyConfigured(
        f"LIVRET_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, "
        f"not {os.environ['LIVRET_LOG_LEVEL']!r}"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
CSRF_FAILURE_VIEW = "livret.web.views.csrf_failure"
