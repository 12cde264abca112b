"""The mention classifier (pure): category, sentiment, severity, language, reasons; spikes.

See `classifier` for how categories combine and `spikes` for the brand spike detector.
"""

from mentionflow.classify.classifier import (
    BrandProfile,
    Result,
    analyse,
    analyse_mention,
    classification_of,
    classify_mention,
    classify_text,
)

__all__ = [
    "BrandProfile",
    "Result",
    "analyse",
    "analyse_mention",
    "classification_of",
    "classify_mention",
    "classify_text",
]
