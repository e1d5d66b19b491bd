"""DESIGN: the core decides, Django records — nothing under livret.core imports Django."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import imported_modules

CORE = Path(__file__).resolve().parents[2] / "livret" / "core"


def test_it_has_no_django_import_statement_in_core() -> None:
    offenders = [f"{f}: {m}" for f, m in imported_modules(CORE) if m.split(".")[0] == "django"]
    assert offenders == []


def test_it_imports_every_core_module_without_loading_django() -> None:
    modules = [
        "livret.core." + ".".join(f.relative_to(CORE).with_suffix("").parts)
        for f in CORE.rglob("*.py")
        if f.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
