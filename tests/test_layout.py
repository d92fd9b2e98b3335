"""The layout the architecture promises (README, "What is here"): core/ is the ground floor, importing no app;
podium/ is the wiring, imported by no app; workers/ is the Celery app's wiring and the model runner, importing no
platform app and no Django but in workers/app.py; each app's Celery tasks live in that app; and no circle of
imports joins any two files, whether the imports sit at the top or in a function."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = {"accounts", "api", "competitions", "discussions", "leaderboards", "notifications", "profiles", "submissions", "teams"}
PLATFORM = APPS | {"core", "podium"}


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT / "platform" if path.is_relative_to(ROOT / "platform") else ROOT)
    parts = list(relative.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_files() -> dict[str, Path]:
    files = [*(ROOT / "platform").rglob("*.py"), *(ROOT / "workers").rglob("*.py"), *(ROOT / "scoring").rglob("*.py")]
    return {module_name(path): path for path in files if "migrations" not in path.parts}


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The project modules a file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from workers import names` imports the module workers.names; `from workers.names import X`, workers.names.
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [name for name in submodules if name in modules] or [node.module]
        found |= {name for name in names if name in modules}
    return found


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a file imports, anywhere in it (relative imports stay inside the package)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_ground_floor_imports_no_app_and_not_the_wiring() -> None:
    offenders = [f"{name}: {package}" for name, path in project_files().items() if name.split(".")[0] == "core"
                 for package in sorted(imported_packages(path) & (APPS | {"podium"}))]
    assert offenders == []


def test_no_app_imports_the_wiring() -> None:
    offenders = [f"{name}: podium" for name, path in project_files().items()
                 if name.split(".")[0] in APPS | {"core", "workers", "scoring"} and "podium" in imported_packages(path)]
    assert offenders == []


def test_workers_imports_no_platform_app_and_no_django_but_in_its_app_module() -> None:
    modules = project_files()
    offenders = []
    for name, path in modules.items():
        if not name.startswith("workers") or name == "workers.app":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            offenders += [f"{name}: {t}" for t in targets if t.split(".")[0] in PLATFORM | {"django", "rest_framework"}]
    assert offenders == []


def test_each_apps_tasks_live_in_that_app() -> None:
    from workers import names
    from workers.app import app

    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    declared = {value for key, value in vars(names).items() if key.isupper() and isinstance(value, str)
                and value.startswith("workers.tasks.")}
    assert declared <= set(tasks)
    homes = {tasks[name].__module__ for name in declared}
    assert homes == {"submissions.tasks", "notifications.tasks", "workers.tasks"}
    assert [name for name in declared if tasks[name].__module__ == "workers.tasks"] == [names.RUN_INFERENCE]


def test_no_circle_of_imports_joins_two_files() -> None:
    modules = project_files()
    graph = {name: imports_of(path, set(modules)) - {name} for name, path in modules.items()}
    circles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                circles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert circles == []


def test_every_app_is_packaged_type_checked_and_known_first_party() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packaged = {name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    checked = set(project["tool"]["mypy"]["packages"])
    first_party = set(project["tool"]["ruff"]["lint"]["isort"]["known-first-party"])
    assert APPS - packaged == set() and APPS - checked == set() and APPS - first_party == set()


def test_the_scoring_and_worker_tests_use_no_database_and_no_redis() -> None:
    """What lets CI's PostgreSQL pass leave them out (.ci/run): they would run the same there."""
    markers = ("django_db", "celery_worker", "inference_worker", "programs_worker", "redis_url", "live_server",
               "web_server", "transactional_db", "django_user_model", ".objects.")
    offenders = [f"{path.relative_to(ROOT)}: {marker}" for folder in ("scoring", "workers")
                 for path in sorted((ROOT / "tests" / folder).rglob("*.py")) for marker in markers
                 if marker in path.read_text()]
    assert offenders == []
