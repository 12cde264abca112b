"""Per-account posting budget: the configured limit per window, plus X's own 429 resets. Pure.

Each account has its own budget, so one account waiting for its window never delays another.
Times are plain floats (seconds on any monotonic-enough clock) so tests drive them directly.
"""

from __future__ import annotations

from collections import deque


class PostingBudget:
    """At most `limit` posts in any `window_s` seconds (sliding window), and none before a
    reset X announced with a 429."""

    def __init__(self, limit: int, window_s: float) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self._posts: deque[float] = deque()
        self._blocked_until = 0.0

    def _forget_before(self, now: float) -> None:
        while self._posts and self._posts[0] <= now - self.window_s:
            self._posts.popleft()

    def next_free_at(self, now: float) -> float:
        """The earliest time (>= now) a post is allowed."""
        self._forget_before(now)
        free = now
        if len(self._posts) >= self.limit:
            free = self._posts[len(self._posts) - self.limit] + self.window_s
        return max(free, self._blocked_until)

    def record_post(self, at: float) -> None:
        self._posts.append(at)

    def block_until(self, at: float) -> None:
        """X said 429 with this reset time: nothing goes out before it."""
        self._blocked_until = max(self._blocked_until, at)
