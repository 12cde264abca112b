"""The classifier's caches and skipped passes change nothing a caller can see.

Behavioural properties through the public functions only: a warm cache gives what a cold one
gave, a passed-in `folded` gives what folding gives, and the feature pass's outputs hold their
contract (no second copy of any computation is kept here to compare against).
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.classify import rules
from mentionflow.classify.features import NEGATED_PREFIX, Features, extract
from mentionflow.classify.model import CLASSES, DENSE_NAMES, WEIGHT_SCALE, SentimentModel
from mentionflow.classify.tokenize import fold, tokenize

_WORDS = [
    "@user", "not", "great", "pas", "nul", "?", "!!", "merci", "refund", "fire", "lawyer", "(hacked)",
    "1hacked", "#breach", "everyone", "outage", "how", "soooo", "www.x.com", "l'appli", "déçu", "🔥",
    "love", "but", "broke", "my", "login", "vip", "burger", "still", "waiting", "a&e", "!!!", "...",
]
_TEXT = st.one_of(
    st.text(min_size=1, max_size=200),
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=30).map(" ".join),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_TEXT, st.text(alphabet="aAéÉ1_!. ß", min_size=1, max_size=40)), min_size=1, max_size=3))
def test_tokenize_is_the_same_cold_warm_and_with_a_given_fold(texts: list[str]) -> None:
    cold = [tokenize(text) for text in texts]
    assert [tokenize(text) for text in texts] == cold  # now every match is cached
    assert [tokenize(text, fold(text)) for text in texts] == cold


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=4), st.sampled_from([" ", "\n", "\t", "\u00a0", "\u2003", "\x1f"]))
def test_no_token_spans_whitespace(parts: list[str], space: str) -> None:
    def words(tokens: list[str]) -> list[str]:
        return [t for t in tokens if t != "<elong>"]

    joined = tokenize(space.join(parts))
    assert words(joined) == [t for part in parts for t in words(tokenize(part))]
    assert ("<elong>" in joined) == any("<elong>" in tokenize(part) for part in parts)


def test_tokenizer_contract_on_examples() -> None:
    assert tokenize("soooo goooood") == ["<elong>", "soo", "good"]
    assert tokenize("so good!!!") == ["so", "good", "!"]
    assert tokenize("l'appli marche pas ?!") == ["l'", "appli", "marche", "pas", "?", "!"]
    assert tokenize("@NovaTel see https://x.co/a 3,5 GB :( don't") == [
        "@user", "see", "<url>", "<num>", "gb", ":(", "don't"]
    assert tokenize("Déçu, ÇA 🔥🔥") == ["decu", ".", "ca", "🔥", "🔥"]


_ACCENTED = "àâäáãçéèêëîïíìôöóòõùûüúÿñÀÂÇÉÈÊËÎÏÔÖÙÛÜŸÑ"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_ACCENTED + "abcXYZ '`’", max_size=40))
def test_fold_lowercases_and_strips_the_accents(text: str) -> None:
    folded = fold(text)
    assert folded.isascii()
    assert folded == "".join(
        c for c in unicodedata.normalize("NFKD", text.lower().replace("’", "'").replace("`", "'"))
        if not unicodedata.combining(c)
    )
    assert fold("Œuvre `quoted`") == "oeuvre 'quoted'"


@settings(max_examples=400, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=4))
def test_scan_is_the_same_cold_and_warm(texts: list[str]) -> None:
    cold = [rules.scan(fold(text)) for text in texts]
    assert [rules.scan(fold(text)) for text in texts] == cold


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join), st.sampled_from(["my lawyer", "been hacked"]))
def test_a_rule_phrase_is_found_wherever_it_stands(text: str, phrase: str) -> None:
    found = rules.scan(fold(f"{text} {phrase} {text}"))
    assert ("crisis:legal" if phrase == "my lawyer" else "crisis:security") in found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_WORDS, "n't", "never", "jamais", "good", "bad", "."]), max_size=30))
def test_feature_keys_are_distinct_and_negation_marks_what_follows(tokens: list[str]) -> None:
    feats = extract(tokens)
    for key in feats.keys:
        plain = key.removeprefix(NEGATED_PREFIX)
        assert plain in tokens
    assert extract(tokens) == feats  # pure
    assert feats.lex_pos >= 0 and feats.lex_neg >= 0 and feats.vader_pos >= 0 and feats.vader_neg >= 0
    assert extract(["not", "good"]).keys == {"not": None, "n:good": None}
    assert list(extract(["not", "very", "good", ".", "good"]).keys) == ["not", "n:very", "n:good", ".", "good"]


_WEIGHT = st.integers(min_value=-20, max_value=20).map(lambda v: v * 100)  # thousandths; ties happen


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_WEIGHT, _WEIGHT, _WEIGHT), max_size=30), st.integers(min_value=1, max_value=4))
def test_top_features_are_the_strongest_pushes_earliest_first(weights: list, explain: int) -> None:
    model = SentimentModel({"version": "t", "bias": [0.0, 0.0, 0.0], "dense": [[0.0] * 3 for _ in DENSE_NAMES]},
                           {f"t{i}": w for i, w in enumerate(weights)})
    feats = Features({f"t{i}": None for i in range(len(weights))}, 0.0, 0.0, [])
    prediction = model.predict(feats, explain=explain)
    k = prediction.label_index
    totals = [sum(w[c] for w in weights) for c in range(len(CLASSES))]
    assert totals[k] == max(totals)
    # 3x the push, in integers: ties are exact, so "earliest first" is tested as such
    pushes = sorted(((f"t{i}", 3 * w[k] - sum(w)) for i, w in enumerate(weights)), key=lambda item: -item[1])
    expected = [(n, v / 3 / WEIGHT_SCALE) for n, v in pushes[:explain] if v > 0]
    assert [n for n, _ in prediction.top_features] == [n for n, _ in expected]
    assert [v for _, v in prediction.top_features] == pytest.approx([v for _, v in expected])
    assert sum(prediction.probabilities) == pytest.approx(1.0)
