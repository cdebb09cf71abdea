"""One diagnostic type for every stage, and its rendering with the source line and a caret."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from policyc.source import SourceFile, Span, display_width


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A finding about a policy: a stable code, a message, where, and how to fix it."""

    code: str
    message: str
    span: Span
    help: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.column, self.code)


def error(code: str, message: str, span: Span, help: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, span, help, Severity.ERROR)


def warning(code: str, message: str, span: Span, help: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, span, help, Severity.WARNING)


def did_you_mean(name: str, candidates: Iterable[str] | Callable[[], Iterable[str]]) -> str | None:
    """A `did you mean` hint for a misspelt name, or None when nothing is close. A large
    pool may be given as a function making it, so it is not built once the budget is spent."""
    if _budget[0] <= 0:
        return None
    close = closest_name(name, candidates() if callable(candidates) else candidates)
    return f"did you mean `{close}`?" if close else None


def closest_name(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate `name` is most likely a misspelling of, or None when nothing is close.

    Similarity (difflib's ratio) finds most typos, but one wrong character in a 2-character
    name (`质里` for `质量`, the commonest shape of a Chinese name) is only 50% similar; for
    names of 2 or 3 characters, one character replaced, added, dropped or swapped with its
    neighbour is also close. Two 2-character names with no character in common stay apart.

    Bounded: only candidates whose length allows a ratio of 0.6 are compared, names past
    MAX_SUGGESTED_NAME characters get no suggestion, and each check run spends at most
    SUGGESTION_BUDGET comparisons (`reset_suggestions`); past it a name simply gets no
    "did you mean" (5,000 unknown names took 96 s before).
    """
    if len(name) > MAX_SUGGESTED_NAME or _budget[0] <= 0:
        return None
    n = len(name)
    # ratio = 2 * matches / (len a + len b) >= 0.6 needs the shorter at least 3/7 of the longer
    pool = sorted(
        c for c in set(candidates) if c != name and 3 * max(n, len(c)) <= 7 * min(n, len(c))
    )
    _budget[0] -= len(pool) + 1
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not close and 2 <= len(name) <= SHORT_NAME:
        close = [c for c in pool if 2 <= len(c) <= SHORT_NAME + 1 and edit_distance(name, c) == 1][
            :1
        ]
    return close[0] if close else None


# Comparisons one check run may spend on "did you mean" (each a difflib ratio of two names);
# a policy at the length limit with every name misspelt stays around a second.
SUGGESTION_BUDGET = 200_000
MAX_SUGGESTED_NAME = 100  # characters; a longer name is no typo of a name one types
_budget = [SUGGESTION_BUDGET]


def reset_suggestions(budget: int = SUGGESTION_BUDGET) -> None:
    """Start a new check run's budget of "did you mean" comparisons."""
    _budget[0] = budget


SHORT_NAME = 3  # up to this length one character is a large share of a name: judge by edits too


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance where swapping two neighbours (`kye`) is one edit; any
    distance above 2 is reported as 3 (only near misses matter here)."""
    if abs(len(a) - len(b)) > 2:
        return 3
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                d = min(d, prev2[j - 2] + 1)
            cur.append(d)
        prev2, prev = prev, cur
    return min(prev[-1], 3)


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, int, str]] = set()
    out = []
    for d in sorted(diags, key=lambda d: d.sort_key):
        key = (d.code, d.span.start, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def render(diag: Diagnostic, sources: Mapping[str, SourceFile]) -> str:
    """`FILE:LINE:COL: error[CODE]: message`, the source line, a caret under it, and help.

    The caret is placed by display width, so it lands under the right character even
    when the line holds Chinese (two-cell) characters before it.
    """
    sp = diag.span
    head = f"{sp.file}:{sp.line}:{sp.column}: {diag.severity.value}[{diag.code}]: {diag.message}"
    lines = [_shown(head)]
    src = sources.get(sp.file)
    if src is not None and sp.line >= 1:
        text = src.line_text(sp.line)
        gutter = f"{sp.line} | "
        lines.append(gutter + _shown(text))
        before = text[: sp.column - 1]
        if sp.end_line == sp.line and sp.end_column > sp.column:
            marked = text[sp.column - 1 : sp.end_column - 1]
        else:
            marked = text[sp.column - 1 : sp.column]
        pad = " " * (len(gutter) - 2) + "| " + " " * display_width(_shown(before))
        lines.append(pad + "^" * max(1, display_width(_shown(marked))))
    if diag.help:
        lines.append(f"  = help: {_shown(diag.help)}")
    return "\n".join(lines)


def _shown(text: str) -> str:
    """A tab as one space and other control characters escaped: a terminal escape in a
    policy cannot drive the terminal, and the caret still lines up."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else " " if c == "\t" else c.encode("unicode_escape").decode()
        for c in text
    )


def render_all(diags: Iterable[Diagnostic], sources: Mapping[str, SourceFile]) -> str:
    diags = list(diags)
    parts = [render(d, sources) for d in diags]
    errors = sum(1 for d in diags if d.severity is Severity.ERROR)
    warnings = len(diags) - errors
    if diags:
        parts.append(
            f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        )
    return "\n\n".join(parts)
