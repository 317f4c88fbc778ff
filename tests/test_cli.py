"""The command line as a user meets it: help, errors, demo, ingest, status."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support import ROOT, run_cli

COMMANDS = ["ingest", "digest", "demo", "status", "run"]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_ends_with_an_example(tmp_path: Path, command: str | None) -> None:
    args = [command, "--help"] if command else ["--help"]
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    tail = result.stdout.strip().splitlines()[-3:]
    assert any("scholar-digest" in line for line in tail), result.stdout
    assert "Example" in result.stdout


def test_readme_documents_every_command_and_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"`{command}" in readme, command
    config = (ROOT / "bot" / "config.py").read_text(encoding="utf-8")
    names = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', config))
    assert len(names) > 15
    for name in names:
        short = name.split("_", 1)[1] if name.startswith(("IMAP_", "SMTP_")) else ""
        documented = f"SCHOLAR_DIGEST_{name}" in readme or (
            short and f"_{short}" in readme
        )
        assert documented, name


def test_readme_documents_every_settings_keyword() -> None:
    from bot.rules.settings import DigestSettings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for keyword in DigestSettings.__dataclass_fields__:
        assert f"`{keyword}`" in readme, keyword


def test_demo_writes_four_files_without_network(tmp_path: Path) -> None:
    result = run_cli("demo", "--out", "demo-out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "demo-out"
    for name in ("digest.md", "digest.html", "digest.txt", "digest.json"):
        assert (out / name).is_file(), name
        assert str(Path("demo-out") / name) in result.stdout
    data = json.loads((out / "digest.json").read_text(encoding="utf-8"))
    assert data["paper_count"] == 14  # the inbox README's A to N
    assert sorted(section["name"] for section in data["sections"]) == sorted(
        [
            "Margit Halvorsen",
            "Henrik Solberg",
            '"learned index structures"',
            "Aiko Brandt-Yamazaki",
            "Tomasz Wierzbicki",
            "Ruth Adeyemi",
            "cs.DB",
            "cs.DC",
        ]
    )
    assert not (tmp_path / "data").exists()  # the demo uses a temporary store


def test_ingest_digest_status_round_trip(tmp_path: Path, shared_samples: Path) -> None:
    env = {"SCHOLAR_DIGEST_DATA_DIR": str(tmp_path / "data")}
    first = run_cli("ingest", "--from", str(shared_samples), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "6 stored" in first.stdout
    assert "12 new" in first.stdout
    again = run_cli("ingest", "--from", str(shared_samples), cwd=tmp_path, env=env)
    assert "6 duplicate" in again.stdout
    assert "0 new" in again.stdout

    status = run_cli("status", cwd=tmp_path, env=env)
    assert "12 pending" in status.stdout
    digest = run_cli("digest", "--out", "out", cwd=tmp_path, env=env)
    assert digest.returncode == 0, digest.stderr
    assert "12 paper(s)" in digest.stdout
    status = run_cli("status", cwd=tmp_path, env=env)
    assert "0 pending" in status.stdout
    assert "12 paper(s)" in status.stdout
    assert "model today:    0 paper(s) summarized, $0.0000 spent" in status.stdout


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (["ingest", "--from", "missing.eml"], {}, "missing.eml: no such file"),
        (["status"], {"SCHOLAR_DIGEST_MAX_ATTEMPTS": "many"}, "MAX_ATTEMPTS"),
        (["run"], {}, "SCHOLAR_DIGEST_IMAP_HOST"),
        (["run", "--once"], {"SCHOLAR_DIGEST_IMAP_HOST": "127.0.0.1"}, "IMAP_USER"),
    ],
)
def test_errors_are_one_line_and_a_non_zero_exit(
    tmp_path: Path, args: list[str], env: dict[str, str], fragment: str
) -> None:
    result = run_cli(*args, cwd=tmp_path, env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_broken_rule_file_names_file_and_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "digest.toml").write_text("[settings]\n\ntitel = 'x'\n")
    result = run_cli("digest", "--dry-run", "--out", "o", cwd=tmp_path)
    assert result.returncode == 1
    assert "digest.toml:3: unknown setting 'titel' (did you mean 'title'?)" in (
        result.stderr
    )


def test_readme_documents_every_rule_and_subscriber_keyword_with_an_example() -> None:
    from bot.rules.loader import RULE_KEYWORDS
    from bot.rules.subscribers import SUBSCRIBER_KEYWORDS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    for keyword in (*RULE_KEYWORDS, *SUBSCRIBER_KEYWORDS):
        assert f"`{keyword}`" in readme, keyword
        documented = [row for row in rows if f"`{keyword}`" in row]
        assert documented, f"{keyword} has no row in a README table"
        # Each row gives an example, e.g. `title = [...]`, or names the
        # keyword beside others whose rows give one.
        assert any(" = " in row for row in documented), keyword


def test_shipped_rules_show_every_keyword_and_pass_the_check() -> None:
    from bot.rules.loader import RULE_KEYWORDS, check_rules
    from bot.rules.settings import DigestSettings
    from bot.rules.subscribers import SUBSCRIBER_KEYWORDS

    shipped = "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted((ROOT / "rules").glob("*.toml"))
    )
    keywords = (
        *RULE_KEYWORDS,
        *SUBSCRIBER_KEYWORDS,
        *DigestSettings.__dataclass_fields__,
    )
    for keyword in keywords:
        assert re.search(rf"\b{keyword}\b", shipped), keyword
    assert [p for p in check_rules(ROOT / "rules") if p.is_error] == []
