"""Archives cost bounded memory and CPU whatever their bytes say: each hostile one is refused with a clear
message, and the process that reads it (a fresh Python running the worker's or the importer's code) grows by
under 64 MB over its idle size and spends under 2 s of CPU on it, measured in that process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import archive_bombs as bombs

ROOT = Path(__file__).resolve().parents[2]
MAX_GROWTH_MB, MAX_CPU_SECONDS = 64, 2.0

# Reset the peak-RSS counter (clear_refs 5), run the reader, report the peak over the resident size before it.
MEASURE = """
import json, sys, time
{setup}
def rss_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])
idle = rss_kb("VmRSS:")
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")
started = time.process_time()
try:
    {call}
    error = None
except Exception as exc:
    error = f"{{type(exc).__name__}}: {{exc}}"
print(json.dumps({{"growth_mb": (rss_kb("VmHWM:") - idle) / 1024, "cpu": time.process_time() - started,
                   "error": error}}))
"""
MODEL = MEASURE.format(setup="from workers.runtime.package import unpack_model",
                       call="unpack_model(sys.argv[1], sys.argv[2], max_bytes=2048 * 1024 * 1024)")
BUNDLE = MEASURE.format(
    setup="import django; django.setup()\nfrom competitions.bundles import bundle_folder, bundle_validate",
    call="with bundle_folder(sys.argv[1]) as folder: bundle_validate(folder)")


def _measure(script: str, archive: bytes, tmp_path: Path) -> dict[str, object]:
    upload = tmp_path / "upload.zip"
    upload.write_bytes(archive)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}", "DJANGO_SETTINGS_MODULE": "podium.settings",
           "PODIUM_VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run([sys.executable, "-c", script, str(upload), str(tmp_path / "model")], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


MODEL_CASES = {
    "lying ZIP64 records": (lambda: bombs.lying_zip64(400_000), "two ZIP64 end records disagree"),
    "ZIP64 record with a false entry count": (lambda: bombs.false_count_zip64(150_000), "more entries than the 5"),
    "LZMA member declaring 100 bytes": (lambda: bombs.compressed_bomb(bombs.LZMA, 192 << 20), "compressed with LZMA"),
    "bzip2 member declaring 100 bytes": (lambda: bombs.compressed_bomb(bombs.BZIP2, 192 << 20),
                                         "compressed with bzip2"),
    "deflate member declaring 100 bytes": (lambda: bombs.deflate_bomb(128 << 20), "larger than its header says"),
    "model.pt in a zip with lying ZIP64 records": (
        lambda: bombs.nested("model.pt", bombs.lying_zip64(400_000, prefix="m/")), "two ZIP64 end records disagree"),
    "model.pt in a zip with an LZMA member": (
        lambda: bombs.nested("model.pt", bombs.compressed_bomb(bombs.LZMA, 64 << 20, "m/constants.pkl")),
        "compressed with LZMA"),
}
BUNDLE_CASES = {
    "lying ZIP64 records": (lambda: bombs.lying_zip64(400_000, prefix="b/"), "two ZIP64 end records disagree"),
    "ZIP64 record with a false entry count": (lambda: bombs.false_count_zip64(300_000, prefix="b/"),
                                              "more entries than the 5"),
    "LZMA truth declaring 100 bytes": (lambda: bombs.compressed_bomb(bombs.LZMA, 192 << 20, "b/truth.csv"),
                                       "compressed with LZMA"),
    "bzip2 truth declaring 100 bytes": (lambda: bombs.compressed_bomb(bombs.BZIP2, 192 << 20, "b/truth.csv"),
                                        "compressed with bzip2"),
    "deflate truth declaring 100 bytes": (lambda: bombs.deflate_bomb(128 << 20, "b/truth.csv"),
                                          "larger than its header says"),
}


def _assert_bounded(outcome: dict[str, object], says: str) -> None:
    assert outcome["error"] is not None and says in str(outcome["error"]), outcome
    assert outcome["growth_mb"] < MAX_GROWTH_MB, outcome  # type: ignore[operator]
    assert outcome["cpu"] < MAX_CPU_SECONDS, outcome  # type: ignore[operator]


@pytest.mark.parametrize("name", sorted(MODEL_CASES))
def test_a_hostile_model_archive_is_refused_in_bounded_memory_and_cpu(name: str, tmp_path: Path) -> None:
    build, says = MODEL_CASES[name]
    outcome = _measure(MODEL, build(), tmp_path)
    _assert_bounded(outcome, says)
    assert "PackageError" in str(outcome["error"])  # unsupported-model-format for the team


@pytest.mark.parametrize("name", sorted(BUNDLE_CASES))
def test_a_hostile_bundle_archive_is_refused_in_bounded_memory_and_cpu(name: str, tmp_path: Path) -> None:
    build, says = BUNDLE_CASES[name]
    outcome = _measure(BUNDLE, build(), tmp_path)
    _assert_bounded(outcome, says)
    assert "BundleError" in str(outcome["error"])


def test_an_honest_archive_of_the_same_kind_is_read_through(tmp_path: Path) -> None:
    """The control: the measuring harness sees a real cost where there is one (a 96 MB member inflated)."""
    outcome = _measure(MEASURE.format(
        setup="from workers.runtime.archive import SafeZip",
        call="z = SafeZip(sys.argv[1], max_entries=10, max_directory_bytes=1 << 20)\n    "
             "data = b''.join(z.open(z.members[0]))"),
        bombs.nested("big.bin", bytes(96 << 20)), tmp_path)
    assert outcome["error"] is None and outcome["growth_mb"] > 90, outcome
