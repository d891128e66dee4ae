"""A batch of prospects to add (up to 10,000 a call), normalized and judged in one pass: the hot path of a CSV
import, so the work per row is kept to what each row needs (the campaign's channels are read once, not per row)."""

from __future__ import annotations

from collections.abc import Sequence

from services.campaigns.domain import ProspectIn, Step, refusal_for
from services.campaigns.linkedin_identity import IdentityError, linkedin_identifier


def check_batch(
    prospects: Sequence[ProspectIn], steps: Sequence[Step]
) -> tuple[list[ProspectIn], list[tuple[int, str, str]]]:
    """(the valid prospects, normalized; (index, code, message) of each refused one), in the input's order."""
    why_not = refusal_for(steps)
    valid: list[ProspectIn] = []
    refused: list[tuple[int, str, str]] = []
    for index, prospect in enumerate(prospects):
        given = prospect.linkedin_public_identifier
        identifier = None
        if given and given.strip():
            try:
                # A profile URL or a public identifier; the scheduler resolves it to a provider id (issue 13).
                identifier = linkedin_identifier(given)
            except IdentityError as exc:
                refused.append((index, exc.code, exc.message))
                continue
        provider_id = prospect.linkedin_provider_id
        email = prospect.email
        normalized = ProspectIn(
            (provider_id.strip() or None) if provider_id else None,
            identifier,
            (email.strip().lower() or None) if email else None,
            prospect.first_name.strip(),
            prospect.last_name.strip(),
            prospect.company.strip(),
            prospect.fields,
        )
        why = why_not(normalized)
        if why is None:
            valid.append(normalized)
        else:
            refused.append((index, *why))
    return valid, refused
