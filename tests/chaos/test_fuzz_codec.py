"""Fuzzing the codec: whatever bytes arrive on a topic, `decode` either returns a valid
envelope or raises DecodeError (which the runner dead-letters) — never anything else, which
would crash-loop a consumer on one message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mentionflow.events import TOPICS, DecodeError, decode, encode
from mentionflow.events.envelope import Envelope

from bench.chaos.poison import CONSUMED_TOPICS, corpus, example

TOPIC_NAMES = sorted(TOPICS)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                | st.floats(allow_nan=False) | st.text(max_size=50))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=15), inner, max_size=5), max_leaves=30)


def decodes_or_refuses(topic: str, value: bytes | None) -> Envelope[Any] | None:
    """The contract under test: an Envelope, or None when decode raised DecodeError."""
    try:
        envelope = decode(topic, value)
    except DecodeError as exc:
        assert exc.kind in {"json", "schema", "version", "type"}
        assert str(exc), "a refusal always says why (it becomes the DLQ reason)"
        return None
    assert isinstance(envelope.payload, TOPICS[topic].payload_model)
    # Whatever was accepted survives a round trip (the runner re-encodes outputs).
    assert decode(topic, encode(envelope)) == envelope
    return envelope


@FUZZ
@given(topic=st.sampled_from(TOPIC_NAMES), value=st.binary(max_size=2000))
def test_arbitrary_bytes_are_refused_with_decode_error_only(topic: str, value: bytes) -> None:
    decodes_or_refuses(topic, value)


@FUZZ
@given(topic=st.sampled_from(TOPIC_NAMES), document=json_values)
def test_arbitrary_json_structures_are_refused_with_decode_error_only(topic: str, document: Any) -> None:
    decodes_or_refuses(topic, json.dumps(document).encode())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    clone = json.loads(json.dumps(document))
    node = clone
    for part in path[:-1]:
        node = node[part]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return clone


@FUZZ
@given(topic=st.sampled_from(TOPIC_NAMES), data=st.data())
def test_mutated_examples_are_accepted_or_refused_with_decode_error(topic: str, data: st.DataObject) -> None:
    """Structure-aware mutations of each topic's example: one field deleted or replaced by
    any JSON value (wrong types, huge numbers, nested objects, NUL characters...)."""
    good = example(topic)
    path = data.draw(st.sampled_from(_paths(good)), label="path")
    delete = data.draw(st.booleans(), label="delete")
    value = data.draw(json_values | st.text(alphabet=st.characters(), min_size=0, max_size=300), label="value")
    decodes_or_refuses(topic, json.dumps(_replace(good, path, value, delete)).encode())


@FUZZ
@given(topic=st.sampled_from(TOPIC_NAMES), data=st.data())
def test_byte_level_mutations_of_examples_are_refused_with_decode_error_only(topic: str,
                                                                            data: st.DataObject) -> None:
    """Truncation, byte flips and insertions (invalid UTF-8, NUL bytes) of a valid message."""
    raw = bytearray(json.dumps(example(topic)).encode())
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        position = data.draw(st.integers(0, len(raw)), label="position")
        action = data.draw(st.sampled_from(["truncate", "flip", "insert"]), label="action")
        if action == "truncate":
            del raw[position:]
        elif action == "flip" and position < len(raw):
            raw[position] ^= data.draw(st.integers(1, 255), label="mask")
        else:
            raw[position:position] = data.draw(st.binary(min_size=1, max_size=4), label="inserted")
    decodes_or_refuses(topic, bytes(raw))


@pytest.mark.parametrize("topic", CONSUMED_TOPICS)
def test_every_poison_of_the_corpus_is_refused_for_the_reason_it_was_built_for(topic: str) -> None:
    entries = corpus(topic)
    assert len({e.name for e in entries}) == len(entries) >= 12
    for entry in entries:
        with pytest.raises(DecodeError) as info:
            decode(topic, entry.value)
        assert info.value.kind == entry.expected_kind, (entry.name, str(info.value))


def test_the_examples_the_corpus_breaks_are_themselves_valid() -> None:
    """Otherwise every poison would be refused for the wrong reason."""
    for topic in CONSUMED_TOPICS:
        assert decodes_or_refuses(topic, json.dumps(example(topic)).encode()) is not None
