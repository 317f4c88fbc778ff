"""Small digests built from plain records, for the renderer tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from bot.compose.model import Digest, DigestEntry, DigestSection, SectionKind
from bot.models import AbstractSource, PaperRecord
from bot.summarize.base import Summary
from bot.summarize.extractive import summarize_paper
from bot.text import normalize_title

WHEN = datetime(2026, 1, 21, 7, 30, tzinfo=UTC)

KV_ABSTRACT = (
    "Serving large language models at long context lengths is costly, e.g. "
    "because the key-value cache grows with every token, as Smith et al. note. "
    "However, existing cache compression methods suffer from accuracy drops at "
    "high ratios (see Fig. 2). In this paper, we propose SqueezeKV, a cache "
    "layout that attaches a budget to each attention head. On four benchmarks "
    "SqueezeKV is 3.4× faster than the baseline and reduces memory by 41.5%. "
    "Our results suggest that per-head budgets are a practical path to cheaper "
    "serving."
)
SNIPPET = (
    "Existing invasive fingerprints are easily filtered by perplexity checks "
    "and often fire on benign inputs, which limits their use in audits of "
    "deployed models …"
)
JAPANESE_TITLE = "大規模言語モデルを用いた論文推薦の評価"
JAPANESE_SNIPPET = (
    "本研究では、大規模言語モデルを用いた論文推薦手法を提案する。"
    "実験の結果、推薦精度が12%向上した。"
)
K28_TITLE = "Spin & charge order in La$_{2-x}$Sr$_x$CuO$_4$: a L\\'evy-flight view"


SCRIPT_TITLE = "<script>alert(1)</script> Attention Is Not Enough"
IMG_AUTHOR = "<img src=x onerror=alert(1)>"
LINK_SNIPPET = "Read more: [click](javascript:alert(1)) before it is gone …"


def injection_paper() -> PaperRecord:
    """A paper whose every email-borne text tries to become markup or a link."""
    return make_paper(
        SCRIPT_TITLE,
        authors=[IMG_AUTHOR, "A *Bold* _Name_"],
        venue="# Heading | pipe",
        url="javascript:alert(1)",
        snippet=LINK_SNIPPET,
    )


def make_paper(title: str = "A Study of Things", **fields: Any) -> PaperRecord:
    """A stored paper with ``title`` and any other :class:`PaperRecord` fields."""
    title_norm = normalize_title(title)
    fields.setdefault("key", f"title:{title_norm}")
    return PaperRecord(title=title, title_norm=title_norm, **fields)


def arxiv_paper(title: str, arxiv_id: str, **fields: Any) -> PaperRecord:
    """An arXiv paper with its abstract from the listing."""
    fields.setdefault("abstract", KV_ABSTRACT)
    fields.setdefault("abstract_source", AbstractSource.ARXIV)
    fields.setdefault("authors", ["Ana Ruiz", "Bo Chen", "Chidi Okafor"])
    return make_paper(title, key=f"arxiv:{arxiv_id}", arxiv_id=arxiv_id, **fields)


def make_digest(
    *sections: tuple[str, Sequence[PaperRecord]],
    notes: Sequence[str] = (),
    language: str = "en",
    summaries: dict[str, Summary] | None = None,
    alerts: Sequence[str] | None = None,
) -> Digest:
    """A digest with one section per ``(name, papers)``, numbered throughout.

    Summaries are extractive unless given per paper key; each entry lists the
    section name as its alert unless ``alerts`` says otherwise.
    """
    built: list[DigestSection] = []
    number = 0
    for name, papers in sections:
        entries = []
        for paper in papers:
            number += 1
            summary = (summaries or {}).get(paper.key) or summarize_paper(paper)
            entries.append(
                DigestEntry(
                    number=number,
                    paper=paper,
                    summary=summary,
                    alerts=tuple(alerts) if alerts is not None else (name,),
                )
            )
        kind = SectionKind.CATEGORY if name.startswith("cs.") else SectionKind.ALERT
        built.append(DigestSection(name, name, kind, tuple(entries)))
    return Digest(
        title="Scholar digest",
        generated_at=WHEN,
        sections=tuple(built),
        language=language,
        notes=tuple(notes),
    )


_TOPICS = (
    "Retrieval-Augmented Generation",
    "Mixture-of-Experts Routing",
    "Learned Query Optimizers",
    "Speculative Decoding",
    "Federated Fine-Tuning",
    "Vector Database Indexing",
    "Diffusion Language Models",
    "GPU Cluster Scheduling",
)
_SECTIONS = (
    "Ada Lovelace",
    "Grace Hopper",
    '"retrieval augmented generation"',
    "cs.DC",
    "cs.LG",
)


def realistic_paper(index: int) -> PaperRecord:
    """One of several real-shaped papers: arXiv, publisher, snippet-only, no link."""
    topic = _TOPICS[index % len(_TOPICS)]
    kind = index % 6

    if kind in (0, 1):
        return arxiv_paper(
            f"{topic} at Scale: Lessons from {index + 3} Production Deployments",
            f"2601.{10000 + index:05d}",
            arxiv_version=1 + index % 3,
            categories=["cs.LG", "cs.DC"],
            comments="14 pages, 6 figures" if kind == 0 else None,
            year=2026,
        )
    if kind == 2:
        return make_paper(
            f"Towards Robust {topic}: A Benchmark and an Empirical Study",
            doi=f"10.1145/3700{index:03d}.3700{index + 1:03d}",
            url=f"https://dl.acm.org/doi/10.1145/3700{index:03d}.3700{index + 1:03d}",
            authors=["M Zaharia", "C Binnig", "X Zhou", "Z Yang"],
            authors_truncated=True,
            venue="Proceedings of the VLDB Endowment",
            year=2025,
            snippet=SNIPPET,
        )
    if kind == 3:
        return make_paper(
            f"{topic} for Heterogeneous Edge Devices with Adaptive",
            title_truncated=True,
            url=(
                "https://www.sciencedirect.com/science/article/pii/"
                f"S01678191260{index:05d}?via%3Dihub&utm_source=scholar"
            ),
            authors=["L García-Pérez", "H Müller"],
            venue="Future Generation Computer Systems",
            year=2026,
            abstract=KV_ABSTRACT.replace("SqueezeKV", f"Edge{index}"),
            abstract_source=AbstractSource.OPENALEX,
        )
    if kind == 4:
        return make_paper(
            f"{JAPANESE_TITLE}（第{index}報）",
            url=f"https://www.jstage.jst.go.jp/article/jsai/{index}/_article/-char/ja/",
            authors=["山田 太郎", "佐藤 花子"],
            venue="人工知能学会論文誌",
            year=2025,
            snippet=JAPANESE_SNIPPET,
        )
    return make_paper(
        f"A Survey of {topic} ({index})",
        authors=["J Doe"],
        year=2024,
    )


def realistic_digest(count: int) -> Digest:
    """``count`` real-shaped papers spread over five sections, with a note."""
    groups: list[list[PaperRecord]] = [[] for _ in _SECTIONS]
    for index in range(count):
        groups[index % len(_SECTIONS)].append(realistic_paper(index))
    return make_digest(
        *zip(_SECTIONS, groups, strict=True),
        notes=("No arXiv mailing arrived for cs.DB today (none is sent on Fridays).",),
    )


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read_html(document: str) -> tuple[list[tuple[str, dict[str, str]]], str]:
    """The start tags (name, attributes) of ``document`` and its decoded text."""
    reader = _Reader()
    reader.feed(document)
    reader.close()
    return reader.tags, "".join(reader.text)
