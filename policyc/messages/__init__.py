"""User-facing text, one catalogue per language.

Each catalogue (`en.py`, `zh.py`) is one dict from a stable key to a `str.format` template;
both hold the same keys (a test says so). Code asks for a message by key and language and
never spells user-facing words itself, so a translation is a change to one file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from policyc.messages import en, zh

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")
CATALOGUES: Mapping[Lang, Mapping[str, str]] = {"en": en.MESSAGES, "zh": zh.MESSAGES}


def msg(key: str, lang: Lang = "en", /, **fields: object) -> str:
    """The message `key` in `lang`, with `fields` filled in."""
    return CATALOGUES[lang][key].format(**fields)


def default_lang(environ: Mapping[str, str] | None = None) -> Lang:
    """The language the locale asks for: `zh` for any Chinese locale, else `en`.

    The variables are read in the order POSIX gives them precedence.
    """
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"
