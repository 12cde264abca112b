"""The operator CLI `mentionflow`. Each subcommand group lives in its own module here and
calls into libs; it never imports a service."""
