"""Where things are in a rule file's text: tomllib parses values, not lines."""

from __future__ import annotations

import re
import tomllib
from typing import Any

_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)")
_ANY_HEADER = re.compile(r"\s*\[")
_TOML_HINTS = {
    "Unescaped '\\'": (
        "in double quotes a backslash starts an escape: write regular "
        "expressions in single quotes, title_regex = 'learn(ed|ing)\\s+index'"
    ),
    "Invalid value": 'text needs quotes: section = "Databases"',
    "Cannot overwrite a value": "a key is given twice in the same table",
}


class RuleFileText:
    """The lines of one rule file, split into its ``[[rule]]`` blocks.

    ``table`` names another array of tables to split by (``subscriber``).
    """

    def __init__(self, text: str, *, table: str = "rule") -> None:
        # Lines inside a multi-line string are blanked: text there that looks
        # like a key or a [[rule]] header must not move the reported lines.
        self.lines = _outside_strings(text.splitlines())
        block_header = re.compile(rf"\s*\[\[\s*{_quoted(table)}\s*\]\]")
        headers = [
            number
            for number, line in enumerate(self.lines, start=1)
            if _ANY_HEADER.match(line)
        ]
        self.blocks: list[tuple[int, int]] = []
        for number in headers:
            if block_header.match(self.lines[number - 1]):
                later = [header for header in headers if header > number]
                end = later[0] if later else len(self.lines) + 1
                self.blocks.append((number, end))
        if not self.blocks:
            self.blocks = _inline_blocks(self.lines, table)

    def rule_line(self, index: int) -> int | None:
        """Line of the ``[[rule]]`` header of the block at ``index``."""
        return self.blocks[index][0] if index < len(self.blocks) else None

    def key_line(self, index: int, key: str) -> int | None:
        """Line of ``key = ...`` inside the block at ``index`` (else its header)."""
        if index >= len(self.blocks):
            return None
        start, end = self.blocks[index]
        found = self._find(_key_pattern(key), start, end)
        return found if found is not None else start

    def first_key_line(self, key: str) -> int | None:
        """Line of the first ``key = ...`` or ``[key]`` anywhere in the file."""
        pattern = re.compile(rf"\s*(\[+\s*)?{_quoted(key)}\s*(=|\])")
        return self._find(pattern, 1, len(self.lines) + 1)

    def first_line_with(self, fragment: str) -> int | None:
        """Line of the first occurrence of ``fragment`` in the file."""
        for number, line in enumerate(self.lines, start=1):
            if fragment in line:
                return number
        return None

    def _find(self, pattern: re.Pattern[str], start: int, end: int) -> int | None:
        for number in range(start, min(end, len(self.lines) + 1)):
            if pattern.match(self.lines[number - 1]):
                return number
        return None


def _outside_strings(lines: list[str]) -> list[str]:
    shown: list[str] = []
    delimiter: str | None = None
    for line in lines:
        inside_at_start = delimiter is not None
        rest = line
        while True:
            if delimiter is None:
                opening = [d for d in ('"""', "'''") if d in rest]
                if not opening:
                    break
                first = min(opening, key=rest.index)
                rest = rest[rest.index(first) + 3 :]
                delimiter = first
            else:
                if delimiter not in rest:
                    break
                rest = rest[rest.index(delimiter) + 3 :]
                delimiter = None
        shown.append("" if inside_at_start else line)
    return shown


def _inline_blocks(lines: list[str], table: str) -> list[tuple[int, int]]:
    """Blocks of ``table = [ {...}, {...} ]``: one line per inline table."""
    opening = re.compile(rf"\s*{_quoted(table)}\s*=\s*\[")
    blocks: list[tuple[int, int]] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        if not inside and opening.match(line):
            inside = True
            continue
        if inside and line.lstrip().startswith("{"):
            blocks.append((number, number + 1))
        elif inside and line.lstrip().startswith("]"):
            inside = False
    return blocks


def _quoted(key: str) -> str:
    return rf"""["']?{re.escape(key)}["']?"""


def _key_pattern(key: str) -> re.Pattern[str]:
    return re.compile(rf"\s*{_quoted(key)}\s*=")


def parse_toml(text: str) -> tuple[dict[str, Any] | None, int | None, str, str]:
    """Parse ``text``; on failure also say the line, the problem and a hint."""
    try:
        return tomllib.loads(text), None, "", ""
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's tomllib puts the position only in the message text.
        message = str(exc)
        found = _TOML_POSITION.search(message)
        line: int | None = None
        if found:
            line = int(found.group(1)) if found.group(1) else len(text.splitlines())
        problem = _TOML_POSITION.sub("", message).strip()
        hint = next((h for start, h in _TOML_HINTS.items() if start in problem), "")
        return None, line, f"not valid TOML: {problem}", hint
