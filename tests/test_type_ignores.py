"""mypy runs clean in `make lint`; where a line must silence it, the silence names its error code and says why."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<code>\[[^\]]+\])?(?P<rest>.*)$")


def test_each_type_ignore_names_its_code_and_gives_a_reason() -> None:
    bare = []
    for folder in ("platform", "workers", "scoring"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                found = IGNORE.search(line)
                if found and (not found["code"] or not re.match(r"\s+#\s*\S", found["rest"])):
                    bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert bare == []
