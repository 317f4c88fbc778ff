"""The shipped rules/ reproduce the shape of the example digest in shared/seed."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.samples.arxiv_mail import ListingPaper, build_arxiv_listing
from bot.samples.scholar_mail import build_scholar_alert
from bot.samples.scholar_markup import SampleResult
from tests.support import ROOT, SHARED_SAMPLES, run_cli

START = datetime(2026, 1, 23, 6, 0, tzinfo=UTC)
SEED = SHARED_SAMPLES.parent / "seed"


def seed_sections() -> list[str]:
    """The table of contents of the example digest, in order."""
    if SEED.is_dir():
        text = next(SEED.glob("*.txt")).read_text(encoding="utf-8")
        return re.findall(r"^- \[([^\]]+)\]\(#", text, flags=re.MULTILINE)
    # The same names, for a checkout without ../shared.
    return [
        "Matei Zaharia",
        "Google Scholar",
        "Carsten Binnig",
        "cs.DC",
        "Zongheng Yang",
        "cs.DB",
        "Xuanhe Zhou",
        "cs.LG",
    ]


def scholar_alert(followed: str, number: int) -> bytes:
    result = SampleResult(
        title=f"A study of systems number {number} in the style of {followed}",
        link_target=f"https://arxiv.org/abs/2601.{10000 + number:05d}",
        authors=("A Author", "B Author"),
        venue="arXiv preprint",
        year=2026,
        snippet="We study a system. It works well.",
    )
    # "Google Scholar" heads the alerts Scholar sends of its own accord.
    folt = "art" if followed == "Google Scholar" else "rel"
    return build_scholar_alert(
        subject=f"{followed} - new related research",
        followed=followed,
        folt=folt,
        results=[result],
        message_id=f"<seed-{number}@google.com>",
        date=START + timedelta(minutes=number),
    )


def listing(category: str, number: int) -> bytes:
    paper = ListingPaper(
        arxiv_id=f"2601.{20000 + number:05d}",
        title=f"Listed paper {number} in {category}",
        authors=("C Author",),
        categories=(category,),
        abstract="We present a method. It is fast.",
        submitted=START,
        size_kb=100,
    )
    return build_arxiv_listing(
        archive=category.split(".")[0],
        papers=[paper],
        replacements=[],
        message_id=f"<listing-{number}@arxiv.org>",
        date=START + timedelta(minutes=number),
    )


def test_the_shipped_rules_give_the_example_digests_sections_and_language(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number, name in enumerate(seed_sections(), start=1):
        raw = (
            listing(name, number)
            if name.startswith("cs.")
            else scholar_alert(name, number)
        )
        (inbox / f"{number:02d}.eml").write_bytes(raw)
    env = {
        "SCHOLAR_DIGEST_DATA_DIR": str(tmp_path / "data"),
        "SCHOLAR_DIGEST_RULES_DIR": str(ROOT / "rules"),
    }
    done = run_cli("ingest", "--from", str(inbox), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    done = run_cli("digest", "--out", "out", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr

    digest = json.loads((tmp_path / "out" / "digest.json").read_text())
    assert [section["name"] for section in digest["sections"]] == seed_sections()
    assert digest["language"] == "zh"
