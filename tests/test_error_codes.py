"""Every error code is a constant on its error type, defined once: no code is written as a literal where an
error is raised, and no two constants share a code."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from core.errors import PodiumError
from workers.runtime import ModelFailure

ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"^[a-z]+(-[a-z0-9]+)*$")
RAISERS = {"PodiumError", "_refused_until", "error_response", "SubmissionError", "TruthError", "ModelFailure",
           "ScoringError", "PackageError"}


def sources() -> list[Path]:
    return [path for folder in ("platform", "workers", "scoring") for path in (ROOT / folder).rglob("*.py")
            if "migrations" not in path.parts]


def constants(kind: type) -> dict[str, str]:
    return {name: value for name, value in vars(kind).items() if name.isupper() and isinstance(value, str)}


def test_no_error_is_raised_with_a_literal_code() -> None:
    literal = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            arguments = [*node.args[:3], *(k.value for k in node.keywords if k.arg == "code")]
            if name in RAISERS:
                literal += [f"{path.relative_to(ROOT)}:{node.lineno} {name}({a.value!r})" for a in arguments
                            if isinstance(a, ast.Constant) and isinstance(a.value, str) and CODE.match(a.value)]
        for node in ast.walk(ast.parse(path.read_text())):  # {"code": "model-error", ...} answers
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "code" and isinstance(value, ast.Constant):
                        literal.append(f"{path.relative_to(ROOT)}:{node.lineno} {{'code': {value.value!r}}}")
    assert literal == []


def test_each_code_is_defined_once() -> None:
    import scoring.errors

    shared = {name for name, value in constants(PodiumError).items() if getattr(scoring.errors, name, None) == value}
    defined = [*(v for k, v in constants(PodiumError).items() if k not in shared), *ModelFailure.CODES,
               *(v for k, v in vars(scoring.errors).items() if k.isupper() and isinstance(v, str) and CODE.match(v))]
    assert len(defined) == len(set(defined)), sorted(code for code in defined if defined.count(code) > 1)
    assert all(CODE.match(code) for code in defined)


def test_model_codes_are_the_childs_and_the_platforms() -> None:
    from submissions.intake import MODEL_FAULTS
    from submissions.results import MODEL_ERROR_CODES
    from workers.inference import CHILD_CODES

    assert CHILD_CODES is ModelFailure.CHILD_CODES and MODEL_ERROR_CODES is MODEL_FAULTS is ModelFailure.CODES
