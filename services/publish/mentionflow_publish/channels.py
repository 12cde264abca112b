"""Channel names → where to send and with which secret.

Escalation steps name channels (`pagerduty-fr`, `slack-leads`); queue notifications use the
channel `queue:<queue>`. A name is looked up in the settings first, then in the brand
config, whose channels name the environment variable that holds the URL or routing key.
Secrets are read at send time and never stored in the database or logged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from mentionflow.brandconfig import AgencyConfig

from mentionflow_publish.messages import ChannelType
from mentionflow_publish.settings import ChannelSettings, PublishSettings

log = logging.getLogger(__name__)

QUEUE_CHANNEL_PREFIX = "queue:"


class ChannelUnavailable(Exception):
    """The channel is unknown or its secret is missing: the delivery fails with this reason."""


@dataclass(frozen=True)
class ResolvedChannel:
    type: ChannelType
    url: str
    routing_key: str | None = None

    def __repr__(self) -> str:  # URLs may embed tokens
        return f"ResolvedChannel(type={self.type!r}, url=<redacted>)"


class ChannelDirectory:
    def __init__(self, settings: PublishSettings, config: AgencyConfig | None,
                 environ: Mapping[str, str] | None = None) -> None:
        self._settings = settings
        self._config = config
        self._environ = os.environ if environ is None else environ

    def type_of(self, name: str) -> ChannelType | None:
        """The channel's type without touching secrets (None: unknown channel)."""
        if name.startswith(QUEUE_CHANNEL_PREFIX):
            return "slack" if name[len(QUEUE_CHANNEL_PREFIX):] in self._settings.queue_webhooks else None
        if name in self._settings.channels:
            return self._settings.channels[name].type
        if self._config is not None and name in self._config.channels:
            return self._config.channels[name].type
        return None

    def resolve(self, name: str) -> ResolvedChannel:
        if name.startswith(QUEUE_CHANNEL_PREFIX):
            queue = name[len(QUEUE_CHANNEL_PREFIX):]
            url = self._settings.queue_webhooks.get(queue)
            if url is None:
                raise ChannelUnavailable(f"no webhook configured for queue {queue!r}")
            return ResolvedChannel("slack", url.get_secret_value())
        if name in self._settings.channels:
            return self._from_settings(name, self._settings.channels[name])
        if self._config is not None and name in self._config.channels:
            return self._from_config(name)
        raise ChannelUnavailable(f"unknown channel {name!r}")

    def _from_settings(self, name: str, channel: ChannelSettings) -> ResolvedChannel:
        if channel.type == "pagerduty":
            if channel.routing_key is None:
                raise ChannelUnavailable(f"channel {name!r}: no PagerDuty routing_key")
            url = channel.url.get_secret_value() if channel.url else self._settings.pagerduty_events_url
            return ResolvedChannel("pagerduty", url, channel.routing_key.get_secret_value())
        if channel.url is None:
            raise ChannelUnavailable(f"channel {name!r}: no url")
        return ResolvedChannel(channel.type, channel.url.get_secret_value())

    def _from_config(self, name: str) -> ResolvedChannel:
        assert self._config is not None
        channel = self._config.channels[name]
        if channel.type == "pagerduty":
            return ResolvedChannel("pagerduty", self._settings.pagerduty_events_url,
                                   self._secret(name, channel.routing_key_env))
        if channel.type == "slack":
            return ResolvedChannel("slack", self._secret(name, channel.webhook_url_env))
        return ResolvedChannel("webhook", self._secret(name, channel.url_env))

    def _secret(self, name: str, env_var: str) -> str:
        value = self._environ.get(env_var)
        if not value:
            raise ChannelUnavailable(f"channel {name!r}: environment variable {env_var} is not set")
        return value
