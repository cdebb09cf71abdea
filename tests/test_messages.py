"""Every message exists in every language, with the same fields."""

from __future__ import annotations

import string

from policyc.messages import CATALOGUES, default_lang, msg


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_message_has_both_languages() -> None:
    en, zh = CATALOGUES["en"], CATALOGUES["zh"]
    assert set(en) == set(zh), set(en) ^ set(zh)
    for key in en:
        assert _fields(en[key]) == _fields(zh[key]), key


def test_default_lang_follows_locale() -> None:
    assert default_lang({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert default_lang({"LANG": "en_US.UTF-8"}) == "en"
    assert default_lang({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}) == "en"
    assert default_lang({}) == "en"


def test_msg_fills_fields() -> None:
    assert msg("lang.name", "zh") == "中文"
