"""The baselines' own virtual environments under bench/.envs/ (gitignored), installed from
bench/baselines/requirements-*.txt and reinstalled only when that file changes."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from suite.config import BASELINES_DIRECTORY, ENVS_DIRECTORY
from suite.processes import run_logged, say


def ensure_env(name: str, log_path: Path) -> Path:
    """bench/.envs/NAME with requirements-NAME.txt installed; its python."""
    requirements = BASELINES_DIRECTORY / f"requirements-{name}.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    directory = ENVS_DIRECTORY / name
    python = directory / "bin" / "python"
    stamp = directory / ".requirements-sha256"
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == digest:
        return python
    say(f"  installing the {name} baseline into {directory}")
    run_logged([sys.executable, "-m", "venv", "--clear", directory], log_path)
    run_logged([python, "-m", "pip", "install", "--quiet", "-r", requirements], log_path)
    stamp.write_text(digest, encoding="utf-8")
    return python
