"""The per-brand adapter, pure: learning, like-corrections, bounds, isolation between brands,
reset, determinism."""

from __future__ import annotations

import uuid

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.classify import analyse
from mentionflow.classify.adapters import BASE_SCORE, LABELS, Adapters, base_scores, refusal
from mentionflow.events import make_envelope
from mentionflow.events.labels_corrected import LabelCorrected
from pydantic import ValidationError

WORDS = ["parcel", "box", "dented", "late", "refund", "app", "love", "hate", "why", "thanks", "driver", "cold",
         "pizza", "seat", "flight", "wifi", "bill", "price", "new", "again"]
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(lambda ws: "@brand " + " ".join(ws))
brands = st.sampled_from(["acme", "globex", "initech"])


def correction(brand: str, text: str, *, category: str | None = None, old_category: str | None = None,
               sentiment: str | None = None, old_sentiment: str | None = None,
               correction_id: str | None = None) -> LabelCorrected:
    return LabelCorrected(correction_id=correction_id or str(uuid.uuid4()), brand_id=brand, kind="correction",
                          mention_id="m-1",
                          text=text, old_category=old_category, new_category=category,
                          old_sentiment=old_sentiment, new_sentiment=sentiment, corrected_by="agent")


def reset(brand: str) -> LabelCorrected:
    return LabelCorrected(correction_id=str(uuid.uuid4()), brand_id=brand, kind="reset", corrected_by="cli:ops")


events = st.one_of(
    st.builds(lambda b, t, c, o: correction(b, t, category=c, old_category=o), brands, texts,
              st.sampled_from(LABELS["category"]), st.sampled_from(LABELS["category"])),
    st.builds(lambda b, t, s, o: correction(b, t, sentiment=s, old_sentiment=o), brands, texts,
              st.sampled_from(LABELS["sentiment"]), st.sampled_from(LABELS["sentiment"])),
    st.builds(reset, brands),
)


def outputs(adapters: Adapters, brand: str, probes: list[str]) -> bytes:
    return orjson.dumps([adapters.adapt(brand, t, analyse(t))._asdict() for t in probes])


def test_corrections_teach_the_brand_and_the_version_shows() -> None:
    adapters = Adapters()
    text = "@acme saw your van parked on our street"
    shared = analyse(text)
    assert shared.category != "complaint"
    for _ in range(5):  # a community manager correcting the same kind of mention a few times
        current = adapters.adapt("acme", text, shared)
        if current.category == "complaint":
            break
        adapters.fold(correction("acme", text, category="complaint", old_category=current.category))
    similar = "@acme your van parked on our street this morning"
    adapted = adapters.adapt("acme", similar, analyse(similar))
    assert adapted.category == "complaint"
    assert adapted.reasons[0] == f"adapter:category:{analyse(similar).category}->complaint"
    assert adapted.model_version == f"{shared.model_version}+acme:{adapters.brands['acme'].version}"
    untouched = analyse(similar)
    assert adapters.adapt("globex", similar, untouched) is untouched


def test_a_crisis_is_never_demoted() -> None:
    adapters = Adapters()
    text = "@acme there is a bomb threat at your store, people are evacuating"
    shared = analyse(text)
    assert shared.category == "crisis"
    for _ in range(20):
        adapters.fold(correction("acme", text, category="other", old_category="crisis"))
    assert adapters.adapt("acme", text, shared).category == "crisis"


def test_a_long_brand_id_still_fits_model_version() -> None:
    adapters = Adapters()
    brand = "b" * 200
    adapters.fold(correction(brand, "@b late again", sentiment="negative", old_sentiment="neutral"))
    version = adapters.adapt(brand, "@b late", analyse("@b late")).model_version
    assert len(version) <= 64 and version.endswith(":1")


def test_a_copy_of_a_corrected_mention_takes_its_labels_and_names_it() -> None:
    adapters = Adapters()
    text = "@acme the parcel box came dented and the driver left it in the rain"
    shared = analyse(text)
    assert shared.sentiment != "positive"
    adapters.fold(correction("acme", text, sentiment="positive", old_sentiment=shared.sentiment,
                             correction_id="c-42"))
    retweet = "RT @someone: @acme the parcel box came dented and the driver left it in the rain"
    adapted = adapters.adapt("acme", retweet, analyse(retweet))
    assert adapted.sentiment == "positive"
    assert adapted.reasons[:2] == [f"adapter:sentiment:{analyse(retweet).sentiment}->positive",
                                   "adapter:like-correction:c-42"]
    # One correction of a mention only nudges the weights: an unlike mention keeps its label.
    unlike = "@acme the new app is slow to open"
    assert adapters.adapt("acme", unlike, analyse(unlike)).sentiment == analyse(unlike).sentiment


def test_the_shared_models_confidence_is_the_base() -> None:
    # The shared label is on top (an empty adapter changes nothing); an unsure decision is
    # closer to its rivals than a sure one, so corrections flip it first.
    unsure, sure = base_scores("sentiment", "neutral", 0.3), base_scores("sentiment", "neutral", 0.0)
    assert max(unsure, key=unsure.get) == "neutral" and max(sure, key=sure.get) == "neutral"
    assert unsure["neutral"] - unsure["positive"] < sure["neutral"] - sure["positive"]
    # Score and label can disagree a little (a 0.4 / 0.35 / 0.25 split): the label still wins.
    lifted = base_scores("sentiment", "negative", -0.15)
    assert lifted["negative"] == max(lifted.values())
    category = base_scores("category", "praise")
    assert category["praise"] == BASE_SCORE and set(category.values()) == {0.0, BASE_SCORE}


@settings(max_examples=60, deadline=None)
@given(st.lists(events, max_size=40), st.integers(min_value=1, max_value=6))
def test_an_adapter_never_holds_more_than_its_cap(sequence: list[LabelCorrected], cap: int) -> None:
    adapters = Adapters(max_tokens=cap, max_remembered=cap)
    for event in sequence:
        adapters.fold(event)
        assert all(len(a.weights) <= cap and len(a.remembered) <= cap for a in adapters.brands.values())
        # ...and the look-up index holds exactly the remembered texts' keys.
        assert all(sum(map(len, a.keyed.values())) == sum(len(e.keys) for e in a.remembered.values())
                   for a in adapters.brands.values())


@settings(max_examples=40, deadline=None)
@given(st.lists(events, max_size=30), st.lists(texts, min_size=1, max_size=5))
def test_other_brands_events_never_change_a_brands_results(sequence: list[LabelCorrected],
                                                           probes: list[str]) -> None:
    mixed, alone = Adapters(), Adapters()
    for event in sequence:
        mixed.fold(event)
        if event.brand_id == "acme":
            alone.fold(event)
    assert outputs(mixed, "acme", probes) == outputs(alone, "acme", probes)
    # ...and a brand without events gets the shared model's result, byte for byte.
    nobody = [analyse(t)._asdict() for t in probes]
    assert outputs(mixed, "umbrella", probes) == orjson.dumps(nobody)


@settings(max_examples=40, deadline=None)
@given(st.lists(events, max_size=30), st.lists(texts, min_size=1, max_size=5))
def test_a_reset_forgets_everything_but_counts_as_a_version(sequence: list[LabelCorrected],
                                                           probes: list[str]) -> None:
    adapters = Adapters()
    for event in sequence:
        adapters.fold(event)
    adapters.fold(reset("acme"))
    adapter = adapters.brands["acme"]
    assert not adapter.weights and not adapter.remembered and adapter.version >= 1
    for text in probes:
        shared = analyse(text)
        assert adapters.adapt("acme", text, shared) == shared._replace(
            model_version=f"{shared.model_version}+acme:{adapter.version}")


@settings(max_examples=30, deadline=None)
@given(st.lists(events, max_size=30), st.lists(texts, min_size=1, max_size=5))
def test_the_same_events_rebuild_the_same_adapters(sequence: list[LabelCorrected], probes: list[str]) -> None:
    first, second = Adapters(), Adapters()
    for event in sequence:
        first.fold(event)
    for event in sequence:
        second.fold(LabelCorrected.model_validate_json(event.model_dump_json()))  # as read back from Kafka
    for brand in ("acme", "globex", "initech"):
        assert outputs(first, brand, probes) == outputs(second, brand, probes)


def test_events_the_adapters_refuse() -> None:
    with pytest.raises(ValidationError, match="a reset carries no"):
        LabelCorrected(correction_id="c", brand_id="acme", kind="reset", text="hello", corrected_by="x")
    with pytest.raises(ValidationError, match="needs new_category or new_sentiment"):
        LabelCorrected(correction_id="c", brand_id="acme", kind="correction", mention_id="m", text="hi",
                       corrected_by="x")
    with pytest.raises(ValidationError, match="new_category"):
        LabelCorrected(correction_id="c", brand_id="acme", kind="correction", mention_id="m", text="hi",
                       new_category="angry", corrected_by="x")  # type: ignore[arg-type]
    event = correction("acme", "@acme late", category="complaint", old_category="other")
    envelope = make_envelope("labels.corrected", event, brand_id="globex", correlation_id="m-1")
    adapters = Adapters()
    assert refusal(envelope) is not None
    assert adapters.fold_envelope(envelope) == refusal(envelope) and not adapters.brands
