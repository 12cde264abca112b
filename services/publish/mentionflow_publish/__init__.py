"""mentionflow publish: every side effect of the pipeline, each exactly once."""
