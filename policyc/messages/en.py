"""English messages. Keys are shared with `zh.py`; see `policyc.messages`."""

MESSAGES: dict[str, str] = {
    "lang.name": "English",
}
