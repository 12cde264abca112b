"""The classifier's fast paths (caches, skipped passes) give exactly what the plain paths give."""

from __future__ import annotations

import functools

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.classify import rules
from mentionflow.classify.tokenize import (
    _ELISION,
    _FOLD,
    _SPECIAL_FIRST,
    _SQUEEZE_RE,
    _TOKEN_RE,
    _TRIPLE_RE,
    fold,
    tokenize,
)

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
@given(st.one_of(_TEXT, st.text(alphabet="aAéÉ1_!. ß", min_size=1, max_size=40)))
def test_the_squeeze_is_skipped_only_when_it_would_change_nothing(text: str) -> None:
    folded = fold(text)
    if not _TRIPLE_RE.search(folded):
        assert _SQUEEZE_RE.subn(r"\1\1", folded) == (folded, 0)
    assert tokenize(text) == tokenize(text, folded)


def test_elongation_is_still_squeezed_and_flagged() -> None:
    assert tokenize("soooo goooood") == ["<elong>", "soo", "good"]
    assert tokenize("so good!!!") == ["so", "good", "!"]


def _scan_without_cache(folded: str) -> dict[str, str]:
    """The scan as specified: a rule runs when a word (stripped) starts with one of its triggers."""
    candidates: set[str] = set()
    for word in folded.split():
        candidates.update(rules._triggers(word))
    found = {}
    for name, pattern in rules._BOUNDED.items():
        if name in candidates and (m := pattern.search(folded)):
            found[name] = m.group()
    return found


@settings(max_examples=400, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=4))
def test_scan_with_its_word_cache_equals_the_uncached_scan(texts: list[str]) -> None:
    for text in texts + texts:  # the second pass runs on a warm cache
        folded = fold(text)
        assert rules.scan(folded) == _scan_without_cache(folded)


def test_scan_word_cache_is_bounded() -> None:
    saved = dict(rules._WORD_TRIGGERS)
    try:
        rules._WORD_TRIGGERS.clear()
        for i in range(rules._WORD_TRIGGERS_LIMIT + 10):
            rules._WORD_TRIGGERS.setdefault(f"w{i}", ())
        assert rules.scan("my lawyer says hello") == {"crisis:legal": "lawyer"}
        assert len(rules._WORD_TRIGGERS) <= rules._WORD_TRIGGERS_LIMIT
    finally:
        rules._WORD_TRIGGERS.clear()
        rules._WORD_TRIGGERS.update(saved)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_TEXT, st.text(alphabet="aZ`'é’ÉŒœ1 ", max_size=30)))
def test_fold_skips_the_table_only_when_it_would_change_nothing(text: str) -> None:
    assert fold(text) == text.lower().translate(_FOLD)
    assert fold("Déçu `quoted` ÇA") == "decu 'quoted' ca"


def _tokenize_reference(text: str) -> list[str]:
    """The tokenizer's contract written plainly: squeeze, one regex pass, each match mapped."""
    out: list[str] = []
    squeezed, elongated = _SQUEEZE_RE.subn(r"\1\1", fold(text))
    if elongated:
        out.append("<elong>")
    for tok in _TOKEN_RE.findall(squeezed):
        first = tok[0]
        if first.isalpha():
            if first in "hw" and (tok == "http" or tok.startswith(("http://", "https://", "www."))):
                out.append("<url>")
                continue
            if "'" in tok:
                for prefix in _ELISION:
                    if tok.startswith(prefix) and len(tok) > len(prefix):
                        out.append(prefix)
                        tok = tok[len(prefix):]
                        break
                tok = tok.rstrip("'") or tok
            out.append(tok)
        elif first.isdigit():
            out.append("<num>")
        elif first == ":" and len(tok) > 1 and tok[1] not in ".,;:":
            out.append(tok)
        else:
            out.append(_SPECIAL_FIRST.get(first, tok))
    return out


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_TEXT, st.sampled_from(["l'appli", "qu''", "n'", "c'est'", ":-(", ":.", "http", "1,5"])),
                min_size=1, max_size=3))
def test_tokenize_with_its_match_cache_equals_the_reference(texts: list[str]) -> None:
    for text in texts + texts:  # the second pass runs on a warm cache
        assert tokenize(text) == _tokenize_reference(text)


_WEIGHT = st.floats(min_value=-2, max_value=2, allow_nan=False).map(lambda v: round(v, 1))  # ties happen


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_WEIGHT, _WEIGHT, _WEIGHT), max_size=30), st.integers(min_value=1, max_value=4))
def test_top_features_are_the_strongest_pushes_earliest_first(weights: list, explain: int) -> None:
    from mentionflow.classify.model import SentimentModel

    used = [(f"w:t{i}", w) for i, w in enumerate(weights)]
    prediction = SentimentModel._finish(0.0, 0.0, 0.0, (0.0, 0.0, 0.0), used, explain)
    k = prediction.label_index
    pushes = sorted(((n, w[k] - (w[0] + w[1] + w[2]) / 3) for n, w in used), key=lambda item: -item[1])
    assert prediction.top_features == [(n, v) for n, v in pushes[:explain] if v > 0]


_PLAIN_WORDS = ["love", "great", "awful", "refund", "order", "the", "app", "zzzunknown", "merci", "nul", ":(",
                "😡", ".", "!", "?", "<url>", "@user", "<num>", "delivery", "thanks"]


@functools.cache
def _full_loop_model():  # noqa: ANN202
    """A second copy of the model whose every token counts as a modifier: it always takes the
    full loop of `predict_tokens`, never the unmodified path."""
    from mentionflow.classify.model import ARTIFACT, SentimentModel

    model = SentimentModel(orjson.loads(ARTIFACT.read_bytes()))
    model._modifiers = frozenset(_PLAIN_WORDS) | {"<unknown>"}
    return model


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN_WORDS), max_size=25), st.sampled_from([None, "en", "fr"]),
       st.integers(min_value=0, max_value=3))
def test_the_unmodified_path_equals_the_full_loop(tokens: list[str], lang: str | None, explain: int) -> None:
    from mentionflow.classify.model import load_model

    fast = load_model()
    assert fast._modifiers.isdisjoint(_PLAIN_WORDS)  # so every draw takes the unmodified path
    # "<unknown>" (no weight, in no lexicon) makes even an empty draw take the full loop.
    want, want_feats = _full_loop_model().predict_tokens([*tokens, "<unknown>"], lang=lang, explain=explain)
    got, got_feats = fast.predict_tokens(tokens, lang=lang, explain=explain)
    assert got == want
    assert (got_feats.lex_pos, got_feats.lex_neg, got_feats.vader_pos, got_feats.vader_neg, got_feats.hits) == (
        want_feats.lex_pos, want_feats.lex_neg, want_feats.vader_pos, want_feats.vader_neg, want_feats.hits)
