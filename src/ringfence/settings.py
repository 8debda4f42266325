"""Django settings. Everything a deployment changes comes from the environment; the defaults run embedded.

RINGFENCE_DATA_DIR   one directory for the SQLite database, the job queue, the log lake (default ./var)
DATABASE_URL         e.g. postgres://user@host:5432/ringfence; unset means SQLite in the data directory
REDIS_URL            job queue on Redis; unset means Huey's SQLite storage in the data directory
RINGFENCE_SECRET_KEY Django secret; unset means one generated once and kept in the data directory
RINGFENCE_DEBUG      1 to run with DEBUG
RINGFENCE_ALLOWED_HOSTS comma-separated host names (default 127.0.0.1,localhost)
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("RINGFENCE_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("RINGFENCE_SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        # Written aside and linked into place, so parallel first starts agree on one key.
        draft = DATA_DIR / f".secret_key.{os.getpid()}"
        draft.write_text(secrets.token_urlsafe(50), encoding="ascii")
        draft.chmod(0o600)
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return key_file.read_text(encoding="ascii").strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("RINGFENCE_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("RINGFENCE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "huey.contrib.djhuey",
    "ringfence.core",
    "ringfence.audit",
    "ringfence.authz",
    "ringfence.registry",
    "ringfence.logs",
    "ringfence.identity",
    "ringfence.detection",
    "ringfence.alerts",
    "ringfence.analysis",
    "ringfence.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Default deny: every view must declare its permission (ringfence.authz).
    "ringfence.authz.middleware.DefaultDenyMiddleware",
]

ROOT_URLCONF = "ringfence.urls"
WSGI_APPLICATION = "ringfence.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Restyled allauth pages must win over allauth's own, which come earlier in INSTALLED_APPS.
        "DIRS": [PACKAGE_DIR / "web" / "overrides"],
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

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'ringfence.sqlite3'}",
        conn_max_age=int(os.environ.get("RINGFENCE_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an import or the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Login: accounts are issued by administrators (no sign-up); TOTP second factor through allauth.mfa.
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "ringfence.authz.adapters.ClosedSignupAccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ringfence"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(
    exist_ok=True
)  # `ringfence serve` collects into it; WhiteNoise also finds app files directly
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LAKE_DIR = DATA_DIR / "lake"

if redis_url := os.environ.get("REDIS_URL"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "ringfence",
        "url": redis_url,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "ringfence",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
    }

EMAIL_BACKEND = os.environ.get("RINGFENCE_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("RINGFENCE_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("RINGFENCE_SMTP_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("RINGFENCE_MAIL_FROM", "ringfence@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RINGFENCE_LOG_LEVEL", "WARNING")},
}

# Detection, monitoring and periodic analysis. Each is read from the environment when set; otherwise the module
# that uses it applies its documented default (docs/detection-fields.md, docs/detection.md, docs/analysis.md).
_TEXT_SETTINGS = ("RINGFENCE_BUSINESS_HOURS", "RINGFENCE_DETECTION_DIR", "RINGFENCE_DUCKDB_MEMORY")
_INT_SETTINGS = (
    "RINGFENCE_DETECTION_HISTORY_DAYS",
    "RINGFENCE_EVIDENCE_LIMIT",
    "RINGFENCE_DUCKDB_THREADS",
    "RINGFENCE_ANALYSIS_EVERY_MONTHS",
    "RINGFENCE_ANALYSIS_GO_LIVE_DAYS",
)
for _name in _TEXT_SETTINGS:
    if _value := os.environ.get(_name):
        globals()[_name] = _value
for _name in _INT_SETTINGS:
    if _value := os.environ.get(_name):
        globals()[_name] = int(_value)
if _value := os.environ.get("RINGFENCE_COMPANY_HOLIDAYS"):
    RINGFENCE_COMPANY_HOLIDAYS = [item.strip() for item in _value.split(",") if item.strip()]
if _value := os.environ.get("RINGFENCE_ANALYSIS_MAX_PARSE_ERROR_RATE"):
    RINGFENCE_ANALYSIS_MAX_PARSE_ERROR_RATE = float(_value)
if _value := os.environ.get("RINGFENCE_MONITOR_LATENESS_SECONDS"):
    RINGFENCE_MONITOR_LATENESS = timedelta(seconds=int(_value))
