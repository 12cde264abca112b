"""Pure pieces: role order, brand scope, where a login may send the browser next."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st
from mentionflow.accounts.models import User, role_at_least
from mentionflow_console.web.pages import _safe_next


def test_roles_are_ordered_agent_lead_admin():
    assert role_at_least("admin", "lead") and role_at_least("lead", "lead") and not role_at_least("agent", "lead")
    assert not role_at_least("superuser", "agent")


def test_brand_scope():
    agent = User(uuid.uuid4(), "a", "A", "agent", frozenset({"b2", "b1"}))
    admin = User(uuid.uuid4(), "z", "Z", "admin", frozenset({"*"}))
    assert agent.brand_scope == ["b1", "b2"] and agent.can_see("b1") and not agent.can_see("b3")
    assert admin.brand_scope is None and admin.can_see("anything")


@given(st.text(max_size=60))
def test_next_is_always_a_local_path(target):
    safe = _safe_next(target)
    assert safe.startswith("/") and not safe.startswith("//") and "\\" not in safe
    assert safe in (target, "/")


def test_next_refuses_other_sites():
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)", None):
        assert _safe_next(target) == "/"
    assert _safe_next("/items/1?x=2") == "/items/1?x=2"
