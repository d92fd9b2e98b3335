"""The model sandbox holds against an attacker: every test runs the same attack without the sandbox
too (`unsandboxed=True`) and checks that it succeeds there, so each fails if the containment is removed."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import List

import pytest
import torch

from competitions.demo_data import Bundle
from tests.conftest import wait_for
from tests.workers.attacks import hits, intruder
from tests.workers.contained import run_python
from workers.inference import InferenceJob, InferenceResult, private_workdir, run_job
from workers.sandbox import LOG_BYTES, Limits, Outcome, run_contained, sandbox_check
from workers.storage import LocalFiles

CLASSES = ["food", "sports", "technology", "travel"]
MODES = [pytest.param(False, id="sandboxed"), pytest.param(True, id="unsandboxed-control")]


@pytest.fixture
def world(tmp_path: Path, text_bundle: Bundle) -> dict[str, Path]:
    """A worker host: stored files (truth, another team's model) and local state (database, secret key)."""
    media, var = tmp_path / "media", tmp_path / "var"
    public = media / "competitions" / "topic" / "public"
    shutil.copytree(text_bundle.path / "public", public)
    (media / "competitions" / "topic" / "truth").mkdir()
    shutil.copy(text_bundle.path / "truth.csv", media / "competitions" / "topic" / "truth" / "truth.csv")
    (media / "submissions").mkdir()
    (media / "submissions" / "other-team.pt").write_bytes(b"OTHER-TEAM-MODEL" * 4)
    var.mkdir()
    (var / "secret_key").write_text("SECRET-KEY-0123456789")
    (var / "podium.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    return {"media": media, "var": var, "truth": media / "competitions" / "topic" / "truth" / "truth.csv",
            "secret": var / "secret_key", "database": var / "podium.sqlite3",
            "other": media / "submissions" / "other-team.pt"}


def run_model(world: dict[str, Path], model: torch.jit.ScriptModule, *, unsandboxed: bool, batch_size: int = 64,
              **limits: int) -> InferenceResult:
    torch.jit.save(model, str(world["media"] / "submissions" / "model.pt"))
    job = InferenceJob(submission_id=1, task="text-classification", model="submissions/model.pt",
                       inputs="competitions/topic/public", output="predictions/out.csv", classes=CLASSES,
                       batch_size=batch_size, **{"wall_seconds": 120, "memory_mb": 2048, **limits})
    return run_job(job, files=LocalFiles(world["media"]), hidden=[world["media"], world["var"]], device="cpu",
                   unsandboxed=unsandboxed)


def test_this_worker_can_build_the_sandbox() -> None:
    status = sandbox_check(hidden=[])
    assert status.ok and status.mode == "bubblewrap", status.detail


SECRETS = {"truth": "id,label,Usage", "secret": "SECRET-KEY", "database": "SQLite format 3", "other": "OTHER-TEAM-MODEL"}


@pytest.fixture
def neighbour(world: dict[str, Path]) -> Iterator[int]:
    """Another process on the worker's host, as a worker is: its cwd in var/, the database open as fd 3."""
    code = (f"import os, time\nos.dup2(os.open({str(world['database'])!r}, os.O_RDONLY), 3)\n"
            "print('ready', flush=True)\ntime.sleep(120)")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=world["var"], stdout=subprocess.PIPE, pass_fds=())
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    yield process.pid
    process.kill()
    process.wait()


@pytest.mark.parametrize("unsandboxed", MODES)
def test_a_torchscript_model_probing_every_pid_reads_nothing_and_writes_nothing_that_survives(
    world: dict[str, Path], neighbour: int, unsandboxed: bool
) -> None:
    marker = f"podium-intruder-{os.getpid()}-{int(unsandboxed)}"
    site_packages = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    writes = [site_packages / f"{marker}.pth", Path("/tmp") / marker, Path("/dev/shm") / marker, world["media"] / marker]
    reads = [world["truth"], world["secret"], world["database"], world["other"]]
    relative = [str(world["truth"]).lstrip("/"), "secret_key"]  # under every /proc/<pid>/root and cwd
    model = intruder(reads=reads, writes=writes, relative=relative, classes=len(CLASSES), watch=[neighbour])
    try:
        result = run_model(world, model, unsandboxed=unsandboxed, batch_size=1000)
        survivors = [path for path in writes if path.exists()]
    finally:
        for path in writes:
            path.unlink(missing_ok=True)
    assert result.error is None, result.error
    tried, total = result.log.split("TRIED ")[1].split()[0:3:2]
    assert tried == total and int(total) > 400_000  # every attempt ran; the failed ones failed quietly
    leaked = {name for name, text in SECRETS.items() if text[:16] in result.log}
    if unsandboxed:  # the control: the same model gets everything, directly and through the neighbour's /proc
        assert leaked == set(SECRETS) and set(survivors) == set(writes), (
            f"leaked {sorted(leaked)}; survived {[str(path) for path in survivors]}; "
            f"the log's last lines: {result.log[-600:]}")
        found = "\n".join(hits(result.log))
        for path in (f"/proc/{neighbour}/root/{relative[0]}", f"/proc/{neighbour}/cwd/secret_key", f"/proc/{neighbour}/fd/3"):
            assert f"HIT {path} " in found, path
    else:
        assert leaked == set() and survivors == [], (leaked, survivors)
        assert not [line for line in hits(result.log) if line.startswith("WROTE ") and "/tmp/" not in line and "/dev/shm/" not in line]


@pytest.mark.parametrize("unsandboxed", MODES)
def test_no_other_process_is_visible_and_no_environment_leaks(unsandboxed: bool) -> None:
    # A neighbour on the worker's host whose environment holds a secret (a database URL, say).
    neighbour = subprocess.Popen(["sleep", "60"], env={"DATABASE_URL": "env-secret-42"})
    # Every pid's environ, fds, root and cwd, as any code could read them.
    probe = ("import os\npids = [p for p in os.listdir('/proc') if p.isdigit()]\nseen = []\n"
             "for p in pids:\n"
             "    for path in [f'/proc/{p}/environ', f'/proc/{p}/root/proc/self/environ', f'/proc/{p}/cwd/../proc/self/environ']"
             " + [f'/proc/{p}/fd/{fd}' for fd in range(64)]:\n"
             "        try:\n            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)\n"
             "            try: seen.append(os.read(fd, 1 << 16))\n            finally: os.close(fd)\n"
             "        except OSError: pass\n"
             "print('PIDS', len(pids), 'LEAK' if any(b'env-secret-42' in e for e in seen) else 'clean')")
    try:
        outcome = run_python(probe, unsandboxed=unsandboxed)
    finally:
        neighbour.kill()
        neighbour.wait()
    count = int(outcome.log.split("PIDS ")[1].split()[0])
    if unsandboxed:
        assert count > 5 and "LEAK" in outcome.log
    else:
        assert count <= 3 and "clean" in outcome.log, outcome.log  # bwrap's init and the model itself


@pytest.mark.parametrize("unsandboxed", MODES)
def test_the_model_has_no_network(unsandboxed: bool) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        probe = (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3); print('CONNECTED')\n"
                 "except OSError as e: print('NO', e)")
        outcome = run_python(probe, unsandboxed=unsandboxed)
    assert ("CONNECTED" in outcome.log) == unsandboxed, outcome.log
    assert unsandboxed or "NO " in outcome.log, outcome.log  # the probe ran, and its connection failed


@pytest.mark.parametrize("unsandboxed", MODES)
def test_the_model_runs_as_an_unprivileged_uid_of_its_own(unsandboxed: bool) -> None:
    """Seen from inside (uid, capabilities) and from the host (who owns the model's process)."""
    import threading

    marker = f"uid-probe-{os.getpid()}-{int(unsandboxed)}"
    probe = (
        f"import os, time\nprint('UID', os.getuid(), os.geteuid(), open('/proc/self/status').read()"
        f".split('CapEff:')[1].split()[0])\ntime.sleep(3)  # {marker}"
    )
    outcomes: list[Outcome] = []
    runner = threading.Thread(target=lambda: outcomes.append(run_python(probe, unsandboxed=unsandboxed)))
    runner.start()
    host_uids: set[int] = set()
    deadline = time.monotonic() + 20
    while not host_uids and time.monotonic() < deadline:
        for entry in os.scandir("/proc"):
            try:
                if entry.name.isdigit() and marker.encode() in Path(f"/proc/{entry.name}/cmdline").read_bytes():
                    host_uids.add(entry.stat().st_uid)
            except OSError:
                continue
        time.sleep(0.05)
    runner.join()
    uid, euid, caps = outcomes[0].log.split("UID ")[1].split()[:3]
    if unsandboxed:
        assert uid == str(os.getuid()) and host_uids == {os.getuid()}
    else:
        assert uid == euid != "0" and uid != str(os.getuid()) and int(caps, 16) == 0, outcomes[0].log
        assert host_uids and 0 not in host_uids and os.getuid() not in host_uids, host_uids


@pytest.mark.parametrize("unsandboxed", MODES)
def test_nothing_the_model_started_outlives_its_run(unsandboxed: bool) -> None:
    # A daemon in a new session, detached from everything: it must still die with the run.
    probe = (
        "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], "
        "start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\nprint('STARTED')"
    )
    before = {p for p in os.listdir("/proc") if p.isdigit()}
    outcome = run_python(probe, unsandboxed=unsandboxed)
    assert "STARTED" in outcome.log

    def sleepers() -> list[int]:
        found = []
        for pid in {p for p in os.listdir("/proc") if p.isdigit()} - before:
            try:
                if b"time.sleep(300)" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(int(pid))
            except OSError:
                continue
        return found

    # Sandboxed, the run's uid was emptied before run_contained returned: nothing to wait for. Unsandboxed, the
    # daemon shows once it has started its interpreter: wait for that.
    left = wait_for(sleepers, timeout=30) if unsandboxed else sleepers()
    for pid in left:
        os.kill(pid, 9)
    assert bool(left) == unsandboxed


def test_the_output_folder_caps_size_and_file_count_and_tmp_is_capped() -> None:
    code = (
        "import os\n"
        "def attempt(label, action):\n    try: action(); print(label, 'ok')\n    except OSError as e: print(label, 'refused', e.errno)\n"
        "attempt('files', lambda: [open(f'out/f{i}', 'w').close() for i in range(200)])\n"
        "attempt('big', lambda: open('out/big', 'wb').write(b'x' * (3 << 20)))\n"
        "attempt('tmp', lambda: open('/tmp/big', 'wb').write(b'x' * (40 << 20)))\n"
        "attempt('shm', lambda: open('/dev/shm/big', 'wb').write(b'x' * (40 << 20)))\n"
        "attempt('dev', lambda: open('/dev/evil', 'w').close())\n"
        "attempt('root', lambda: open('/evil', 'w').close())\n"
    )
    outcome = run_python(code, unsandboxed=False, limits=Limits(wall_seconds=30, output_mb=2, output_files=50, tmp_mb=16))
    for label in ("files", "big", "tmp", "shm", "dev", "root"):
        assert f"{label} refused" in outcome.log, outcome.log


def test_the_process_and_thread_limit_holds() -> None:
    code = (
        "import threading, time\nthreads = []\ntry:\n    for i in range(2000):\n"
        "        t = threading.Thread(target=time.sleep, args=(5,)); t.start(); threads.append(t)\n"
        "    print('STARTED ALL')\nexcept RuntimeError as e: print('LIMITED', len(threads))\n"
    )
    outcome = run_python(code, unsandboxed=False, limits=Limits(wall_seconds=30, processes=64))
    assert "LIMITED" in outcome.log and int(outcome.log.split("LIMITED ")[1].split()[0]) < 64, outcome.log


def test_what_a_program_prints_is_kept_to_its_last_64_kb_and_report_lines_are_capped() -> None:
    code = (
        "import os, sys\nfd = int(os.environ['PODIUM_REPORT_FD'])\n"
        "os.write(fd, b'PROGRESS ' + b'9' * (50 << 20) + b'\\nPROGRESS 1 2\\n')\n"
        "sys.stdout.write('x' * (50 << 20) + '\\nTHE END\\n')\n"
    )
    reports: list[str] = []
    outcome = run_python(code, unsandboxed=False, on_report=reports.append)
    assert reports == ["PROGRESS 1 2"]
    assert outcome.log.endswith("THE END\n") and len(outcome.log) < LOG_BYTES + 100
    assert "earlier bytes not kept" in outcome.log


def test_an_output_file_that_is_a_link_is_not_followed(world: dict[str, Path]) -> None:
    workdir = private_workdir()
    try:
        outcome = run_contained(
            [sys.executable, "-c", f"import os; os.symlink({str(world['secret'])!r}, 'out/p.csv')"],
            workdir=workdir,
            read_only={},
            hidden=[],
            limits=Limits(wall_seconds=30),
            collect=("p.csv",),
        )
        assert outcome.collected == {} and outcome.problems and not (workdir / "p.csv").exists()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class Printer(torch.nn.Module):
    """Forges the child's protocol on stdout, prints a lot, and returns NaN scores."""

    def forward(self, texts: List[str]) -> torch.Tensor:
        print("ERROR not-json")
        print('ERROR {"code": "x"}')
        print("ERROR []")
        for _ in range(5000):
            print("PROGRESS 0 1")
        return torch.full([len(texts), 4], float("nan"))


def test_forged_protocol_lines_from_a_model_are_only_its_log(world: dict[str, Path]) -> None:
    progress: list[tuple[int, int]] = []
    torch.jit.save(torch.jit.script(Printer()), str(world["media"] / "submissions" / "model.pt"))
    job = InferenceJob(
        submission_id=1,
        task="text-classification",
        model="submissions/model.pt",
        inputs="competitions/topic/public",
        output="predictions/out.csv",
        classes=CLASSES,
        batch_size=1000,
    )
    result = run_job(
        job,
        files=LocalFiles(world["media"]),
        hidden=[world["media"]],
        device="cpu",
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert result.error is None  # NaN scores still have an argmax: valid predictions
    assert "ERROR not-json" in result.log and result.log.count("PROGRESS 0 1") > 100
    assert (0, 1) not in progress and progress and progress[-1][0] == progress[-1][1]


def test_a_hostile_zip_is_refused_within_fixed_bounds(tmp_path: Path) -> None:
    import struct
    import zipfile

    from tests.workers.test_model_package import model_format_problem

    # An end record claiming a 4 GB directory of 65,535 entries, in a 100-byte file.
    liar = tmp_path / "liar.pt"
    liar.write_bytes(b"PK\x03\x04" + b"\x00" * 50 + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 65535, 65535, 2**32 - 1, 0, 0))
    # A real directory of 30,000 entries.
    crowded = tmp_path / "crowded.pt"
    with zipfile.ZipFile(crowded, "w") as archive:
        for i in range(30_000):
            archive.writestr(f"m/code/__torch__/{i}.py", b"")
    # A zip bomb: one 256 MB entry of zeros in 250 KB, listed but never inflated by the check.
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("m/data.pkl", "w", force_zip64=True) as entry:
            chunk = b"\x00" * (1 << 24)
            for _ in range(16):
                entry.write(chunk)
    import resource

    for path in (liar, crowded, bomb):
        started, before = time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        problem = model_format_problem(path)
        assert problem is not None, path
        assert time.process_time() - started < 2
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KB


def test_a_runtime_under_tmp_is_not_hidden_by_the_sandboxs_private_tmp(monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkout under /tmp (CI clones there): its code is bound at /sandbox/runtime/podium, never under /tmp."""
    import workers.sandbox.view as sandbox_view

    checkout = Path(tempfile.mkdtemp(prefix="podium-checkout-", dir="/tmp"))
    try:
        for package in ("workers", "scoring"):
            (checkout / package).mkdir()
            (checkout / package / "marker.txt").write_text(f"{package} is here")
        monkeypatch.setattr(sandbox_view, "ROOT", checkout)
        sandbox_view.runtime_view.cache_clear()
        outcome = run_python("print(open('/sandbox/runtime/podium/workers/marker.txt').read())", unsandboxed=False)
        assert "workers is here" in outcome.log, outcome.log
    finally:
        sandbox_view.runtime_view.cache_clear()
        shutil.rmtree(checkout, ignore_errors=True)


def test_what_a_dead_workers_run_left_is_removed_before_its_uid_is_used_again() -> None:
    """A worker SIGKILLed mid-run leaves its output tmpfs mounted; the next holder of that uid removes it."""
    from workers.sandbox import mounts, uids

    with uids.sandbox_uid() as uid:
        abandoned = mounts.staging(uid, Limits())
        stage = abandoned.__enter__()  # never exited: the worker "died" here
        (stage.out / "written-by-the-model").write_text("x")
    assert stage.path.exists() and str(stage.out) in Path("/proc/self/mountinfo").read_text()
    with uids.sandbox_uid() as again:
        assert again == uid
        assert not stage.path.exists() and str(stage.out) not in Path("/proc/self/mountinfo").read_text()
