"""The digest as JSON for other tools: every field, no presentation."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from bot.compose.model import Digest, DigestEntry
from bot.compose.wording import plain, safe_url, section_anchors, shown_abstract


def render_json(digest: Digest) -> str:
    """The digest as indented UTF-8 JSON; non-ASCII text is kept as is.

    Every entry is listed; ``beyond_caps`` marks those the email bodies leave
    out, and a summary the rules skipped is ``null``.
    """
    generated_at = digest.generated_at
    # A naive time is taken as UTC so the output always carries an offset.
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=UTC)

    anchors = section_anchors(digest)
    document = {
        "generated_at": generated_at.isoformat(),
        "title": digest.title,
        "language": digest.language,
        "paper_count": digest.paper_count,
        "notes": list(digest.notes),
        "sections": [
            {
                "name": section.name,
                "anchor": anchor,
                "kind": section.kind.value,
                "papers": [_paper(entry) for entry in section.entries],
            }
            for section, anchor in zip(digest.sections, anchors, strict=True)
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _paper(entry: DigestEntry) -> dict[str, Any]:
    paper, summary = entry.paper, entry.summary
    source, abstract = shown_abstract(paper)
    return {
        "number": entry.number,
        "key": paper.key,
        "title": paper.title,
        "authors": list(paper.authors),
        "authors_truncated": paper.authors_truncated,
        "venue": paper.venue,
        "year": paper.year,
        "arxiv_id": paper.arxiv_id,
        "arxiv_version": paper.arxiv_version,
        "doi": paper.doi,
        # Consumers put these in href attributes: only web links get through.
        "url": safe_url(entry.link),
        "pdf_url": safe_url(entry.pdf_url),
        "abstract": abstract,
        "abstract_source": source.value,
        "summary": _summary(entry),
        "summary_source": summary.source if entry.show_summary else None,
        "summary_shown": entry.show_summary,
        "alerts": list(entry.alerts),
        "truncated_title": paper.title_truncated,
        "notes": [plain(note) for note in entry.notes],
        "categories": list(paper.categories),
        "comments": paper.comments,
        "tags": list(entry.tags),
        "starred": entry.starred,
        "beyond_caps": entry.beyond_caps,
    }


def _summary(entry: DigestEntry) -> dict[str, str] | None:
    if not entry.show_summary:
        return None
    summary = entry.summary
    return {
        "tldr": summary.tldr,
        "motivation": summary.motivation,
        "method": summary.method,
        "result": summary.result,
        "conclusion": summary.conclusion,
    }
