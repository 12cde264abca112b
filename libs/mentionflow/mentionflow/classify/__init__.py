"""The mention classifier (pure): category, sentiment, severity, language, reasons; spikes.

See `classifier` for how categories combine and `spikes` for the brand spike detector.
"""

from mentionflow.classify.native import compiled_dir

# Before any submodule is imported: the compiled build of the hot path, when it is current (`native`).
_compiled, IMPLEMENTATION = compiled_dir()
if _compiled is not None:
    __path__.insert(0, str(_compiled))

from mentionflow.classify.classifier import (  # noqa: E402 (the package path is set first)
    BrandProfile,
    Result,
    analyse,
    analyse_mention,
    classification_of,
    classify_mention,
    classify_text,
)

__all__ = [
    "IMPLEMENTATION",
    "BrandProfile",
    "Result",
    "analyse",
    "analyse_mention",
    "classification_of",
    "classify_mention",
    "classify_text",
]
