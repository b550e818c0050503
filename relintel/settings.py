"""Relintel settings: everything a deployment changes is read from the environment.

See README.md ("Configuration") for the full list of variables. Readers in
``relintel.env`` refuse malformed values instead of guessing.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from relintel.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("RELINTEL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "relintel-insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Keys that encrypt stored secrets (TOTP seeds, mailbox passwords, OAuth tokens).
# Newest first: the first encrypts, every key decrypts, so keys rotate without downtime.
_derived_key = base64.urlsafe_b64encode(hashlib.sha256(("relintel-secrets:" + SECRET_KEY).encode()).digest()).decode()
RELINTEL_ENCRYPTION_KEYS = env_list("RELINTEL_ENCRYPTION_KEYS", [_derived_key])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "relintel.accounts",
    "relintel.dashboards",
    "relintel.demo",
    "contacts",
    "activities",
    "sync",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "relintel.accounts.middleware.MembershipMiddleware",
]

ROOT_URLCONF = "relintel.urls"
WSGI_APPLICATION = "relintel.wsgi.application"
ASGI_APPLICATION = "relintel.asgi.application"

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
                "relintel.accounts.context_processors.membership",
                "sync.context_processors.salesforce_banner",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
_database_url = env_str("DATABASE_URL", "")
if _database_url:
    try:
        DATABASES = {
            "default": dj_database_url.parse(_database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))
        }
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Relintel understands: {exc}") from None
    if not DATABASES["default"].get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL must name a database, e.g. postgres://user@host:5432/relintel")
    if DATABASES["default"]["ENGINE"] not in {
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    }:
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://…) or SQLite (sqlite:///…)")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Pages run short, indexed queries whose cost estimates (correlated subqueries) can
        # still pass jit_above_cost: compiling them took seconds where running took 15 ms.
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
else:
    # Embedded mode: one file, shared by the web server and the worker. WAL and
    # IMMEDIATE transactions keep the two processes from tripping over each other.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "relintel.sqlite3"),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache (login throttling, rate limits) -----------------------------------
_redis_url = env_str("REDIS_URL", "")
if _redis_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}}
else:
    # A file cache, unlike local memory, is shared by every process on the host.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- auth ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "relintel.accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Failed logins: after this many failures for one address the login is refused
# for the cool-off period (allauth counts per email and per IP).
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("RELINTEL_LOGIN_FAILED_RATE", "5/5m/key,30/5m/ip"),
    "reset_password": "5/m/ip,3/m/key",
}
MFA_ADAPTER = "relintel.accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Relintel"

# --- i18n, static -------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = DEBUG

# --- email -------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Relintel <relintel@localhost>")
# Where the site is reached from outside: links in emails (the weekly digest) start with it.
RELINTEL_BASE_URL = env_str("RELINTEL_BASE_URL", "http://localhost:8000")
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    # Without a mail server, outgoing mail (invitations, password resets) is
    # written to files an operator can read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# --- security ----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None

# --- REST API ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "relintel.accounts.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["relintel.accounts.permissions.IsOrganizationMember"],
    "DEFAULT_PAGINATION_CLASS": "relintel.api_pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [],
    "EXCEPTION_HANDLER": "relintel.api_errors.exception_handler",
    # Every API view: a member's requests per minute (anonymous ones by address).
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": "1200/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Relintel API",
    "DESCRIPTION": "Contacts, companies, interactions and give-first help offers of your organization.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for the relationship bands, wherever they appear (band, previous_band, filters).
    "ENUM_NAME_OVERRIDES": {
        "BandEnum": "contacts.models.Band",
        "HelpStatusEnum": "contacts.models.HelpStatus",
        "IntroStatusEnum": "contacts.models.IntroStatus",
        "SuggestionStatusEnum": "contacts.models.SuggestionStatus",
    },
}

# --- Celery ------------------------------------------------------------------
# See relintel/celery.py for why these are set as they are.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=300)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
if not CELERY_BROKER_URL:
    # Embedded broker: kombu's filesystem transport. No server to install, and a
    # real worker process still consumes the queue.
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(_queue_dir / "queue"),
        data_folder_out=str(_queue_dir / "queue"),
        processed_folder=str(_queue_dir / "processed"),
        control_folder=str(_queue_dir / "control"),
        store_processed=False,
    )
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_CREATE_MISSING_QUEUES = True
CELERY_TASK_ROUTES = {
    "activities.tasks.capture_*": {"queue": "capture"},
    "activities.tasks.relationship_*": {"queue": "insight"},
    "contacts.tasks.*": {"queue": "insight"},
    "sync.tasks.*": {"queue": "sync"},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Salesforce pull: how often (seconds), and how far before the watermark each pull re-reads.
RELINTEL_SALESFORCE_PULL_SECONDS = env_int("RELINTEL_SALESFORCE_PULL_SECONDS", 300, minimum=30)
RELINTEL_SALESFORCE_PULL_OVERLAP_SECONDS = env_int("RELINTEL_SALESFORCE_PULL_OVERLAP_SECONDS", 120, minimum=0)
# Team dashboard: how long its relationship-graph figures (bands and moves, accounts at risk,
# replies owed) are reused from the cache before being worked out again (0: never cached).
RELINTEL_TEAM_FIGURES_CACHE_SECONDS = env_int("RELINTEL_TEAM_FIGURES_CACHE_SECONDS", 300, minimum=0)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Finds sources whose next poll is due and hands each to a worker (see activities.tasks).
    "capture-schedule-due": {"task": "activities.tasks.capture_schedule_due", "schedule": 30.0},
    # Pushes each organization's due Salesforce outbox rows (see sync.tasks).
    "sync-push-due": {"task": "sync.tasks.sync_push_due", "schedule": 30.0},
    # Pulls Salesforce's changes to linked Accounts, Contacts and Leads (see sync.salesforce.pull).
    "sync-pull-due": {"task": "sync.tasks.sync_pull_due", "schedule": float(RELINTEL_SALESFORCE_PULL_SECONDS)},
    # Strength decays with time even when nothing happens: re-score every relationship
    # nightly (bands dropping are what "going cold" reads). See activities.scoring.
    "relationships-rescore-nightly": {
        "task": "activities.tasks.relationships_rescore_all",
        "schedule": crontab(hour=2, minute=15),
    },
    # Activity rollups for the team dashboards, re-derived for the last weeks as a safety net
    # behind the incremental updates.
    "activity-rollups-nightly": {
        "task": "activities.tasks.activity_rollups_refresh_all",
        "schedule": crontab(hour=2, minute=45),
    },
    # "Introduce A to B" suggestions from contacts' needs and expertise.
    "intro-suggestions-nightly": {
        "task": "contacts.tasks.intro_suggestions_refresh_all",
        "schedule": crontab(hour=3, minute=15),
    },
    # Reminders for help offers coming due.
    "help-reminders-daily": {"task": "contacts.tasks.help_offer_reminders_send", "schedule": crontab(hour=7, minute=0)},
    # Reps' answers to Today items that can no longer hide anything (see relintel.dashboards.services).
    "nudge-actions-prune-nightly": {
        "task": "relintel.dashboards.tasks.nudge_actions_prune",
        "schedule": crontab(hour=3, minute=45),
    },
    # The team dashboard's slow figures (bands and moves, replies owed, accounts at risk),
    # re-computed by a worker before their cache entry expires: managers never wait for them.
    "team-figures-warm": {
        "task": "relintel.dashboards.tasks.team_figures_warm_all",
        "schedule": float(max(60, RELINTEL_TEAM_FIGURES_CACHE_SECONDS - 60)),
    },
    # The weekly digest: each rep's Today list by email, Monday morning.
    "weekly-digest": {
        "task": "relintel.dashboards.tasks.digest_send_weekly",
        "schedule": crontab(hour=7, minute=30, day_of_week=1),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Region assumed for phone numbers typed without a country code.
RELINTEL_DEFAULT_PHONE_REGION = env_str("RELINTEL_DEFAULT_PHONE_REGION", "US")

# --- capture ------------------------------------------------------------------
# Domain of the reps' "BCC to log" addresses (log+<token>@<domain>), and the SMTP
# server `manage.py capture_smtp` runs for it.
RELINTEL_BCC_DOMAIN = env_str("RELINTEL_BCC_DOMAIN", "log.relintel.localhost")
RELINTEL_SMTP_HOST = env_str("RELINTEL_SMTP_HOST", "127.0.0.1")
RELINTEL_SMTP_PORT = env_int("RELINTEL_SMTP_PORT", 2525, minimum=1)
RELINTEL_SMTP_MAX_MESSAGE_BYTES = env_int("RELINTEL_SMTP_MAX_MESSAGE_BYTES", 25 * 1024 * 1024, minimum=1024)
# How often each source is polled, and the longest back-off for a failing one (seconds).
RELINTEL_CAPTURE_POLL_SECONDS = env_int("RELINTEL_CAPTURE_POLL_SECONDS", 300, minimum=10)
RELINTEL_CAPTURE_MAX_BACKOFF_SECONDS = env_int("RELINTEL_CAPTURE_MAX_BACKOFF_SECONDS", 6 * 3600, minimum=60)
# Messages parsed and written per batch (one transaction, cursor included; ~0.1-0.2 s for
# 1,000 at 100,000 contacts, see BENCHMARKS.md). IMAP fetches them 200 at a time.
RELINTEL_CAPTURE_BATCH_SIZE = env_int("RELINTEL_CAPTURE_BATCH_SIZE", 1000, minimum=1)
# A run holds its source's lease this long (renewed while it works); a crashed
# worker's lease expires after it. Each run works at most RUN_SECONDS, then yields.
RELINTEL_CAPTURE_LEASE_SECONDS = env_int("RELINTEL_CAPTURE_LEASE_SECONDS", 300, minimum=10)
RELINTEL_CAPTURE_RUN_SECONDS = env_int("RELINTEL_CAPTURE_RUN_SECONDS", 60, minimum=5)

# --- Salesforce sync --------------------------------------------------------------
# Pending rows of one kind above which a backfill goes through Bulk API 2.0 instead of
# sObject Collections; how long a worker's claim on outbox rows lasts (a killed
# worker's rows are claimable again after it); pauses after Salesforce's limits.
RELINTEL_SALESFORCE_BULK_THRESHOLD = env_int("RELINTEL_SALESFORCE_BULK_THRESHOLD", 2000, minimum=1)
RELINTEL_SALESFORCE_CLAIM_LEASE_SECONDS = env_int("RELINTEL_SALESFORCE_CLAIM_LEASE_SECONDS", 300, minimum=10)
RELINTEL_SALESFORCE_LIMIT_PAUSE_SECONDS = env_int("RELINTEL_SALESFORCE_LIMIT_PAUSE_SECONDS", 900, minimum=10)
RELINTEL_SALESFORCE_CONCURRENCY_PAUSE_SECONDS = env_int("RELINTEL_SALESFORCE_CONCURRENCY_PAUSE_SECONDS", 60, minimum=1)
