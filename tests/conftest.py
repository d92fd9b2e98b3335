"""Shared fixtures: a small world (an organizer, two participants, a running
competition with generated data), and the real processes integration tests
need (Redis, a Celery worker)."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files import File
from django.utils import timezone

from competitions.demo_data import Bundle, text_classification_bundle


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.MEDIA_ROOT = str(_shared_media(tmp_path_factory))
    # Password hashing is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A cache private to this process: tests need no Redis unless they use workers.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()  # rate-limit counters start afresh in every test


def _shared_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One folder per session, shared with worker processes through PODIUM_MEDIA_ROOT.
    return tmp_path_factory.getbasetemp() / "media"


@pytest.fixture(scope="session")
def text_bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    return text_classification_bundle(tmp_path_factory.mktemp("bundle") / "topic", n_train=200, n_test=300)


@pytest.fixture
def organizer(django_user_model):
    return django_user_model.objects.create_user("olga", password="organizer-pass-1", is_staff=True)


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-pass-1")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="bob-pass-1")


@pytest.fixture
def competition(text_bundle: Bundle, organizer):
    """A running text-classification competition with truth and public files."""
    from competitions.models import Competition, CompetitionFile

    now = timezone.now()
    competition = Competition.objects.create(
        slug="topic",
        title="Topic",
        task="text-classification",
        rules="Be nice.",
        start_at=now - timedelta(days=1),
        end_at=now + timedelta(days=30),
        classes=["food", "sports", "technology", "travel"],
        daily_submission_limit=3,
        published_at=now - timedelta(days=1),
    )
    competition.organizers.add(organizer)
    with open(text_bundle.path / "truth.csv", "rb") as handle:
        competition.truth_file.save("truth.csv", File(handle), save=True)
    for name in ("train.csv", "test.csv", "sample_submission.csv"):
        with open(text_bundle.path / "public" / name, "rb") as handle:
            item = CompetitionFile(competition=competition, name=name)
            item.file.save(name, File(handle), save=False)
            item.save()
    return competition


@pytest.fixture
def alice_joined(competition, alice):
    from teams.services import membership_join

    return membership_join(competition=competition, user=alice, accept_rules=True)


def upload(path: Path, name: str | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="text/csv")


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


# --- real processes -------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Redis the tests use: REDIS_URL if set (CI's system Redis), else an embedded one."""
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    with embedded_redis(Path("/tmp") / f"podium-test-redis-{os.getpid()}.sock") as url:
        yield url


@contextmanager
def embedded_redis(socket_path: Path) -> Iterator[str]:
    """A private redis-server for the length of the block; yields its URL."""
    from podium.devstack import EmbeddedRedis

    server = EmbeddedRedis(socket_path).start()
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def private_broker(socket_path: Path, restore_url: str) -> Iterator[str]:
    """An embedded Redis that this process publishes to during the block: no other test's worker takes its tasks."""
    from workers.app import app

    with embedded_redis(socket_path) as url:
        _point_app_at(app, url)
        try:
            yield url
        finally:
            _point_app_at(app, restore_url)


def _database_url() -> str:
    from django.db import connection

    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    auth = config.get("USER") or ""
    if config.get("PASSWORD"):
        auth += f":{config['PASSWORD']}"
    return f"postgres://{auth + '@' if auth else ''}{host}:{port}/{config['NAME']}"


@contextmanager
def _worker(queues: str, env: dict[str, str], log_path: Path, beat: bool = False) -> Iterator[object]:
    """A real Celery worker process (with the periodic sweep if `beat`), stopped with its children when the block ends."""
    from podium.devstack import start_worker, stop_process

    process = start_worker(queues=queues, concurrency=1, env=env, log_path=log_path, beat=beat)
    try:
        wait_for(lambda: b"ready." in log_path.read_bytes() if log_path.exists() else False, timeout=60)
        yield process
    finally:
        stop_process(process)


def _worker_env(redis_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from django.conf import settings as django_settings

    return {
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "PODIUM_MEDIA_ROOT": str(_shared_media(tmp_path_factory)),
        "PODIUM_VAR_DIR": str(django_settings.VAR_DIR),
    }


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, redis_url: str, tmp_path_factory: pytest.TempPathFactory):
    """A real `celery -A workers worker -Q scoring` process on the test database."""
    from workers.app import app

    with django_db_blocker.unblock():
        database_url = _database_url()
    _point_app_at(app, redis_url)
    _purge(redis_url)
    env = _worker_env(redis_url, database_url, tmp_path_factory)
    with _worker("scoring", env, tmp_path_factory.getbasetemp() / "worker.log") as process:
        yield process


def _point_app_at(app, redis_url: str) -> None:
    """Make this process's Celery app publish to the test broker (its pool is rebuilt on next use)."""
    from kombu import pools

    app.conf.broker_url = redis_url
    # The app's pools are kombu's global ones (per broker URL): close and forget them all,
    # so that every later publish gets a fresh pool for the URL now configured.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def _purge(redis_url: str) -> None:
    from workers.app import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("scoring")


@pytest.fixture(scope="session")
def inference_worker(celery_worker, redis_url: str, tmp_path_factory: pytest.TempPathFactory):
    """A real `celery -A workers worker -Q inference`, given no usable database: it must need none."""
    env = _worker_env(redis_url, "postgres://nobody:nothing@127.0.0.1:1/no-database", tmp_path_factory)
    with _worker("inference", env, tmp_path_factory.getbasetemp() / "inference-worker.log") as process:
        yield process


@pytest.fixture(scope="session")
def programs_worker(celery_worker, django_db_blocker, redis_url: str, tmp_path_factory: pytest.TempPathFactory):
    """A real `celery -A workers worker -Q programs`: organizers' scoring programs, in the sandbox."""
    with django_db_blocker.unblock():
        database_url = _database_url()
    env = _worker_env(redis_url, database_url, tmp_path_factory)
    with _worker("programs", env, tmp_path_factory.getbasetemp() / "programs-worker.log") as process:
        yield process


@pytest.fixture
def web_server(celery_worker, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The production web server (uvicorn, podium.asgi) on the test database, with a scoring worker; yields its URL.

    (Django's test server queues only five connections and cannot hold event streams.)
    """
    with serving(redis_url, tmp_path, tmp_path_factory, workers=3) as (url, _):
        yield url


@contextmanager
def serving(redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, *,
            workers: int) -> Iterator[tuple[str, int]]:
    """uvicorn with `workers` processes on the test database, until the block ends: (its URL, its pid)."""
    import requests

    from podium.devstack import start_web, stop_process

    port = free_port()
    env = _worker_env(redis_url, _database_url(), tmp_path_factory)
    process = start_web(bind=f"127.0.0.1:{port}", workers=workers, env=env, log_path=tmp_path / "web.log")
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(f"{url}/api/v1/competitions/", timeout=5).ok
        except requests.RequestException:
            return False

    try:
        wait_for(answers, timeout=60)
        yield url, process.pid
    finally:
        stop_process(process)
