"""Dates written in out-of-office messages, in English, French, German, Spanish, Portuguese, Italian and Dutch.
Pure: no I/O, no clock (the day the message arrived is given).

Found: ISO dates (2026-03-12), numeric dates (12/03/2026, 12.03.26, 12-03, 03/12 in US order), and day + month
name in either order ("March 12th, 2026", "12 mars", "12. März", "12 de marzo", "12 de março", "12 marzo",
"12 maart"), weekday names being ignored. A numeric date that reads both ways takes the reading nearest after
the arrival day. A date without a year is the next such day on or after the arrival day."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

# Dates further out than this are not a return from leave (an order number, a contract date...).
HORIZON_DAYS = 366


def _fold(text: str) -> str:
    """Lower case without accents, so "Março", "marco" and "MARÇO" read alike."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Month names and their usual abbreviations, in the seven languages (not those that are common words: "out",
# "set", "ago", "mar", "gen", "mag"...).
_MONTH_NAMES = (
    "january jan janvier janv januar jän jaenner jänner enero ene janeiro gennaio januari",
    "february feb février fevrier févr fev februar febrero febr fevereiro febbraio febbr februari",
    "march mars märz maerz marzo março maart mrt",
    "april apr avril avr abril abr aprile",
    "may mai mayo maio maggio mei",
    "june jun juin juni junio junho giugno",
    "july jul juillet juil juli julio julho luglio",
    "august aug août aout agosto augustus",
    "september sep sept septembre septiembre setiembre setembro settembre",
    "october oct octobre oktober okt octubre outubro ottobre",
    "november nov novembre noviembre novembro",
    "december dec décembre decembre dez dezember diciembre dic dezembro dicembre",
)
_MONTH_NUMBER: dict[str, int] = {}
for _number, _names in enumerate(_MONTH_NAMES, start=1):
    for _name in _names.split():
        _MONTH_NUMBER.setdefault(_fold(_name), _number)

_MONTH = "|".join(sorted((re.escape(m) for m in _MONTH_NUMBER), key=len, reverse=True))
_DAY = r"(?P<d>[0-3]?\d)(?:st|nd|rd|th|er|e|º|°|\.)?"
_YEAR = r"(?P<y>(?:19|20)\d{2})"
_DAY_MONTH = re.compile(rf"\b{_DAY}\s*(?:de\s+|of\s+)?(?P<m>{_MONTH})\.?(?:\s*(?:de\s+)?,?\s*{_YEAR})?\b")
_MONTH_DAY = re.compile(rf"\b(?P<m>{_MONTH})\.?\s+{_DAY}(?:\s*,?\s*{_YEAR})?\b")
_ISO = re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<a>\d{1,2})-(?P<b>\d{1,2})\b")
_NUMERIC = re.compile(r"\b(?P<a>\d{1,2})[./-](?P<b>\d{1,2})(?:[./-](?P<y>(?:19|20)?\d{2}))?\b")


def dates_in(text: str, arrived: date) -> list[date]:
    """Every plausible date in the text, between the arrival day and HORIZON_DAYS after it, in text order."""
    folded = _fold(text)
    found: list[tuple[int, date]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, candidates: list[date]) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        # A date read once is not read again by a looser pattern, even when it is out of range.
        taken.append((start, end))
        good = sorted(d for d in candidates if arrived <= d <= arrived + timedelta(days=HORIZON_DAYS))
        if good:
            found.append((start, good[0]))

    for m in _ISO.finditer(folded):
        add(m.start(), m.end(), _candidates(int(m["y"]), int(m["a"]), int(m["b"]), arrived))
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for m in pattern.finditer(folded):
            year = int(m["y"]) if m["y"] else None
            add(m.start(), m.end(), _with_year(year, _MONTH_NUMBER[m["m"]], int(m["d"]), arrived))
    for m in _NUMERIC.finditer(folded):
        year = _full_year(m["y"]) if m["y"] else None
        a, b = int(m["a"]), int(m["b"])
        # Day first (Europe) or month first (US): whichever reads as a date; both kept, nearest wins.
        add(m.start(), m.end(), _with_year(year, b, a, arrived) + _with_year(year, a, b, arrived))
    return [d for _, d in sorted(found)]


def _full_year(text: str) -> int:
    value = int(text)
    return value + 2000 if value < 100 else value


def _candidates(year: int, month: int, day: int, arrived: date) -> list[date]:
    try:
        return [date(year, month, day)]
    except ValueError:
        return []


def _with_year(year: int | None, month: int, day: int, arrived: date) -> list[date]:
    if year is not None:
        return _candidates(year, month, day, arrived)
    for y in (arrived.year, arrived.year + 1):
        got = _candidates(y, month, day, arrived)
        if got and got[0] >= arrived:
            return got
    return []


def return_date(text: str, arrived: date) -> date | None:
    """The day the writer is back: the day after the latest date the message names (an "until the 12th" may
    mean the 12th is still a day off; the day after is never too early), or None when it names none."""
    found = dates_in(text, arrived)
    return max(found) + timedelta(days=1) if found else None
