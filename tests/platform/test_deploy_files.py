"""docker/: checked structurally, since no Docker engine runs where the tests run.

The compose file must describe the production topology (services, images,
commands, volumes, the GPU reservation, health checks, restart policies), and
every setting Podium reads must be documented in docker/.env.example.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
ONE_SHOT = {"migrate", "minio-bucket"}


class _StrictLoader(yaml.SafeLoader):
    """Refuses a key given twice in one mapping, as `docker compose` does (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode) and not key.value == "<<"]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise yaml.constructor.ConstructorError(None, None, f"{repeated} given twice", node.start_mark)
        return super().construct_mapping(node, deep=deep)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.load((DOCKER / "compose.yaml").read_text(), Loader=_StrictLoader)


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _settings_read() -> set[str]:
    """Every environment variable the settings and the workers read."""
    names: set[str] = set()
    sources = [ROOT / "platform" / "podium" / "settings.py", *sorted((ROOT / "workers").glob("*.py"))]
    for source in sources:
        text = source.read_text()
        names |= set(re.findall(r"env_\w+\(\s*\"([A-Z][A-Z0-9_]+)\"", text))
        names |= set(re.findall(r"os\.environ\.get\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']", text))
    return names - {"PYTHONPATH", "DJANGO_SETTINGS_MODULE"}


def _documented() -> set[str]:
    text = (DOCKER / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.M))


def test_the_production_services_are_all_there(compose: dict) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "scoring-worker", "inference-worker", "beat"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "--appendonly yes" in _command(services["redis"]), "Redis must persist its queue"


def test_commands_match_the_readme(compose: dict) -> None:
    services = compose["services"]
    readme = (ROOT / "README.md").read_text()
    assert _command(services["web"]).startswith("uvicorn podium.asgi:application")
    assert "--no-proxy-headers" in _command(services["web"]), "client addresses come from PODIUM_TRUSTED_PROXIES only"
    for name, queue in (("scoring-worker", "scoring"), ("inference-worker", "inference")):
        command = f"celery -A workers worker -Q {queue}"
        assert _command(services[name]).startswith(command)
        assert command in readme
    assert _command(services["beat"]).startswith("celery -A workers beat")
    assert _command(services["migrate"]) == "python manage.py migrate --noinput"


def test_long_running_services_restart_and_report_health(compose: dict) -> None:
    for name, service in compose["services"].items():
        if name in ONE_SHOT:
            assert service["restart"] == "no"
            continue
        assert service.get("restart") in ("always", "unless-stopped"), name
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_volumes_are_named_and_declared(compose: dict) -> None:
    declared = set(compose["volumes"])
    assert {"pgdata", "redisdata", "media"} <= declared
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source in declared, f"{name} mounts {source}, which is not a named volume"
    assert any(m.startswith("pgdata:") for m in compose["services"]["postgres"]["volumes"])
    assert any(m.startswith("redisdata:") for m in compose["services"]["redis"]["volumes"])


def test_the_inference_worker_reserves_a_gpu_and_gets_no_database(compose: dict) -> None:
    worker = compose["services"]["inference-worker"]
    assert worker["deploy"]["resources"]["limits"]["memory"]  # its cgroup is read-only inside: no cgroup per run
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert any("gpu" in device["capabilities"] and device["driver"] == "nvidia" for device in devices)
    assert worker["build"]["dockerfile"] == "docker/Dockerfile.inference"
    assert "DATABASE_URL" not in worker.get("environment", {}) and "env_file" not in worker
    assert "SECRET_KEY" not in worker.get("environment", {})
    network = worker["networks"][0]
    assert compose["networks"][network]["internal"] is True, "models must have no route out"


def test_images_build_from_the_repository_with_the_pinned_torch() -> None:
    pinned = re.search(r"^torch==(\S+)$", (ROOT / "constraints.txt").read_text(), flags=re.M).group(1)
    for dockerfile in ("Dockerfile", "Dockerfile.inference"):
        text = (DOCKER / dockerfile).read_text()
        assert f"torch=={pinned}" in text, dockerfile
        for source in re.findall(r"^COPY (.+) \S+$", text, flags=re.M):
            for path in source.split():
                assert (ROOT / path).exists(), f"{dockerfile} copies {path}, which does not exist"
    inference = (DOCKER / "Dockerfile.inference").read_text()
    assert re.search(r"CUDA_IMAGE=nvidia/cuda:\S+", inference) and "FROM ${CUDA_IMAGE}" in inference
    assert "whl/cu" in inference, "the CUDA build of torch"
    web = (DOCKER / "Dockerfile").read_text()
    assert "collectstatic" in web and '"uvicorn", "podium.asgi:application"' in web


def test_every_setting_is_documented_in_the_env_example(compose: dict) -> None:
    missing = _settings_read() - _documented()
    assert not missing, f"read by Podium but not in docker/.env.example: {sorted(missing)}"


def test_every_variable_compose_needs_is_set_or_defaulted(compose: dict) -> None:
    text = (DOCKER / "compose.yaml").read_text()
    example = (DOCKER / ".env.example").read_text()
    assigned = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    for name, modifier in re.findall(r"\$\{([A-Z][A-Z0-9_]+)(:?[-?][^}]*)?\}", text):
        if modifier.startswith((":?", "?")) or not modifier:
            assert name in assigned, f"compose requires {name}; docker/.env.example must set it"


def test_settings_load_from_the_env_example_alone(tmp_path: Path) -> None:
    """The example's values are valid for the settings module (typed readers fail loudly on bad ones)."""
    import os
    import subprocess
    import sys

    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", (DOCKER / ".env.example").read_text(), flags=re.M))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}, **values,
           "PODIUM_VAR_DIR": str(tmp_path), "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}"}
    shown = subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; django.setup(); "
         "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT)"],
        env={**env, "DJANGO_SETTINGS_MODULE": "podium.settings"}, capture_output=True, text=True, timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == ["False", "True", "True", "True"]


def test_the_gpu_image_has_torchvision_for_torch_and_onnxruntimes_cuda_provider() -> None:
    inference = (DOCKER / "Dockerfile.inference").read_text()
    torch_version = re.search(r"torch==(\d+)\.(\d+)\.\d+", inference)
    vision = re.search(r"torchvision==0\.(\d+)\.\d+", inference)
    assert torch_version and vision
    # torchvision 0.N pairs with torch 2.(N - 15): 0.24 with 2.9, 0.28 with 2.13.
    assert int(vision.group(1)) - 15 == int(torch_version.group(2))
    assert "pip uninstall -y onnxruntime" in inference and "onnxruntime-gpu" in inference


def test_a_buffering_proxy_with_client_timeouts_is_the_only_way_in(compose: dict) -> None:
    services = compose["services"]
    assert "ports" not in services["web"], "uvicorn must not face clients directly"
    assert services["proxy"]["image"].startswith("nginx:") and services["proxy"]["ports"]
    assert compose["configs"]["nginx"]["file"] == "./nginx.conf" and (DOCKER / "nginx.conf").is_file()
    assert services["web"]["environment"]["PODIUM_TRUSTED_PROXIES"] == "1"
    config = (DOCKER / "nginx.conf").read_text()
    for directive in ("proxy_request_buffering on;", "client_header_timeout 10s;", "client_body_timeout 20s;"):
        assert directive in config
    events = config[config.index("/events/$"):]
    assert "proxy_buffering off;" in events[:events.index("}")]
