"""The learned category layer: each decision on clear EN/FR mentions (none of them in the
data files), properties of any text, and the committed artifact."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.classify import analyse
from mentionflow.classify.category import ARTIFACT, DECISIONS, load_category_model
from mentionflow.classify.classifier import category_features
from mentionflow_tools.training.datasets import OWN_DATA_DIR, load_own

CATEGORIES = ("question", "complaint", "crisis", "praise", "other")


@pytest.mark.parametrize(
    "text",
    [
        "@NovaTel can I keep my number if I switch to the family plan?",
        "@Telexa est-ce que je peux garder mon numéro avec le forfait famille ?",
        "does anyone know if @QuickBite delivers after midnight",
    ],
)
def test_a_real_question_is_a_question(text: str) -> None:
    result = analyse(text)
    assert result.category == "question"
    assert result.is_question
    assert result.reasons[0].startswith("is_question:model(")


def test_a_rhetorical_question_asks_nothing() -> None:
    result = analyse("pourquoi moi ?! la pluie, le bus, tout @Livrago")
    assert not result.is_question
    assert result.category == "other"


def test_a_quoted_headline_is_news_not_a_question() -> None:
    result = analyse("« @BanqueNova annonce la fermeture de 40 agences » titre le journal")
    assert result.category == "other"
    assert not result.is_question


@pytest.mark.parametrize(
    "text",
    [
        "@QuickBite why have I been charged twice for the same order?",
        "@Livrago pourquoi ma commande n'est toujours pas arrivée après 10 jours ?",
    ],
)
def test_a_complaint_phrased_as_a_question_is_a_complaint_that_asks(text: str) -> None:
    result = analyse(text)
    assert result.category == "complaint"
    assert result.is_question
    assert result.reasons[0].startswith("complaint:model(")
    assert any(r.startswith("is_question:model(") for r in result.reasons)


@pytest.mark.parametrize("text", ["I hate Mondays @QuickBite", "je déteste les lundis @Livrago"])
def test_negative_about_something_else_is_not_a_complaint(text: str) -> None:
    assert analyse(text).category not in ("complaint", "crisis")


@pytest.mark.parametrize(
    "text",
    [
        "@QuickBite there's a strong smell of gas near the ovens in your Leeds branch, staff don't seem to notice",
        "@Livrago votre livreur a fait un malaise devant chez moi, il faudrait prévenir quelqu'un",
    ],
)
def test_a_calm_crisis_is_a_crisis(text: str) -> None:
    result = analyse(text)
    assert result.category == "crisis"
    assert result.reasons[0].startswith("crisis:")


@pytest.mark.parametrize(
    "text",
    [
        "@SkyLinkAir the crew on my flight to Rome were wonderful, thank you!",
        "@AirAzur équipage adorable sur mon vol pour Nice, merci !",
        "@Livrago 👏👏❤️",
    ],
)
def test_praise_including_emoji_only_praise(text: str) -> None:
    result = analyse(text)
    assert result.category == "praise"
    assert result.reasons[0].startswith("praise:model(")


@pytest.mark.parametrize(
    "text", ["this new @QuickBite burger is fire 🔥🔥", "ce nouveau burger @QuickBite est une dinguerie 🔥"]
)
def test_hyperbole_is_not_a_crisis(text: str) -> None:
    assert analyse(text).category != "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "@NovaTel my internet has been down for three days and nobody answers",
        "@Telexa plus d'internet depuis trois jours et personne ne répond",
    ],
)
def test_a_plain_complaint(text: str) -> None:
    result = analyse(text)
    assert result.category == "complaint"
    assert not result.is_question


def test_the_examples_above_are_not_in_the_data_files() -> None:
    texts = {e.text for lang in ("en", "fr") for e in load_own(lang)}
    texts |= {line for line in (OWN_DATA_DIR / "category_extra.jsonl").read_text(encoding="utf-8").splitlines()}
    for example in ("I hate Mondays @QuickBite", "this new @QuickBite burger is fire 🔥🔥", "@Livrago 👏👏❤️",
                    "pourquoi moi ?! la pluie, le bus, tout @Livrago"):
        assert not any(example in t for t in texts)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_decided_with_probabilities_in_range(text: str) -> None:
    decisions = load_category_model().decide(category_features(text))
    assert len(decisions.probabilities) == len(DECISIONS)
    assert all(0.0 <= p <= 1.0 for p in decisions.probabilities)
    result = analyse(text)
    assert result.category in CATEGORIES
    assert result.is_question == decisions.says("is_question")


_NEUTRAL = st.sampled_from([
    "@NovaTel just moved to a new flat",
    "@Livrago j'ai commandé hier soir",
    "booked @SkyLinkAir for the summer",
    "@Telexa nouveau téléphone aujourd'hui",
])
_CRISIS_PHRASES = st.sampled_from([
    "and the charger caught fire", "I'm calling my lawyer", "my account was hacked",
    "fuite de gaz dans le magasin", "intoxication alimentaire après le repas",
])


@settings(max_examples=50, deadline=None)
@given(_NEUTRAL, _CRISIS_PHRASES)
def test_a_crisis_rule_phrase_makes_a_neutral_mention_a_crisis(neutral: str, phrase: str) -> None:
    assert analyse(neutral).category != "crisis"
    result = analyse(f"{neutral}, {phrase}")
    assert result.category == "crisis"
    assert result.reasons[0].startswith("crisis:")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_reasons_name_the_deciding_model(text: str) -> None:
    result = analyse(text)
    if result.category in ("complaint", "praise"):
        assert result.reasons[0].startswith(f"{result.category}:model(")
    elif result.category == "question":
        assert result.reasons[0].startswith("is_question:model(")
    elif result.category == "crisis":
        assert result.reasons[0].startswith("crisis:")
    if result.is_question:
        assert any(r.startswith("is_question:model(") for r in result.reasons)
    else:
        assert not any(r.startswith("is_question:model(") for r in result.reasons)


def test_reason_format_names_model_probability_and_evidence() -> None:
    result = analyse("@QuickBite my refund still hasn't arrived after three weeks")
    reason = result.reasons[0]
    head, _, evidence = reason.partition("):")
    assert head.startswith("complaint:model(0.") or head.startswith("complaint:model(1.")
    assert evidence and all(evidence.split(","))


def test_the_artifact_is_committed_small_and_loaded_once() -> None:
    assert ARTIFACT.is_file()
    assert ARTIFACT.stat().st_size < 550_000  # 0.50 MB today (care-mention words among the features)
    model = load_category_model()
    assert model is load_category_model()
    assert len(model.thresholds) == len(DECISIONS)
    assert all(0.0 < t < 1.0 for t in model.thresholds)


def test_training_says_what_reference_data_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    from mentionflow_tools.training import train_category

    monkeypatch.setenv("MENTIONFLOW_SHARED_DATA", str(tmp_path / "absent"))
    with pytest.raises(SystemExit, match="banking77.tsv"):
        train_category.main(["--out", str(tmp_path / "category.json")])
    assert not (tmp_path / "category.json").exists()
