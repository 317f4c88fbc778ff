"""Helpers for tests: where things are, and running the CLI as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLES = ROOT.parent / "shared" / "samples"


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script the way a user would."""
    script = Path(sys.executable).parent / "scholar-digest"
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SCHOLAR_DIGEST_")
    }
    # Offline unless a test says otherwise, and every service URL on a closed
    # loopback port: the CLI under test never reaches past this machine.
    environment.update(
        {
            "SCHOLAR_DIGEST_OFFLINE": "1",
            "SCHOLAR_DIGEST_ARXIV_API_URL": "http://127.0.0.1:9/api/query",
            "SCHOLAR_DIGEST_OPENALEX_URL": "http://127.0.0.1:9",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }
    )
    environment.update(env or {})
    return subprocess.run(
        [str(script), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
