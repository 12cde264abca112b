"""X's weighted length and the posts.requested contract's refusals."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from mentionflow.events.post_text import MAX_POST_WEIGHT, URL_WEIGHT, weighted_length
from mentionflow.events.posts_requested import PostRequested
from pydantic import ValidationError


def test_latin_counts_one_cjk_and_emoji_count_two() -> None:
    assert weighted_length("café") == 4
    assert weighted_length("日本") == 4
    assert weighted_length("👇") == 2
    assert weighted_length("a – b") == 5  # en dash is in the light punctuation range


def test_every_url_counts_as_23_whatever_its_length() -> None:
    long_url = "https://example.com/" + "x" * 200
    assert weighted_length(f"see {long_url} now") == 4 + URL_WEIGHT + 4
    assert weighted_length("http://a.io") == URL_WEIGHT


def test_280_latin_fits_and_141_emoji_do_not() -> None:
    assert weighted_length("a" * MAX_POST_WEIGHT) == MAX_POST_WEIGHT
    assert weighted_length("🙂" * 141) == MAX_POST_WEIGHT + 2


@given(st.text(alphabet=st.characters(max_codepoint=0x10FF, blacklist_categories=("Cs",)), max_size=400))
def test_text_without_urls_in_the_light_ranges_weighs_its_length(text: str) -> None:
    # X weighs the NFC form: "O" + two combining marks compose into U+1EDC, which is outside
    # the light ranges (two), so the property holds for texts whose NFC form stays inside them.
    normalized = unicodedata.normalize("NFC", text)
    assume(all(ord(c) <= 0x10FF for c in normalized))
    assume("http" not in text.lower() and "www." not in text.lower())
    assert weighted_length(text) == len(normalized)


def test_combining_marks_compose_before_they_are_weighed() -> None:
    assert weighted_length("O\u031b\u0300") == 2  # NFC: U+1EDC, beyond the light ranges
    assert weighted_length("e\u0301") == 1  # NFC: é


def _request(**overrides: object) -> PostRequested:
    fields: dict[str, object] = {"post_id": "p1", "brand_id": "b", "account_handle": "B",
                                 "parts": ["hello"], "requested_by": "alex"}
    fields.update(overrides)
    return PostRequested.model_validate(fields)


def test_a_part_over_280_as_x_counts_is_refused_naming_the_part() -> None:
    with pytest.raises(ValidationError, match="part 2 is 282 characters"):
        _request(parts=["ok", "🙂" * 141])


def test_a_schedule_needs_text_and_a_cancel_does_not() -> None:
    with pytest.raises(ValidationError, match="at least one part"):
        _request(parts=[])
    assert _request(action="cancel", parts=[]).action == "cancel"


def test_a_thread_has_at_most_25_parts() -> None:
    with pytest.raises(ValidationError):
        _request(parts=["x"] * 26)
