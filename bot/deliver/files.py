"""Writing a rendered digest to a folder: four files, each replaced atomically."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.compose.html import render_html
from bot.compose.jsonout import render_json
from bot.compose.markdown import render_markdown
from bot.compose.model import Digest
from bot.compose.plaintext import render_text
from bot.errors import DigestError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WrittenDigest:
    """Paths of the files written for one digest."""

    markdown: Path
    html: Path
    text: Path
    json: Path
    full_html: Path | None
    html_level: str

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every file written, the full HTML last when there is one."""
        found = (self.markdown, self.html, self.text, self.json, self.full_html)
        return tuple(path for path in found if path is not None)


def write_digest_files(
    digest: Digest, out_dir: Path, *, html_max_bytes: int
) -> WrittenDigest:
    """Render ``digest`` and write ``digest.{md,html,txt,json}`` into ``out_dir``.

    ``digest.html`` and ``digest.txt`` are the email bodies: they leave out
    the entries beyond the digest's caps; ``digest.md`` and ``digest.json``
    list every entry. When the HTML body was cut, by the caps or to stay
    under ``html_max_bytes``, the complete HTML goes to ``digest.full.html``
    beside it; a stale one from an earlier run is removed so the folder never
    mixes two digests.
    """
    html = render_html(digest, max_bytes=html_max_bytes)
    files = {
        "digest.md": render_markdown(digest),
        "digest.html": html.body,
        "digest.txt": render_text(digest),
        "digest.json": render_json(digest),
    }
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            _write_atomically(out_dir / name, content)
        full_path = out_dir / "digest.full.html"
        if html.full is not None:
            _write_atomically(full_path, html.full)
        elif full_path.exists():
            full_path.unlink()
    except OSError as exc:
        raise DigestError(f"cannot write the digest to {out_dir}: {exc}") from exc

    log.info(
        "wrote digest of %d paper(s), %d in the email bodies, to %s",
        digest.paper_count,
        digest.shown_count,
        out_dir,
    )
    return WrittenDigest(
        markdown=out_dir / "digest.md",
        html=out_dir / "digest.html",
        text=out_dir / "digest.txt",
        json=out_dir / "digest.json",
        full_html=full_path if html.full is not None else None,
        html_level=html.level,
    )


def _write_atomically(path: Path, content: str) -> None:
    # A reader (or a mail job) never sees half a file: write beside, then rename.
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(content)
        # mkstemp makes the file private; a digest is meant to be read.
        Path(temp_name).chmod(0o644)
        Path(temp_name).replace(path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
