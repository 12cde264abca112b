"""A fake X API v2 we serve ourselves: tweepy talks to it over real HTTP in tests and make run."""

from mentionflow_tools.fakex.models import AddMentions, AddUsers, CallRecord, FakeTweet, FakeUser, Fault
from mentionflow_tools.fakex.server import FakeXServer, build_app
from mentionflow_tools.fakex.state import DEFAULT_ACCOUNT, FakeXState

__all__ = [
    "DEFAULT_ACCOUNT",
    "AddMentions",
    "AddUsers",
    "CallRecord",
    "FakeTweet",
    "FakeUser",
    "FakeXServer",
    "FakeXState",
    "Fault",
    "build_app",
]
