"""The sentiment model's artifact format: what is written is what is read, and a damaged
file is refused with a message instead of scoring with wrong weights."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.classify.features import extract
from mentionflow.classify.model import ARTIFACT, MAGIC, WEIGHT_SCALE, load_model, read_artifact, write_artifact

HEADER = {"version": "test-1", "classes": ["negative", "neutral", "positive"], "bias": [0.1, -0.2, 0.1],
          "dense_names": [], "dense": [[0.0, 0.0, 0.0]] * 8}

keys = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), min_size=1, max_size=12)
weights = st.lists(st.integers(-32768, 32767), min_size=3, max_size=3).map(lambda r: [v / WEIGHT_SCALE for v in r])


@settings(max_examples=50, deadline=None)
@given(table=st.dictionaries(keys, weights, max_size=30))
def test_weights_round_trip_exactly(tmp_path_factory: pytest.TempPathFactory, table: dict[str, list[float]]) -> None:
    path = tmp_path_factory.mktemp("model") / "sentiment.bin"
    write_artifact(path, HEADER, table)
    model = read_artifact(path)
    assert model.version == "test-1"
    assert {k: [v / WEIGHT_SCALE for v in w] for k, w in model.weights.items()} == table


def test_weights_are_rounded_to_thousandths(tmp_path: Path) -> None:
    path = tmp_path / "sentiment.bin"
    write_artifact(path, HEADER, {"great": [-0.12349, 0.0004, 1.2346]})
    assert read_artifact(path).weights == {"great": (-123, 0, 1235)}


def test_the_sparse_weights_decide_the_prediction(tmp_path: Path) -> None:
    path = tmp_path / "sentiment.bin"
    write_artifact(path, HEADER, {"awful": [2.0, 0.0, -2.0], "lovely": [-2.0, 0.0, 2.0]})
    model = read_artifact(path)
    assert model.predict(extract(["awful"])).label == "negative"
    assert model.predict(extract(["lovely"])).label == "positive"
    assert model.predict(extract(["lovely"]), explain=1).top_features == [("lovely", pytest.approx(2.0))]


@pytest.mark.parametrize(("table", "message"), [
    ({"two\nlines": [0.0, 0.0, 0.0]}, "newline"),
    ({"big": [0.0, 40.0, 0.0]}, "out of the stored range"),
    ({"short": [0.0, 1.0]}, "not 3"),
])
def test_weights_that_cannot_be_stored_are_refused(tmp_path: Path, table: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_artifact(tmp_path / "sentiment.bin", HEADER, table)


def test_a_damaged_artifact_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sentiment.bin"
    write_artifact(path, HEADER, {"a": [0.1, 0.2, 0.3], "b": [0.0, 0.0, 0.0]})
    data = path.read_bytes()
    path.write_bytes(data[:-2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        read_artifact(path)
    path.write_bytes(b"{" + data[len(MAGIC):])
    with pytest.raises(ValueError, match="bad magic line"):
        read_artifact(path)


def test_the_committed_artifact_loads_and_stays_small() -> None:
    model = load_model()
    assert len(model.weights) > 50_000
    assert ARTIFACT.stat().st_size < 3_000_000  # 2.1 MB today
