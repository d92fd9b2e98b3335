"""Production settings, outside docker: what docker/compose.yaml runs, as processes on this machine.

DEBUG off and the TLS settings of docker/.env.example, uvicorn serving the app
and its static files on the test database (PostgreSQL in CI's second pass), a
scoring worker and an inference worker on Redis, files in S3-compatible object
storage (a real S3 API server from moto), and one submission of each kind
scored through the HTTP API. The inference worker is given no database and an
empty media folder: it reaches models and test inputs through S3 only.
"""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import yaml

from tests.conftest import _database_url, embedded_redis, free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "podium-smoke"
HEALTH_TOKEN = "probe-" + "t" * 30
HTTPS = {"X-Forwarded-Proto": "https"}  # as the TLS proxy in front of the web server sends



@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request otherwise

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="smoke",
                 aws_secret_access_key="smoke").create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def private_redis(redis_url: str, tmp_path: Path) -> Iterator[str]:
    """A broker no other test's worker listens to: another database of CI's Redis, or an embedded one."""
    if redis_url.startswith("redis://"):
        yield urlunsplit(urlsplit(redis_url)._replace(path="/14"))
        return
    with embedded_redis(Path("/tmp") / f"podium-smoke-{os.getpid()}.sock") as url:
        yield url


@pytest.fixture
def production_env(s3_endpoint: str, private_redis: str, tmp_path: Path) -> dict[str, str]:
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "smoke-test-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "BEHIND_TLS_PROXY": "1",
        "SECURE_COOKIES": "1",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "3600",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": private_redis,
        "PODIUM_VAR_DIR": str(tmp_path / "var"),
        "PODIUM_MEDIA_ROOT": str(tmp_path / "media"),
        "PODIUM_STORAGE": "s3",
        "PODIUM_S3_BUCKET": BUCKET,
        "PODIUM_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "smoke",
        "AWS_SECRET_ACCESS_KEY": "smoke",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PODIUM_HEALTH_TOKEN": HEALTH_TOKEN,
    }
    (tmp_path / "media").mkdir()
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    from podium.devstack import python_env

    environment = python_env(env)
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests for their own process only
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=180)


@contextmanager
def _running_stack(production_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """uvicorn, a scoring worker and an inference worker with production settings; yields the base URL."""
    from podium.devstack import start_web, start_worker, stop_process

    logs = tmp_path / "logs"
    logs.mkdir()
    port = free_port()
    no_database = {**production_env, "DATABASE_URL": "postgres://nobody:nothing@127.0.0.1:1/no-database"}
    processes = [
        start_web(bind=f"127.0.0.1:{port}", env=production_env, log_path=logs / "web.log"),
        start_worker(queues="scoring", env=production_env, log_path=logs / "scoring.log"),
        start_worker(queues="inference", env=no_database, log_path=logs / "inference.log"),
    ]
    try:
        for name in ("scoring.log", "inference.log"):
            wait_for(lambda: b"ready." in (logs / name).read_bytes() if (logs / name).exists() else False, timeout=90)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(url), timeout=60)
        yield url
    finally:
        for process in processes:
            stop_process(process)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/health/", headers=HTTPS, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def _declare_huge_upload(url: str, path: str, token: str) -> tuple[int, float]:
    """POST headers that declare a 10 GB body, send none, and return the status and the seconds until it came."""
    parts = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall("\r\n".join([
            f"POST {path} HTTP/1.1", f"Host: {parts.hostname}", "X-Forwarded-Proto: https", f"Authorization: Token {token}",
            "Content-Type: multipart/form-data; boundary=x", f"Content-Length: {10 * 1024**3}", "", "",
        ]).encode())
        status_line = connection.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1]), time.monotonic() - started


def _wait_scored(url: str, token: str, submission_id: int) -> dict[str, object]:
    def finished() -> dict[str, object] | None:
        body = requests.get(f"{url}/api/v1/submissions/{submission_id}/", headers={**HTTPS, "Authorization": f"Token {token}"},
                            timeout=10).json()
        return body if body["status"] in ("scored", "failed") else None

    return wait_for(finished, timeout=120, interval=0.2)


def test_production_settings_pass_djangos_deploy_checks(production_env: dict[str, str]) -> None:
    checked = _manage(production_env, "check", "--deploy", "--fail-level", "WARNING")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues" in checked.stdout


def test_one_submission_of_each_kind_is_scored_with_production_settings_and_object_storage(
    production_env: dict[str, str], text_bundle, django_user_model, tmp_path: Path
) -> None:
    import boto3
    import torch

    from examples import text_classification

    assert _manage(production_env, "collectstatic", "--noinput").returncode == 0
    imported = _manage(production_env, "import_competition", str(text_bundle.path))
    assert imported.returncode == 0, imported.stderr
    # Created by the production settings, so the password is hashed with Django's default hasher.
    created_user = _manage(production_env, "shell", "-c", "from django.contrib.auth.models import User; "
                           "User.objects.create_user('carol', password='carol-pass-1')")
    assert created_user.returncode == 0, created_user.stderr
    assert django_user_model.objects.get(username="carol").password.startswith("pbkdf2_sha256$")
    model_file = tmp_path / "model.pt"
    meta = yaml.safe_load((text_bundle.path / "competition.yaml").read_text())
    torch.jit.save(text_classification.build(text_bundle.path / "public", {"classes": meta["classes"]}), str(model_file))

    with _running_stack(production_env, tmp_path) as url:
        plain = requests.get(f"{url}/", allow_redirects=False, timeout=10)
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
        login_page = requests.get(f"{url}/accounts/login/", headers=HTTPS, timeout=10)
        assert "Secure" in login_page.headers["Set-Cookie"] and "Strict-Transport-Security" in login_page.headers
        missing = requests.get(f"{url}/no-such-page/", headers=HTTPS, timeout=10)
        assert missing.status_code == 404 and "Traceback" not in missing.text and "DEBUG" not in missing.text
        static = Path(production_env["PODIUM_VAR_DIR"]) / "static"
        stylesheet = next(static.rglob("*.css")).relative_to(static)
        assert requests.get(f"{url}/static/{stylesheet.as_posix()}", headers=HTTPS, timeout=10).status_code == 200

        token = requests.post(
            f"{url}/api/v1/auth/token/", json={"username": "carol", "password": "carol-pass-1"}, headers=HTTPS, timeout=10
        ).json()["token"]
        auth = {**HTTPS, "Authorization": f"Token {token}"}
        slug = meta["slug"]
        assert requests.post(f"{url}/api/v1/competitions/{slug}/join/", json={"accept_rules": True}, headers=auth, timeout=10).ok
        ids = []
        for kind, path in (("predictions", text_bundle.baselines["Keyword Voters"]), ("model", model_file)):
            with open(path, "rb") as handle:
                created = requests.post(
                    f"{url}/api/v1/competitions/{slug}/submissions/", files={"file": handle}, data={"kind": kind}, headers=auth, timeout=30
                )
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        results = [_wait_scored(url, token, submission_id) for submission_id in ids]
        status, seconds = _declare_huge_upload(url, f"/api/v1/competitions/{slug}/submissions/", token)
        assert status == 413 and seconds < 5, "a 10 GB upload must be refused from its headers, its body never sent"
        anonymous = requests.get(f"{url}/health/", headers=HTTPS, timeout=10).json()
        health = requests.get(f"{url}/health/", headers={**HTTPS, "Authorization": f"Bearer {HEALTH_TOKEN}"}, timeout=10).json()

    for result in results:
        assert result["status"] == "scored", result["error"]
        assert result["public_score"] > 0.7
    assert anonymous == {"status": "ok"}  # no host names or queue lengths for anyone
    assert health["workers"]["scoring"] and health["workers"]["inference"]
    keys = {
        item["Key"]
        for item in boto3.client(
            "s3",
            endpoint_url=production_env["PODIUM_S3_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="smoke",
            aws_secret_access_key="smoke",
        ).list_objects_v2(Bucket=BUCKET)["Contents"]
    }
    assert any(key.startswith(f"competitions/{slug}/truth/") for key in keys)
    assert sum(key.startswith(f"submissions/{slug}/") for key in keys) == 2
    assert f"predictions/{slug}/{ids[1]}.csv" in keys
    assert not any(Path(production_env["PODIUM_MEDIA_ROOT"]).rglob("*")), "files were written to local media"
