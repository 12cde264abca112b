"""People who use the console: users, roles, brand scopes, API tokens, and the audit log.

The store lives here, not in the console service, because the operator CLI
(`mentionflow users ...`) and the console must run the very same SQL. Tables are the
"accounts" migration component; both the CLI and the console apply it (idempotent).
"""

from pathlib import Path

from mentionflow.accounts.models import ALL_BRANDS, ROLES, Role, User

MIGRATIONS = Path(__file__).parent / "migrations"
COMPONENT = "accounts"

__all__ = ["ALL_BRANDS", "COMPONENT", "MIGRATIONS", "ROLES", "Role", "User"]
