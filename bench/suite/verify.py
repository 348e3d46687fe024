"""`tallybook verify` on every database the run wrote: the run fails on any drift."""

from __future__ import annotations

import subprocess
from pathlib import Path

from suite.config import TALLYBOOK_BIN
from suite.processes import say


def verify(name: str, database_url: str, log_path: Path) -> bool:
    say(f"  tallybook verify: {name}")
    completed = subprocess.run(
        [TALLYBOOK_BIN / "tallybook", "verify", "--database-url", database_url],
        capture_output=True,
        text=True,
        check=False,
    )
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"== verify {name} ({database_url})\n{completed.stdout}{completed.stderr}\n")
    if completed.returncode != 0:
        say(f"    DRIFT in {name}:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    return completed.returncode == 0
