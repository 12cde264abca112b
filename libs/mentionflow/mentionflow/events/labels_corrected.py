"""labels.corrected: a person corrected a mention's labels, or reset a brand's learning.

The console produces it; classify folds every event of a brand, in topic order, into that
brand's adapter (see mentionflow.classify.adapters). The event carries everything the
adapter learns from — the text and the labels before and after — so classify rebuilds an
adapter by reading this topic, never by looking anything up or re-classifying history (it
runs the shared model on the event's own text, to learn against the view it applies on).

`kind="correction"`: mention_id, text and at least one new label are required; an old label
is the one the mention carried when the person corrected it. `kind="reset"`: the brand's
adapter starts again from nothing; it carries no mention, text or label.
"""

from __future__ import annotations

import unicodedata
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from mentionflow.events.envelope import EventModel
from mentionflow.events.mentions_classified import Category, Sentiment
from mentionflow.events.mentions_raw import MAX_TEXT_CHARS

EVENT_TYPE = "labels.corrected"
SCHEMA_VERSION = 1


class LabelCorrected(EventModel):
    correction_id: str = Field(min_length=1, max_length=64, description="unique id of this correction")
    brand_id: str = Field(min_length=1, max_length=200)
    kind: Literal["correction", "reset"]
    mention_id: str | None = Field(default=None, min_length=1, max_length=64)
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_CHARS)
    language: str | None = Field(default=None, max_length=16)
    old_category: Category | None = None
    new_category: Category | None = None
    old_sentiment: Sentiment | None = None
    new_sentiment: Sentiment | None = None
    model_version: str | None = Field(default=None, max_length=64, description="of the corrected classification")
    corrected_by: str = Field(min_length=1, max_length=200, description="username, or 'cli:<user>' for a reset")

    @field_validator("text")
    @classmethod
    def _text_is_clean(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if "\x00" in value:
            raise ValueError("text contains a NUL character")
        return unicodedata.normalize("NFC", value)

    @model_validator(mode="after")
    def _kind_has_its_fields(self) -> Self:
        labels = (self.old_category, self.new_category, self.old_sentiment, self.new_sentiment)
        if self.kind == "reset":
            if self.mention_id is not None or self.text is not None or any(v is not None for v in labels):
                raise ValueError("a reset carries no mention_id, text or labels")
            return self
        if self.mention_id is None or self.text is None:
            raise ValueError("a correction needs mention_id and text")
        if self.new_category is None and self.new_sentiment is None:
            raise ValueError("a correction needs new_category or new_sentiment")
        return self
