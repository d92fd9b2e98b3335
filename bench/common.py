"""Helpers shared by the benchmarks: timing, memory, and a table printer."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "platform", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure_in_child(code: str) -> tuple[float, float, str]:
    """Run `code` in a fresh interpreter; returns (seconds, peak RSS in MB, its stdout).

    A fresh process makes peak-memory figures comparable: each starts from the same baseline.
    The code must print `SECONDS=<float>` on its own line.
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "platform")]))
    # VmHWM (peak RSS of this address space) starts afresh at exec; ru_maxrss
    # would report the parent's peak if that was higher.
    wrapper = (
        f"{code}\n"
        "print('PEAK_KB=' + next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
    )
    result = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, env=env, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line and line.split("=")[0].isupper())
    return float(values["SECONDS"]), int(values["PEAK_KB"]) / 1024, result.stdout


def print_table(title: str, header: list[str], rows: list[list[object]]) -> None:
    cells = [header] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    print("  " + "  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths)))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)




POSTGRES = "postgres://postgres@127.0.0.1:5432/test"


def postgres_beside(name: str) -> str | None:
    """A fresh database `name` beside the configured PostgreSQL (DATABASE_URL, else POSTGRES); None where none answers."""
    url = os.environ.get("DATABASE_URL", POSTGRES)
    if not url.startswith("postgres"):
        return None
    try:
        import psycopg

        with psycopg.connect(url, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name}")
            connection.execute(f"CREATE DATABASE {name}")
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: SQLite only
        print(f"  PostgreSQL not measured ({exc.__class__.__name__})", file=sys.stderr)
        return None
    return url.rpartition("/")[0] + f"/{name}"


def django_child(script: Path, database: str | None) -> dict:  # type: ignore[type-arg]
    """Run `script --child` in a fresh process on a fresh var dir and database (SQLite, or `database`);
    returns the JSON it prints last. Its stderr lines starting with two spaces are passed on."""
    import json
    import tempfile

    var = Path(tempfile.mkdtemp(prefix="podium-bench-"))
    env = dict(os.environ, PODIUM_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="podium.settings",
               PYTHONPATH=os.pathsep.join([str(ROOT / "platform"), str(ROOT), str(ROOT / "bench")]),
               # No Redis needed: announcing a change is best effort, and this measures the database's side.
               REDIS_URL="redis://127.0.0.1:1/0")
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = database
    result = subprocess.run([sys.executable, str(script), "--child"], env=env, cwd=ROOT, capture_output=True, text=True)
    sys.stderr.write("\n".join(line for line in result.stderr.splitlines() if line.startswith("  ")) + "\n")
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def on_each_database(script: Path, name: str) -> dict[str, dict]:  # type: ignore[type-arg]
    """`script --child`'s figures on SQLite, and on a fresh PostgreSQL database `name` where one answers."""
    backends = {"SQLite": django_child(script, None)}
    postgres = postgres_beside(name)
    if postgres:
        backends["PostgreSQL"] = django_child(script, postgres)
    return backends


def small_large_rows(backends: dict[str, dict[str, dict[str, float]]]) -> list[list[object]]:
    """Per database and measure: the small figure (the reference), the large one, their ratio and difference."""
    rows: list[list[object]] = []
    for backend, figures in backends.items():
        small, large = figures["small"], figures["large"]
        for measure in small:
            ratio = large[measure] / small[measure] if small[measure] else float("nan")
            rows.append([backend, measure, f"{small[measure]:.2f}", f"{large[measure]:.2f}", f"{ratio:.2f}×",
                         f"{large[measure] - small[measure]:+.2f}"])
    return rows


def size_table(script: Path, database: str, title: str, sizes: tuple[str, str]) -> dict[str, dict]:  # type: ignore[type-arg]
    """A benchmark's `main`: its child on each database, then one table of small against large."""
    backends = on_each_database(script, database)
    print_table(title, ["database", "measure", *sizes, "ratio", "difference"], small_large_rows(backends))
    return backends
