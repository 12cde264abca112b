"""mentionflow ingest service: the only component that reads the outside world."""
