"""中文消息。键与 `en.py` 相同；见 `policyc.messages`。"""

MESSAGES: dict[str, str] = {
    "lang.name": "中文",
}
