"""Text from records made safe for a terminal.

A cell can hold a terminal escape (`\\x1b]0;...`, `\\x1b[2J`), a carriage return that
overwrites what was printed, or a bidirectional control (U+202E) that reorders it: printed
raw, a staff file could drive the terminal of whoever looks at the results. Every such
character is shown as its Python escape (`\\x1b`, `\\r`, `\\u202e`); newlines and tabs,
which the reports themselves use, are kept.
"""

from __future__ import annotations

import re

# C0 and C1 controls but tab and newline, DEL, and the format characters that reorder or
# hide text (bidi embeddings, overrides and isolates; zero-width and invisible marks).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]"
)


def for_terminal(text: str) -> str:
    """`text` with every character that could drive or mislead a terminal escaped."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def json_for_terminal(text: str) -> str:
    """JSON text with the same characters written as `\\uXXXX` escapes: the document parses
    to the very same values, and shows nothing hidden on a terminal."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
