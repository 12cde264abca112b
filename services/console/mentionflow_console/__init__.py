"""mentionflow console: the community managers' web app and API.

HTTP only (no topic consumed): FastAPI routers under /api/v1 (items, incidents, audit, users),
server-rendered pages (web/), live queue updates over SSE (live.py), actions that lock, check,
change and audit in one transaction (actions.py), and an outbox relay for replies.requested.
"""
