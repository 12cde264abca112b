"""Synthetic X traffic about client brands (English and French), for make run, tests and
benchmarks. Written for this project; deterministic for a seed."""

from mentionflow_tools.generate.brands import DEMO_BRANDS, BrandProfile, parse_brand
from mentionflow_tools.generate.traffic import (
    DEFAULT_START,
    LabeledMention,
    Post,
    TrafficGenerator,
    fake_x_body,
)

__all__ = [
    "DEFAULT_START",
    "DEMO_BRANDS",
    "BrandProfile",
    "LabeledMention",
    "Post",
    "TrafficGenerator",
    "fake_x_body",
    "parse_brand",
]
