"""Server-rendered pages (Jinja2) for community managers and leads."""
