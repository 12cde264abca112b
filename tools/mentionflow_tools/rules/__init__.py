"""Checks of routing rules for `mentionflow rules`: example fixtures, diffs of two configs,
shadow reads of recorded traffic."""
