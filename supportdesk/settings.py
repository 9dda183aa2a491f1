"""Settings for SupportDesk, read from environment variables.

With no variables set, the desk runs on the embedded profile: SQLite, the in-memory channel
layer, django-q2's ORM broker and an embedded Chroma index, all under SUPPORTDESK_DATA_DIR.
The scaled-out profile is chosen by DATABASE_URL (PostgreSQL), REDIS_URL (channel layer and
task broker) and CHROMA_URL (Chroma server). README.md lists every variable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as error:
        raise ValueError(f"{name}={value!r} is not a number; set it to a number such as {default}") from error


# All local state of one desk lives in this folder, so two desks on one machine never share
# a database, an index or uploads.
DATA_DIR = Path(os.environ.get("SUPPORTDESK_DATA_DIR") or BASE_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def load_secret_key() -> str:
    """Use DJANGO_SECRET_KEY, or a random key kept in the data folder across restarts."""
    configured = os.environ.get("DJANGO_SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = load_secret_key()
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip() for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if origin.strip()
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_htmx",
    "channels",
    "django_q",
    "supportdesk",
    "knowledge",
    "tickets",
    "copilot",
    "escalation",
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
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "supportdesk.urls"
ASGI_APPLICATION = "supportdesk.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

# Database: SQLite in the data folder unless DATABASE_URL names another (PostgreSQL when
# scaled out). WAL and IMMEDIATE transactions let daphne and the django-q2 cluster write to
# one SQLite file without "database is locked" errors under normal load.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "db.sqlite3"),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    # NOTE: the in-memory layer reaches only consumers in the same process, so on the
    # embedded profile events must be sent from daphne's process, not from the q2 cluster.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

Q_CLUSTER: dict[str, object] = {
    "name": "supportdesk",
    "workers": int(os.environ.get("SUPPORTDESK_Q_WORKERS", "1")),
    "timeout": 300,
    "retry": 360,
    "max_attempts": 3,
    "catch_up": False,
    "label": "Tasks",
    "sync": env_bool("SUPPORTDESK_TASKS_SYNC", False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    # Seconds between broker polls: bounds how long a queued task (the copilot panel) waits.
    Q_CLUSTER["poll"] = 0.2

# Vector store: an embedded Chroma index in the data folder, or a Chroma server.
CHROMA_URL = os.environ.get("CHROMA_URL", "")
CHROMA_PATH = DATA_DIR / "chroma"
CHROMA_COLLECTION = os.environ.get("SUPPORTDESK_CHROMA_COLLECTION", "supportdesk-knowledge")

MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tickets:console-queue"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the chat widget reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "supportdesk.errors.drf_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SUPPORTDESK_LOG_LEVEL", "INFO")},
    "loggers": {"chromadb": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# --- SupportDesk ---------------------------------------------------------------------------

# Signs conversation tokens. Defaults to SECRET_KEY's derivation through Django's signer.
SUPPORTDESK_CHAT_TOKEN_MAX_AGE_DAYS = int(os.environ.get("SUPPORTDESK_CHAT_TOKEN_MAX_AGE_DAYS", "30"))
# Days before a publish whose AI answers quoting the old version go to the re-verification queue.
SUPPORTDESK_REVERIFICATION_DAYS = int(env_float("SUPPORTDESK_REVERIFICATION_DAYS", 30))
# Shared secret for the HMAC-SHA256 identity hash of a business's logged-in customers.
SUPPORTDESK_IDENTITY_SECRET = os.environ.get("SUPPORTDESK_IDENTITY_SECRET", "")

# Called with each stored customer message; decides the tier and answers or hands off.
SUPPORTDESK_MESSAGE_HANDLER = "escalation.pipeline.handle_customer_message"
# Called when a customer marks an AI answer helpful or not; the knowledge audit reads it.
SUPPORTDESK_FEEDBACK_HANDLER = "copilot.actions.do_record_feedback"
# Called with a channel name. It returns False when the channel's AI mode hands every customer
# message to a person, and the chat page then names the team instead of the assistant.
SUPPORTDESK_AI_ANSWERS_CHECK = "escalation.policy.ai_answers_customers"

# Tier 0 answers below this calibrated confidence (0 to 1) are handed to a person.
SUPPORTDESK_TIER0_MIN_CONFIDENCE = env_float("SUPPORTDESK_TIER0_MIN_CONFIDENCE", 0.5)

# Generative provider for Tier 0 answers and drafts: "" (none: answers quote the knowledge
# base), "openai" (any OpenAI-compatible endpoint) or "ollama".
SUPPORTDESK_LLM_PROVIDER = os.environ.get("SUPPORTDESK_LLM_PROVIDER", "").strip().lower()
SUPPORTDESK_LLM_MODEL = os.environ.get("SUPPORTDESK_LLM_MODEL", "")
SUPPORTDESK_LLM_BASE_URL = os.environ.get("SUPPORTDESK_LLM_BASE_URL", "")
SUPPORTDESK_LLM_API_KEY = os.environ.get("SUPPORTDESK_LLM_API_KEY", "")
# Seconds a model call may take before the desk gives up and hands off.
SUPPORTDESK_LLM_TIMEOUT = env_float("SUPPORTDESK_LLM_TIMEOUT", 15.0)
# Maximum tokens a model may generate for one answer.
SUPPORTDESK_LLM_MAX_TOKENS = int(os.environ.get("SUPPORTDESK_LLM_MAX_TOKENS", "400"))
