"""Settings for PaN Commons, read from environment variables only (see deploy/env.example).

With no DATABASE_URL an embedded PostgreSQL (pgserver) is started with its data under var/.
"""

import ipaddress
import re
import socket
from pathlib import Path

import dj_database_url

from pancommons import installation
from pancommons.embedded_db import embedded_database_url
from pancommons.env import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_path,
    env_str,
)
from pancommons.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("PANCOMMONS_VAR_DIR", BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
# Production: PRODUCTION=true, or DEBUG off with a DATABASE_URL (a real server). It needs SECRET_KEY from the
# environment; any other installation (the embedded database, or DEBUG on) makes one once and keeps it in var/.
PRODUCTION = env_bool("PRODUCTION", not DEBUG and bool(env_str("DATABASE_URL")))
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ConfigurationError(
            "SECRET_KEY must be set in production (PRODUCTION=true, or DEBUG off with DATABASE_URL set)"
        )
    SECRET_KEY = installation.secret_key(VAR_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_admin_inline_paginator_plus",
    "django_celery_beat",
    "django_prometheus",
    "catalogue",
    "ingest",
    "landing",
]
# The synthetic catalogue for benchmarks (`manage.py generate_catalogue`) lives beside them, in a checkout only.
if (BASE_DIR / "benchmarks" / "__init__.py").exists():
    INSTALLED_APPS.append("benchmarks")

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "pancommons.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "pancommons.middleware.RefuseUnstorableTextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pancommons.middleware.RefuseUnknownAdminSelectionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "pancommons.error_pages.BrandedErrorPagesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "pancommons.urls"
WSGI_APPLICATION = "pancommons.wsgi.application"
# The PaNOSC API must never redirect (spec §1.2); our own routes are written with their slashes.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or embedded_database_url(VAR_DIR)
# Persistent connections are checked before reuse, so a database restart costs no request an error.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ConfigurationError("PaN Commons runs on PostgreSQL only; DATABASE_URL must be postgres://…")
# Django's PostgreSQL backend with query counts and latencies for /metrics (django-prometheus).
DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Read replicas (pancommons/replicas.py): public GET/HEAD pages and APIs read a streaming replica that answers and
# keeps up; writes, the admin, the REST API, workers and commands use the primary.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS", [])
for _number, _url in enumerate(DATABASE_REPLICA_URLS):
    DATABASES[f"replica{_number}"] = {
        **dj_database_url.parse(_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True),
        "ENGINE": DATABASES["default"]["ENGINE"],
        "OPTIONS": {"connect_timeout": 2},
        "TEST": {"MIRROR": "default"},
    }
if DATABASE_REPLICA_URLS:
    DATABASE_ROUTERS = ["pancommons.replicas.ReplicaRouter"]
    # Last, so its process_view (which runs the view itself, against a replica) follows every other middleware's.
    MIDDLEWARE.append("pancommons.replicas.ReplicaMiddleware")
REPLICA_MAX_LAG_SECONDS = env_float("REPLICA_MAX_LAG_SECONDS", 5.0)
# A visitor who has just written (any successful POST, PUT, PATCH, DELETE) reads the primary this long.
READ_YOUR_WRITES_SECONDS = env_int("READ_YOUR_WRITES_SECONDS", 10, minimum=0)

# --- Broker: Redis, or PostgreSQL through kombu's SQLAlchemy transport when no Redis answers ------------
# One Redis may serve several installations (two demos, a demo beside a deployment): every key this one writes —
# queues, control and event exchanges, worker heartbeats, the cache — starts with its own prefix.
INSTALLATION_ID = installation.installation_id(DATABASES["default"])
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX") or f"pancommons-{INSTALLATION_ID}:"


def _redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


REDIS_URL = env_str("REDIS_URL") or ("redis://127.0.0.1:6379/0" if _redis_answers() else "")
POSTGRES_BROKER_URL = "sqla+" + re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", DATABASE_URL)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or POSTGRES_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool child whose resident memory passes this (KiB; 0: no limit) is replaced after its task. A child settles near
# 400 MB after the sample files (imports ~225 MB, then HDF5 and preview buffers that glibc keeps after they are
# freed; no Python objects accumulate: deploy/README.md, "Sizing"), so the default only recycles one a large file
# swelled.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 512 * 1024, minimum=0) or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Queues by kind of work, so a deployment scales each apart (deploy/README.md, "Queues"): `ingest` (a file's
# metadata and preview), `files` (checksums, preview redraws), `sync` (what follows a change: DOIs at DataCite, the
# search index, FAIR scores), `graph` (the knowledge graph's writer, where its store lives) and `housekeeping`
# (beat's sweeps: embargoes, fixity, watched folders, facet folds, stale index and FAIR rows). Every task is routed
# by name (tests/deploy/test_processes.py); a worker started without --queues consumes them all.
CELERY_TASK_QUEUES = {
    name: {"exchange": name, "routing_key": name} for name in ("ingest", "files", "sync", "graph", "housekeeping")
}
CELERY_TASK_DEFAULT_QUEUE = "housekeeping"
CELERY_TASK_ROUTES = {
    "ingest.tasks.run_ingestion_job": {"queue": "ingest"},
    "ingest.tasks.hash_data_file": {"queue": "files"},
    "ingest.tasks.redraw_preview": {"queue": "files"},
    "landing.tasks.*": {"queue": "sync"},
    "catalogue.search.tasks.reindex_items": {"queue": "sync"},
    "catalogue.fair.tasks.recompute_scores": {"queue": "sync"},
    "landing.graph.tasks.*": {"queue": "graph"},
    "catalogue.tasks.*": {"queue": "housekeeping"},
    "catalogue.fair.tasks.*": {"queue": "housekeeping"},
    "catalogue.search.tasks.reindex_stale_datasets": {"queue": "housekeeping"},
    "ingest.tasks.scan_watched_folders": {"queue": "housekeeping"},
}
# Broadcasts (remote control, events) go through exchanges named after the installation, so another
# installation's workers never answer ours.
CELERY_CONTROL_EXCHANGE = f"{REDIS_KEY_PREFIX}celery"
CELERY_EVENT_EXCHANGE = f"{REDIS_KEY_PREFIX}celeryev"
# Redis redelivers an unacknowledged task (worker lost) after this many seconds; SQLAlchemy takes no such option.
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
        "global_keyprefix": REDIS_KEY_PREFIX,
    }
    if CELERY_BROKER_URL.startswith("redis")
    else {}
)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
# A worker writes a heartbeat every WORKER_HEARTBEAT_SECONDS (pancommons.workers); /healthz counts those younger
# than three beats.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10, minimum=1)

CACHES = {
    "default": (
        # Django's Redis cache, counting hits and misses for /metrics.
        {
            "BACKEND": "django_prometheus.cache.backends.redis.NativeRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Metrics (pancommons/metrics.py) ----------------------------------------------------------------------
# /metrics answers direct requests from these networks only (never one relayed by a proxy): Prometheus inside the
# deployment, not the public behind the ingress.
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(network) for network in env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
    ]
except ValueError as error:
    raise ConfigurationError(f"METRICS_ALLOWED_NETWORKS: {error}") from error
# Each Celery worker serves its task metrics on this port (0: off). Its prefork children count the tasks, so the
# samples must meet in PROMETHEUS_MULTIPROC_DIR (an empty directory per worker; also for several gunicorn workers).
CELERY_METRICS_PORT = env_int("CELERY_METRICS_PORT", 0, minimum=0)
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")
if CELERY_METRICS_PORT and not PROMETHEUS_MULTIPROC_DIR:
    raise ConfigurationError("CELERY_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR: the prefork children count tasks")

# --- Auth ------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

# --- i18n / static -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
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
# With DEBUG, static files are found through the apps' finders and looked up per request, as Django's own server
# does. Said outright, because tests run with DEBUG switched off at run time and WhiteNoise would then scan every
# static file again for each test client's middleware.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG

# --- Production safety ---------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG and env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS only when DEBUG is off (`manage.py check --deploy` clean, tests/deploy/test_check_deploy.py): plain-HTTP
# requests are redirected, except the probes and Prometheus' scrapes, which reach the pods directly; browsers are
# told to stay on HTTPS for SECURE_HSTS_SECONDS (an hour by default: raise it once every host name serves HTTPS).
SECURE_SSL_REDIRECT = not DEBUG and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 3600, minimum=0)
# The site is usually one host of the facility's domain: HSTS for every subdomain, or the browsers' preload list,
# is the domain owner's decision, never this application's (check --deploy's W005 and W021).
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# --- REST API --------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["catalogue.api.permissions.ReadForAllWriteForStewards"],
    "DEFAULT_PARSER_CLASSES": [
        "catalogue.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "catalogue.api.filters.RefuseUnknownParameters",
        "django_filters.rest_framework.DjangoFilterBackend",
        "catalogue.api.filters.CheckedOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "catalogue.api.pagination.CheckedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "catalogue.api.schema.CatalogueAutoSchema",
    "EXCEPTION_HANDLER": "catalogue.api.errors.exception_handler",
}
API_MAX_LIMIT = env_int("API_MAX_LIMIT", 1000, minimum=1)  # the largest `limit` of a REST API list (400 above)
SPECTACULAR_SETTINGS = {
    "TITLE": "PaN Commons catalogue API",
    "DESCRIPTION": "Read the facility catalogue; stewards and acquisition systems write it.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Facility and data policy (access-policy.md) -------------------------------------------------------------
HOME_FACILITY = env_str("HOME_FACILITY", "PaN Commons Demo")
EMBARGO_PERIOD_YEARS = env_int("EMBARGO_PERIOD_YEARS", 3, minimum=0)
EMBARGOED_METADATA = env_choice("EMBARGOED_METADATA", "hidden", ("hidden", "visible"))
DEFAULT_LICENCE = env_str("DEFAULT_LICENCE", "CC-BY-4.0")
PANET_TERMS_FILE = env_path("PANET_TERMS_FILE", BASE_DIR / "catalogue" / "data" / "PaNET-terms.tsv")
NEXUS_SAMPLES_DIR = env_path("NEXUS_SAMPLES_DIR", BASE_DIR.parent / "shared" / "nexus-samples")
CHECKSUM_ALGORITHM = env_choice("CHECKSUM_ALGORITHM", "blake2b", ("blake2b", "sha256", "md5"))
INGEST_WATCH_DIRS = env_list("INGEST_WATCH_DIRS", [])
INGEST_STABLE_SECONDS = env_int("INGEST_STABLE_SECONDS", 30, minimum=0)
INGEST_LARGE_FILE_BYTES = env_int("INGEST_LARGE_FILE_BYTES", 256 * 1024 * 1024, minimum=0)
# Free NXcollection/NXnote scalars recorded per entry beyond the named parameters; fewer is faster on the few files
# that carry hundreds (about 45 µs each); 200 records them all in every sample file (README: ingestion beside the
# ESS scicat-ingestor).
INGEST_FREE_SCALARS = env_int("INGEST_FREE_SCALARS", 200, minimum=0)
# HDF5 files are read by a child of each worker and web process (catalogue/isolation.py), replaced after
# READER_MAX_FILES reads; a worker stops it after INGEST_READ_TIMEOUT s on one file (libhdf5 can loop for ever on a
# damaged file), the viewer after VIEWER_READ_TIMEOUT s on one request.
READER_MAX_FILES = env_int("READER_MAX_FILES", 200, minimum=1)
INGEST_READ_TIMEOUT = env_int("INGEST_READ_TIMEOUT", 300, minimum=1)
# FAIR score: a change touching at most this many datasets is rescored right after its commit, more by a worker.
FAIR_INLINE_DATASETS = env_int("FAIR_INLINE_DATASETS", 200, minimum=0)
PANOSC_NO_QUERY_SCORE = env_float("PANOSC_NO_QUERY_SCORE", 0.5)
if not 0 < PANOSC_NO_QUERY_SCORE < 1:
    raise ConfigurationError("PANOSC_NO_QUERY_SCORE must lie strictly between 0 and 1")

# DataCite: without credentials DOIs stay local drafts under DATACITE_PREFIX.
DATACITE_API_URL = env_str("DATACITE_API_URL", "https://api.test.datacite.org")
DATACITE_USERNAME = env_str("DATACITE_USERNAME")
DATACITE_PASSWORD = env_str("DATACITE_PASSWORD")
DATACITE_PREFIX = env_str("DATACITE_PREFIX", "10.80000")

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "data-office@localhost")

# LOG_FORMAT=json: one JSON object per record (for Loki, Elasticsearch...), with the request id or task id.
LOGGING = logging_config(
    level=env_str("LOG_LEVEL", "INFO"), json_lines=env_choice("LOG_FORMAT", "text", ("text", "json")) == "json"
)

# --- Access: login (local accounts, optional OpenID Connect), downloads, embargo life cycle ----------------------
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Whole-dataset zips above this size are refused in favour of the facility's bulk route (Globus/SFTP).
DOWNLOAD_ZIP_MAX_BYTES = env_int("DOWNLOAD_ZIP_MAX_BYTES", 20 * 1024**3, minimum=0)
EMBARGO_REMINDER_DAYS = env_int("EMBARGO_REMINDER_DAYS", 30, minimum=1)
ACCESS_GRANT_DEFAULT_DAYS = env_int("ACCESS_GRANT_DEFAULT_DAYS", 365, minimum=1)
FIXITY_BATCH_SIZE = env_int("FIXITY_BATCH_SIZE", 500, minimum=1)
FIXITY_INTERVAL_DAYS = env_int("FIXITY_INTERVAL_DAYS", 90, minimum=1)
# Where access requests go besides the PI (the data office); empty = the stewards' own e-mail addresses.
DATA_OFFICE_EMAIL = env_str("DATA_OFFICE_EMAIL")

# This repository as the host of data management plans (RDA DMP Common Standard 1.2, dataset.distribution.host).
REPOSITORY_CERTIFICATION = env_choice(
    "REPOSITORY_CERTIFICATION",
    "",
    ("", "coretrustseal", "din31644", "dini-zertifikat", "dsa", "iso16363", "iso16919", "trac", "wds"),
)
REPOSITORY_COUNTRY = env_str("REPOSITORY_COUNTRY").upper()  # ISO 3166-1 alpha-2; empty: the facility's country
if REPOSITORY_COUNTRY and not re.fullmatch(r"[A-Z]{2}", REPOSITORY_COUNTRY):
    raise ConfigurationError("REPOSITORY_COUNTRY must be an ISO 3166-1 alpha-2 code such as CH")
REPOSITORY_STORAGE_TYPE = env_str("REPOSITORY_STORAGE_TYPE", "facility disk storage")

# OpenID Connect (UmbrellaID, eduTEAMS, Keycloak): enabled when OIDC_OP_ISSUER and OIDC_RP_CLIENT_ID are set.
# Endpoints come from the issuer's discovery document unless given one by one.
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your institution (PaN AAI)")
OIDC_ENABLED = bool(OIDC_OP_ISSUER and OIDC_RP_CLIENT_ID)
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email profile")
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10, minimum=1)
OIDC_STORE_ID_TOKEN = True  # needed for the provider's end-session (logout) call
OIDC_AUTHENTICATE_CLASS = "landing.access.oidc.AuthenticationRequestView"
OIDC_OP_LOGOUT_URL_METHOD = "landing.access.oidc.provider_logout_url"
LOGIN_REDIRECT_URL_FAILURE = "/login/?failed=oidc"
# Claim mapping: each value of OIDC_GROUPS_CLAIM matching OIDC_GROUP_PATTERN joins the Django group named by its
# `group` match; a value matching OIDC_PROPOSAL_PATTERN makes the user a member of the proposal whose number is the
# `proposal` match (eduTEAMS/AARC entitlements look like urn:mace:…:group:pan:proposal:mx1234#aai.example).
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "eduperson_entitlement")
OIDC_GROUP_PATTERN = env_str("OIDC_GROUP_PATTERN", r"^urn:[^#]*:group:pan:group:(?P<group>[\w.-]+)(#.*)?$")
OIDC_PROPOSAL_PATTERN = env_str("OIDC_PROPOSAL_PATTERN", r"^urn:[^#]*:group:pan:proposal:(?P<proposal>[\w.-]+)(#.*)?$")
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.insert(0, "landing.access.oidc.AuthenticationBackend")

# --- Landing pages and DataCite (landing app) -----------------------------------------------------------------
# Quick retries inside one DataCite call; longer outages are retried by the Celery task with back-off.
DATACITE_ATTEMPTS = 3
DATACITE_BACKOFF_SECONDS = 1.0

# Notebooks: "Open in …" beside the notebook download; {url} is the notebook's address, URL-encoded (empty: none).
# e.g. https://jupyter.example.eu/hub/user-redirect/lab?fromURL={url} or a Binder launch URL.
NOTEBOOK_HUB_URL = env_str("NOTEBOOK_HUB_URL")
NOTEBOOK_HUB_NAME = env_str("NOTEBOOK_HUB_NAME", "JupyterHub")
if NOTEBOOK_HUB_URL and "{url}" not in NOTEBOOK_HUB_URL:
    raise ConfigurationError("NOTEBOOK_HUB_URL must contain {url}, where the notebook's address goes")

# --- PaNOSC Search API (catalogue.panosc) ---------------------------------------------------------------------------
PANOSC_MAX_LIMIT = env_int("PANOSC_MAX_LIMIT", 1000, minimum=1)
# A pathological filter fails fast with 503 instead of holding a worker; the federation has given up by then.
PANOSC_STATEMENT_TIMEOUT_MS = env_int("PANOSC_STATEMENT_TIMEOUT_MS", 8000, minimum=100)

# --- H5Web viewer (landing.viewer): h5grove routes over the files a visitor may download ---------------------------
# One answer of /data holds at most this many bytes; bigger selections get a 400. H5Web asks for one whole image of a
# stack: a 16M-pixel Eiger frame as DLS i04 describes it (4362×4148 int64) is 138 MiB.
VIEWER_MAX_SLICE_BYTES = env_int("VIEWER_MAX_SLICE_BYTES", 256 * 1024**2, minimum=1)
# A read still running after this many seconds is stopped and answered with a 422 (a damaged file): below gunicorn's
# 30 s worker timeout, which would otherwise end the web process with every request it is serving.
VIEWER_READ_TIMEOUT = env_int("VIEWER_READ_TIMEOUT", 20, minimum=1)

# --- Knowledge graph (landing.graph): the Oxigraph store /sparql reads, shared by web and worker processes -----------
GRAPH_STORE_DIR = env_path("GRAPH_STORE_DIR", VAR_DIR / "graph")
SPARQL_TIMEOUT_SECONDS = env_float("SPARQL_TIMEOUT_SECONDS", 10.0)
SPARQL_MAX_RESULTS = env_int("SPARQL_MAX_RESULTS", 10_000, minimum=1)

# OAI-PMH (landing.oai, docs/harvesting.md): records per list page, hours a resumptionToken stays valid, the
# repositoryIdentifier of oai-identifiers (default: the SITE_URL host when it is a domain name), Identify's adminEmail.
OAI_PAGE_SIZE = env_int("OAI_PAGE_SIZE", 100, minimum=1)
OAI_TOKEN_HOURS = env_int("OAI_TOKEN_HOURS", 24, minimum=1)
OAI_REPOSITORY_IDENTIFIER = env_str("OAI_REPOSITORY_IDENTIFIER")
OAI_ADMIN_EMAIL = env_str("OAI_ADMIN_EMAIL", DATA_OFFICE_EMAIL or "data-office@example.org")
