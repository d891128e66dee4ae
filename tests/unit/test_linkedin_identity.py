"""Prospect uploads take what users have: LinkedIn profile URLs or public identifiers (issue 13)."""

from __future__ import annotations

import pytest

from services.campaigns.linkedin_identity import IdentityError, linkedin_identifier


@pytest.mark.parametrize(
    ("given", "identifier"),
    [
        ("https://www.linkedin.com/in/ada-lovelace/", "ada-lovelace"),
        ("https://www.linkedin.com/in/ada-lovelace", "ada-lovelace"),
        ("http://linkedin.com/in/ada-lovelace/details/experience/", "ada-lovelace"),
        ("www.linkedin.com/in/ada-lovelace?originalSubdomain=uk", "ada-lovelace"),
        ("https://de.linkedin.com/in/m%C3%BCller-1a2b3c/", "müller-1a2b3c"),
        ("  ada-lovelace  ", "ada-lovelace"),
        ("https://www.linkedin.com/sales/lead/ACwAAAB1c2VyMTIz,NAME_SEARCH,abcd", "ACwAAAB1c2VyMTIz"),
        ("https://www.linkedin.com/sales/people/ACwAAAB1c2VyMTIz,name", "ACwAAAB1c2VyMTIz"),
    ],
)
def test_profile_urls_and_identifiers_are_understood(given: str, identifier: str) -> None:
    assert linkedin_identifier(given) == identifier


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("https://www.linkedin.com/company/acme/", "invalid_linkedin_url"),
        ("https://evil.example/in/ada-lovelace/", "invalid_linkedin_url"),
        ("https://notlinkedin.com/in/ada/", "invalid_linkedin_url"),
        ("ftp://www.linkedin.com/in/ada-lovelace/", "invalid_linkedin_url"),
        ("https://www.linkedin.com/in/", "invalid_linkedin_url"),
        ("https://www.linkedin.com/sales/lead/,x", "invalid_linkedin_url"),
        ("ada lovelace", "invalid_linkedin_identifier"),
        ("ab", "invalid_linkedin_identifier"),
        ("   ", "invalid_linkedin_identifier"),
    ],
)
def test_anything_else_is_refused_with_a_reason(given: str, code: str) -> None:
    with pytest.raises(IdentityError) as caught:
        linkedin_identifier(given)
    assert caught.value.code == code and caught.value.message
