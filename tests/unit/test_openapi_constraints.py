"""The OpenAPI document states the rules the validation enforces (the fuzz test sends what it allows and expects
it accepted); these pin the pieces it is built from to their sources."""

from __future__ import annotations

import re
import sys

from services.accounts import domain as accounts_domain
from services.gateway import models, openapi
from services.gateway import sender_models as sm


def test_the_whitespace_class_is_pythons_str_strip():
    whitespace = re.compile(f"[{models.WS}]")
    assert [c for c in range(sys.maxunicode + 1) if chr(c).isspace()] == [
        c for c in range(sys.maxunicode + 1) if whitespace.fullmatch(chr(c))
    ]


def test_the_documented_limit_ranges_are_the_accounts_services():
    assert sm.MAX_DAILY_CAP == accounts_domain.MAX_DAILY_CAP
    assert sm.MAX_PACING_SECONDS == accounts_domain.MAX_PACING_SECONDS
    limit = openapi.build()["components"]["schemas"]["LimitIn"]["properties"]
    assert limit["weekly_cap"]["maximum"] == accounts_domain.MAX_WEEKLY_CAP


def test_stripped_text_patterns_count_what_is_left_after_strip():
    name = re.compile(models.stripped(100))
    assert name.fullmatch("\u3000 " + "x" * 100 + "\t")
    assert not name.fullmatch("x" * 101) and not name.fullmatch(" \u2028 ")
    assert not name.fullmatch("a\x00b")


def test_the_email_pattern_agrees_with_the_accounts_check():
    pattern = re.compile(models.EMAIL_PATTERN)
    for text in (
        "jane@acme.example",
        " Jane@Acme.Example\x1c",
        "a@b.c",
        "a b@c.d",
        "a@b",
        "@b.c",
        "a@@b.c",
        "a\x1d@b.c",
    ):
        try:
            accounts_domain.validate_email(text, "email")
            accepted = True
        except Exception:  # noqa: BLE001 - InvalidArgument
            accepted = False
        assert bool(pattern.fullmatch(text)) == accepted, text


def test_a_whole_number_written_with_a_fraction_is_an_integer():
    assert models.Delay.model_validate({"days": 2.0, "hours": 0}).days == 2
    for refused in (2.5, "2", True):
        try:
            models.Delay.model_validate({"days": refused})
        except ValueError:
            continue
        raise AssertionError(f"{refused!r} was accepted as an integer")


def test_every_request_string_refuses_nul_in_the_document():
    schemas = openapi.build()["components"]["schemas"]
    for name in ("CreateWorkspace", "ProspectIn", "StepIn", "ServerIn", "CreateLinkedInAccount"):
        for field, schema in schemas[name]["properties"].items():
            variants = schema.get("anyOf", [schema])
            for variant in variants:
                if variant.get("type") == "string" and "enum" not in variant and "enum" not in schema:
                    pattern = schema.get("pattern") or variant.get("pattern")
                    assert pattern and not re.search(pattern, "a\x00b"), f"{name}.{field}"
