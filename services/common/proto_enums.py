"""Protobuf enums <-> the lowercase words of the HTTP API and the database
(PAUSE_REASON_LINKEDIN_ACCOUNT_DISCONNECTED <-> "linkedin_account_disconnected")."""

from __future__ import annotations

import re
from typing import Any


def _prefix(enum_type: Any) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_type.DESCRIPTOR.name).upper() + "_"


def to_word(enum_type: Any, value: int) -> str | None:
    """None for the UNSPECIFIED zero value."""
    if value == 0:
        return None
    return str(enum_type.Name(value)).removeprefix(_prefix(enum_type)).lower()


def from_word(enum_type: Any, word: str | None) -> int:
    if not word:
        return 0
    return int(enum_type.Value(_prefix(enum_type) + word.upper()))
