"""Source text and spans: offsets in a file turned into lines and columns for people."""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range of characters in one source file (1-based line and column)."""

    file: str
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def where(self) -> str:
        """`FILE:LINE`, the form explanations cite."""
        return f"{self.file}:{self.line}"


NO_SPAN = Span("<none>", 0, 0, 0, 0, 0, 0)


@dataclass(frozen=True)
class SourceFile:
    """A policy's text with a line index, so a span can show its source line."""

    name: str
    text: str
    _starts: tuple[int, ...] = field(default=(), repr=False, compare=False)

    @staticmethod
    def read(path: str | Path) -> SourceFile:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8-sig", errors="replace")
        return SourceFile.of(str(path), text)

    @staticmethod
    def of(name: str, text: str) -> SourceFile:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
        return SourceFile(name, text, tuple(starts))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset; columns count characters."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        line, col = self.position(start)
        end_line, end_col = self.position(max(start, end))
        return Span(self.name, start, max(start, end), line, col, end_line, end_col)

    def line_text(self, line: int) -> str:
        if line < 1 or line > len(self._starts):
            return ""
        start = self._starts[line - 1]
        end = self._starts[line] - 1 if line < len(self._starts) else len(self.text)
        return self.text[start:end]


def display_width(text: str) -> int:
    """Terminal cells taken by `text`: CJK and full-width characters take two."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width
