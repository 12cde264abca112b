"""`mentionflow run`: the whole system on one machine (used by `make run`)."""
