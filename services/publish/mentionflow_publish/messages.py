"""What is sent where: PagerDuty Events API v2 bodies, Slack messages, plain webhooks. Pure.

Bodies are stored (in publish_deliveries) without secrets: the PagerDuty routing key and the
webhook URLs are added at send time from the settings or the brand config.
"""

from __future__ import annotations

from typing import Any, Literal

PageAction = Literal["trigger", "acknowledge", "resolve"]
ChannelType = Literal["pagerduty", "slack", "webhook"]

PAGERDUTY_SOURCE = "mentionflow"
PAGERDUTY_SUMMARY_MAX = 1024  # the Events API v2 refuses longer summaries
SLACK_TEXT_MAX = 3000


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pagerduty_body(
    *,
    action: PageAction,
    dedup_key: str,
    summary: str,
    severity: str,
    details: dict[str, Any],
) -> dict[str, Any]:
    """An Events API v2 event without its routing_key. Only a trigger carries a payload;
    acknowledge and resolve address the alert by dedup_key alone."""
    body: dict[str, Any] = {"event_action": action, "dedup_key": dedup_key}
    if action == "trigger":
        body["payload"] = {
            "summary": _clip(summary, PAGERDUTY_SUMMARY_MAX),
            "source": PAGERDUTY_SOURCE,
            "severity": severity,
            "custom_details": details,
        }
    return body


def slack_page_text(*, action: PageAction, summary: str, severity: str, target: str | None, step: int | None) -> str:
    if action == "trigger":
        who = f" — paging {target}" if target else ""
        step_text = f" (step {step + 1})" if step is not None else ""
        text = f":rotating_light: [{severity.upper()}]{step_text} {summary}{who}"
    elif action == "acknowledge":
        text = f":eyes: acknowledged: {summary}"
    else:
        text = f":white_check_mark: resolved: {summary}"
    return _clip(text, SLACK_TEXT_MAX)


def page_body(
    channel_type: ChannelType | None,
    *,
    action: PageAction,
    dedup_key: str,
    brand_id: str,
    summary: str,
    severity: str,
    step: int | None,
    target: str | None,
    details: dict[str, Any],
) -> dict[str, Any]:
    """The body for one page on a channel of `channel_type` (None: unknown channel, the
    generic webhook shape is stored and the send fails with a clear reason)."""
    if channel_type == "pagerduty":
        return pagerduty_body(action=action, dedup_key=dedup_key, summary=summary, severity=severity,
                              details={**details, "brand_id": brand_id, "step": step, "target": target})
    if channel_type == "slack":
        return {"text": slack_page_text(action=action, summary=summary, severity=severity,
                                        target=target, step=step)}
    return {"event": action, "dedup_key": dedup_key, "brand_id": brand_id, "summary": summary,
            "severity": severity, "step": step, "target": target, "details": details}


def queue_notification_body(
    *, brand_id: str, queue: str, priority: str, category: str, author_handle: str, text: str,
    url: str | None, sla_due_at: str,
) -> dict[str, Any]:
    """A Slack-compatible incoming-webhook message for a new high-priority queue item."""
    link = f" <{url}|open on X>" if url else ""
    message = (f"[{priority}] {brand_id} / {queue}: {category} from @{author_handle}, "
               f"SLA due {sla_due_at}{link}\n> {text}")
    return {"text": _clip(message, SLACK_TEXT_MAX)}
