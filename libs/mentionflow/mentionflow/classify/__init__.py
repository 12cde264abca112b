"""The mention classifier (pure): category, sentiment, severity, language, reasons; spikes.

See `classifier` for how categories combine and `spikes` for the brand spike detector.
"""

from mentionflow.classify.classifier import (
    BrandProfile,
    Result,
    analyse,
    classify_mention,
    classify_text,
    upgrade_for_spike,
)

__all__ = [
    "BrandProfile",
    "Result",
    "analyse",
    "classify_mention",
    "classify_text",
    "upgrade_for_spike",
]
