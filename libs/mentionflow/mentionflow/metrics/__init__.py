"""The one metrics catalog: every metric any service exports is declared in catalog.py."""
