"""Message templates: `{{first_name}}`-style placeholders, filled per prospect, and the check that a template
stays within its channel's limit once filled with long but ordinary values (issue 13)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
# LinkedIn refuses an invitation note longer than this (DESIGN §6).
INVITE_NOTE_MAX_CHARS = 300
# Long but real values: names and companies this long exist, and custom fields are free text.
LONG_SAMPLE = {"first_name": "A" * 30, "last_name": "B" * 40, "company": "C" * 60}
LONG_CUSTOM_FIELD = 80


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill placeholders; an unknown one becomes empty rather than leaking braces."""
    return PLACEHOLDER.sub(lambda m: values.get(m[1], ""), template)


@dataclass(frozen=True, slots=True)
class TemplateWarning:
    field: str
    message: str
    # The length of the template filled with long sample values.
    sample_length: int


def long_value_warnings(steps: Iterable[tuple[int, str, str]]) -> list[TemplateWarning]:
    """For steps given as (index, action, text): invite notes that would pass LinkedIn's limit once filled
    with long names, companies and custom fields. Such a prospect is stopped before its invite is tried."""
    warnings = []
    for index, action, text in steps:
        if action not in ("invite", "linkedin_invite") or not text:
            continue
        sample = {name: LONG_SAMPLE.get(name, "D" * LONG_CUSTOM_FIELD) for name in PLACEHOLDER.findall(text)}
        length = len(render(text, sample))
        if length > INVITE_NOTE_MAX_CHARS:
            warnings.append(
                TemplateWarning(
                    f"steps.{index}.text",
                    f"filled with long values this invitation note has {length} characters; LinkedIn allows "
                    f"{INVITE_NOTE_MAX_CHARS}, and a prospect whose note is too long is stopped, not invited",
                    length,
                )
            )
    return warnings
