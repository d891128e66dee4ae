"""Protobuf enums <-> the lowercase words of the HTTP API and the database
(PAUSE_REASON_LINKEDIN_ACCOUNT_DISCONNECTED <-> "linkedin_account_disconnected")."""

from __future__ import annotations

import re
from functools import cache
from typing import Any


def _prefix(enum_type: Any) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_type.DESCRIPTOR.name).upper() + "_"


@cache
def _words(full_name: str, enum_type: Any) -> tuple[dict[int, str], dict[str, int]]:
    """value -> word and word -> value of one enum, computed once (every response converts several: B5)."""
    prefix = _prefix(enum_type)
    to = {v.number: v.name.removeprefix(prefix).lower() for v in enum_type.DESCRIPTOR.values}
    return to, {word: number for number, word in to.items()}


def to_word(enum_type: Any, value: int) -> str | None:
    """None for the UNSPECIFIED zero value."""
    if value == 0:
        return None
    word = _words(enum_type.DESCRIPTOR.full_name, enum_type)[0].get(value)
    if word is None:  # not a value of the enum: the same error as before
        return str(enum_type.Name(value)).removeprefix(_prefix(enum_type)).lower()
    return word


def from_word(enum_type: Any, word: str | None) -> int:
    if not word:
        return 0
    value = _words(enum_type.DESCRIPTOR.full_name, enum_type)[1].get(word)
    if value is None:  # another spelling (upper case) or unknown: what Value() says, as before
        return int(enum_type.Value(_prefix(enum_type) + word.upper()))
    return value
