"""Django settings for Podium, read from the environment (see README, "Configuration").

Defaults make a fresh checkout run with nothing configured: SQLite under var/,
an embedded Redis on a unix socket under var/ (started by the dev runner), and
media files under var/media.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from core.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env_str("PODIUM_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, or a random key kept in var/ for local runs."""
    configured = env_str("SECRET_KEY", "")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Behind TLS (docker/.env.example turns these on): cookies only over HTTPS,
# HSTS, redirects to HTTPS, and trust the proxy's X-Forwarded-Proto header.
SECURE_COOKIES = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list is a commitment for the whole domain,
# made by its owner (SECURE_HSTS_PRELOAD=1), not a default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers and container health checks probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "core",
    "podium",
    "accounts",
    "competitions",
    "teams",
    "submissions",
    "leaderboards",
    "notifications",
    "discussions",
    "profiles",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "submissions.uploads.UploadLimitMiddleware",
    "core.nul.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "podium.urls"
WSGI_APPLICATION = "podium.wsgi.application"

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
                "notifications.context.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'podium.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the workers write concurrently: wait for the lock
    # rather than failing at once, and let readers proceed during writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Test databases live in a file so that worker processes can open them.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "competition-list"
LOGOUT_REDIRECT_URL = "competition-list"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Public files keep their exact names (test.json refers to images/0001.png), so a
    # re-upload replaces the file instead of saving a renamed copy beside it.
    "public": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"allow_overwrite": True}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Where uploaded and generated files live: "local" (MEDIA_ROOT below; a shared
# volume when every process runs on one host) or "s3" (an S3-compatible object
# store such as AWS S3 or MinIO, for workers on many hosts). Credentials come
# from the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables.
PODIUM_STORAGE = env_choice("PODIUM_STORAGE", "local", ("local", "s3"))
PODIUM_S3 = {
    "bucket_name": env_str("PODIUM_S3_BUCKET", "podium"),
    "endpoint_url": env_str("PODIUM_S3_ENDPOINT_URL", "") or None,
    "region_name": env_str("PODIUM_S3_REGION", "") or None,
    "addressing_style": env_str("PODIUM_S3_ADDRESSING_STYLE", "path"),
    # Private objects; downloads are streamed through views that check access.
    "default_acl": None,
    "querystring_auth": True,
}
if PODIUM_STORAGE == "s3":
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**PODIUM_S3, "file_overwrite": False}}
    STORAGES["public"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**PODIUM_S3, "file_overwrite": True}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Every uploaded and generated file (public data, hidden truth, submissions).
# None of it is served directly: downloads go through views that check access.
MEDIA_ROOT = Path(env_str("PODIUM_MEDIA_ROOT", str(VAR_DIR / "media"))).resolve()
MEDIA_URL = "/media/"

# Uploads above this size are refused before they are read (per competition
# limits may be lower).
PODIUM_MAX_UPLOAD_MB = env_int("PODIUM_MAX_UPLOAD_MB", 200, minimum=1)
# Model uploads have their own, larger cap (a BERT-base export is about 440 MB); a competition may set less.
PODIUM_MAX_MODEL_MB = env_int("PODIUM_MAX_MODEL_MB", 2048, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Celery. The broker is the only channel; results live in the database.
REDIS_SOCKET = VAR_DIR / "redis" / "redis.sock"
REDIS_URL = env_str("REDIS_URL", f"redis+socket://{REDIS_SOCKET}")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_SOFT_TIME_LIMIT = env_int("PODIUM_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("PODIUM_TASK_TIME_LIMIT", 360, minimum=1)
# The longest a model may run, whatever a competition asks for.
PODIUM_MAX_MODEL_SECONDS = env_int("PODIUM_MAX_MODEL_SECONDS", 1800, minimum=1)
# The most an organizers' scoring program may ask for (`scoring_limits`, SPEC section 9), whatever a competition says.
PODIUM_MAX_SCORING_SECONDS = env_int("PODIUM_MAX_SCORING_SECONDS", 900, minimum=1)
PODIUM_MAX_SCORING_MEMORY_MB = env_int("PODIUM_MAX_SCORING_MEMORY_MB", 8192, minimum=64)
# Run models without the bubblewrap sandbox: for a developer's own laptop only. Off by
# default; when on, every model run and /health/ say so (docs/security.md).
PODIUM_UNSANDBOXED_MODELS = env_bool("PODIUM_UNSANDBOXED_MODELS", False)
# Redelivery of unacknowledged tasks must wait longer than any task may run,
# or a slow task would be handed to a second worker while the first still runs.
# Recovery does not wait for it: leases do (workers/leases.py); a late redelivery is dropped.
CELERY_VISIBILITY_TIMEOUT = env_int(
    "PODIUM_VISIBILITY_TIMEOUT", max(CELERY_TASK_TIME_LIMIT, PODIUM_MAX_MODEL_SECONDS + 120) + 60, minimum=1
)
# How often the sweep for lost submissions runs (Celery beat): it sends again every pending
# submission that no worker holds (its lease ran out) and no queue holds (its marker is gone).
# `/health/` shows its details (workers, queues, sandboxes) to staff, and to probes sending
# `Authorization: Bearer <this>`; everyone else gets the status alone. Empty: staff only.
PODIUM_HEALTH_TOKEN = env_str("PODIUM_HEALTH_TOKEN", "")
# Reverse proxies of ours in front of the web server (nginx, a load balancer): 0 trusts no
# X-Forwarded-For header; N takes the client address the first of N proxies saw. One setting for the site.
PODIUM_TRUSTED_PROXIES = env_int("PODIUM_TRUSTED_PROXIES", 0, minimum=0)
PODIUM_SWEEP_INTERVAL = env_int("PODIUM_SWEEP_INTERVAL", 10, minimum=1)
# The file of a submission that failed through its team's fault, if larger than this, is removed this long after
# it failed (the row and its error stay): a team cannot fill the disk with uploads that never score.
PODIUM_FAILED_UPLOAD_KEEP_HOURS = env_int("PODIUM_FAILED_UPLOAD_KEEP_HOURS", 72, minimum=1)
PODIUM_FAILED_UPLOAD_MIN_MB = env_int("PODIUM_FAILED_UPLOAD_MIN_MB", 1, minimum=0)
# A submission sent less than this long ago is left alone by the sweep (its task may be in flight).
PODIUM_LEASE_GRACE_SECONDS = env_int("PODIUM_LEASE_GRACE_SECONDS", 30, minimum=1)
# Platform faults: a submission lost this many times, or failing to score this many times, ends
# `failed` with `platform-error` (never charged; organizers can retry it in the admin).
PODIUM_MAX_REQUEUES = env_int("PODIUM_MAX_REQUEUES", 3, minimum=0)
PODIUM_MAX_SCORING_ATTEMPTS = env_int("PODIUM_MAX_SCORING_ATTEMPTS", 5, minimum=1)
# Model submissions a team may have in the inference queue or running at once; the rest wait their
# turn, so one team's backlog never delays another team's first model.
PODIUM_MODELS_IN_FLIGHT_PER_TEAM = env_int("PODIUM_MODELS_IN_FLIGHT_PER_TEAM", 1, minimum=1)
# How often a worker looks for tasks whose worker died (unacknowledged past the
# visibility timeout) and puts them back in the queue.
PODIUM_UNACKED_RESTORE_INTERVAL = env_int("PODIUM_UNACKED_RESTORE_INTERVAL", 10, minimum=1)

# The cache holds rate-limit counters and the health report: in Redis, so that
# every web process (and every host) counts the same attempts.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL.replace("redis+socket://", "unix://"),
        "KEY_PREFIX": "podium-cache",
    }
}

# Password guesses allowed per client address and minute (login form and token endpoint).
PODIUM_AUTH_ATTEMPTS_PER_MINUTE = env_int("PODIUM_AUTH_ATTEMPTS_PER_MINUTE", 10, minimum=1)

# Email (password resets): SMTP when PODIUM_EMAIL_HOST is set; else printed to the web server's log (the demo).
EMAIL_HOST = env_str("PODIUM_EMAIL_HOST", "")
EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                 else "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = env_int("PODIUM_EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("PODIUM_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("PODIUM_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PODIUM_EMAIL_TLS", True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("PODIUM_EMAIL_FROM", "Podium <podium@localhost>")
# The site's address as participants reach it: links in emails sent by workers, which see no request.
PODIUM_SITE_URL = env_str("PODIUM_SITE_URL", "http://127.0.0.1:8000")
# How often the sweep tells members that a competition ends within 24 hours (Celery beat), in seconds.
PODIUM_ENDING_SWEEP_INTERVAL = env_int("PODIUM_ENDING_SWEEP_INTERVAL", 600, minimum=10)
# How often organizers get each competition's summary (Celery beat), in seconds.
PODIUM_DAILY_SUMMARY_INTERVAL = env_int("PODIUM_DAILY_SUMMARY_INTERVAL", 86_400, minimum=60)
# Webhooks may POST to loopback and private addresses (a receiver on the same network): off by default.
# Discussions: how long an author may edit a post, and how fast one person may post (organizers are not limited).
PODIUM_DISCUSSION_EDIT_MINUTES = env_int("PODIUM_DISCUSSION_EDIT_MINUTES", 30, minimum=0)
PODIUM_DISCUSSION_POSTS_PER_MINUTE = env_int("PODIUM_DISCUSSION_POSTS_PER_MINUTE", 3, minimum=1)
PODIUM_DISCUSSION_TOPICS_PER_DAY = env_int("PODIUM_DISCUSSION_TOPICS_PER_DAY", 10, minimum=1)
PODIUM_WEBHOOK_ALLOW_PRIVATE = env_bool("PODIUM_WEBHOOK_ALLOW_PRIVATE", False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": None,
    # Whose address a request is (rate limits): X-Forwarded-For is read only behind that many proxies of ours;
    # unset, DRF would trust whatever header a client sends.
    "NUM_PROXIES": PODIUM_TRUSTED_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Podium API",
    "DESCRIPTION": "Competitions, submissions and leaderboards.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from the installed sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Every record carries the submission it concerns (core/logs.py): plain text
# by default, one JSON object per line with LOG_FORMAT=json (for log shippers).
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", ("plain", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"submission": {"()": "core.logs.SubmissionFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [submission=%(submission)s]: %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["submission"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
