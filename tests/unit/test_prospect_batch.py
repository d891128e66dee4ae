"""A batch of prospects to add, judged in one pass (services/campaigns/prospect_batch.py, the hot path of a CSV
import): each row normalized as the API always did, each refusal with its index, code and message, in order."""

from __future__ import annotations

from services.campaigns.domain import ProspectIn, Step, refusal
from services.campaigns.prospect_batch import check_batch

EMAIL_STEP = Step(0, "email", "email", 0, "", "Hi", "Hello")
INVITE_STEP = Step(0, "linkedin", "invite", 0, "Hi")


def prospect(
    pid: str | None = None,
    pub: str | None = None,
    email: str | None = None,
    first: str = "",
    last: str = "",
    company: str = "",
    fields: dict[str, str] | None = None,
) -> ProspectIn:
    return ProspectIn(pid, pub, email, first, last, company, fields or {})


def test_rows_are_normalized_and_refusals_keep_their_index_code_and_message() -> None:
    rows = [
        prospect(email="  Ada@Example.COM ", first=" Ada ", last=" Lovelace", company=" Acme ", fields={"t": "x"}),
        prospect(first="Nobody"),
        prospect(email="not-an-email"),
        prospect(pub="https://www.linkedin.com/company/acme/"),
        prospect(pid="  ", email="b@example.com"),
        prospect(email="c@example.com", fields={f"k{i}": "v" for i in range(51)}),
        prospect(pub="   ", email="d@example.com"),
    ]
    valid, refused = check_batch(rows, (EMAIL_STEP,))
    assert valid == [
        ProspectIn(None, None, "ada@example.com", "Ada", "Lovelace", "Acme", {"t": "x"}),
        ProspectIn(None, None, "b@example.com"),
        ProspectIn(None, None, "d@example.com"),
    ]
    assert [(i, code) for i, code, _ in refused] == [
        (1, "missing_identity"),
        (2, "invalid_email"),
        (3, "invalid_linkedin_url"),
        (5, "fields_too_large"),
    ]
    assert all(message for _, _, message in refused)


def test_linkedin_urls_become_identifiers_and_each_channel_needs_its_identity() -> None:
    rows = [
        prospect(pub="https://www.linkedin.com/in/ada-lovelace/?utm=1"),
        prospect(pub="https://www.linkedin.com/sales/lead/ACwAAA1234567890,NAME"),
        prospect(email="e@example.com"),
    ]
    valid, refused = check_batch(rows, (INVITE_STEP,))
    assert [p.linkedin_public_identifier for p in valid] == ["ada-lovelace", "ACwAAA1234567890"]
    assert [(i, code) for i, code, _ in refused] == [(2, "missing_linkedin_identity")]
    # The same verdict as refusal() of one prospect, which the rest of the service uses.
    assert refused[0][1:] == refusal(ProspectIn(None, None, "e@example.com"), (INVITE_STEP,))
    _, refused = check_batch([prospect(pid="ACoA1")], (INVITE_STEP, EMAIL_STEP))
    assert [(i, code) for i, code, _ in refused] == [(0, "missing_email")]
