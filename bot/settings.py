"""Process configuration, read once from the environment.

Which settings are required depends on the process: `serve` needs the bot token and the
signing secret (or the app token in Socket Mode), a worker on the delivery queue needs the
bot token, a probe-only worker needs nothing from Slack at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from workers import config

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_REDIS_URL = config.DEFAULT_REDIS_URL
COMMAND = "/origin502"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class SettingsError(config.ConfigError):
    """A configuration problem, in one line that names the variables involved."""


# What each token must look like: its prefix, and an example to show when it does not.
_TOKEN_SHAPES = {
    "SLACK_BOT_TOKEN": ("xoxb-", "xoxb-1234567890-0987654321-AbCdEf (Bot User OAuth Token)"),
    "SLACK_APP_TOKEN": ("xapp-", "xapp-1-A0123-456-abcdef (App-Level Token, connections:write)"),
}


def _check_token(name: str, value: str | None) -> None:
    """A token pasted from the README (`xoxb-…`) or of the wrong kind fails here, in one line,
    not as a traceback from Slack's auth.test."""
    if not value:
        return
    prefix, example = _TOKEN_SHAPES[name]
    rest = value.removeprefix(prefix)
    if not value.startswith(prefix) or not rest or not rest.isascii() \
            or rest.strip(".…-") == "" or any(c.isspace() for c in value):
        shown = value if len(value) <= 12 else value[:8] + "…"
        raise SettingsError(f"{name} {shown!r} is not a Slack token; set the real one, "
                            f"e.g. {name}={example}")


@dataclass(frozen=True)
class Settings:
    # Secrets stay out of repr(): a logged or printed Settings must not carry them.
    bot_token: str | None = field(repr=False)
    signing_secret: str | None = field(repr=False)
    app_token: str | None = field(repr=False)  # only for Socket Mode
    api_url: str  # Slack's Web API base URL; tests point it at a loopback server
    redis_url: str
    ca_file: str | None  # extra PEM roots, as `--ca-file`
    allow_private_targets: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        allow = env.get("ORIGIN502_ALLOW_PRIVATE_TARGETS", "").strip().lower()
        if allow not in _TRUE | _FALSE:
            raise SettingsError(f"ORIGIN502_ALLOW_PRIVATE_TARGETS must be 1 or 0, not {allow!r}")
        ca_file = env.get("ORIGIN502_CA_FILE") or None
        if ca_file is not None and not os.path.isfile(ca_file):
            raise SettingsError(f"ORIGIN502_CA_FILE names {ca_file!r}, which is not a file")
        api_url = env.get("SLACK_API_URL") or DEFAULT_API_URL
        if not api_url.startswith(("https://", "http://")):
            raise SettingsError(f"SLACK_API_URL {api_url!r} is not an http(s) URL; "
                                f"e.g. SLACK_API_URL={DEFAULT_API_URL}")
        if not api_url.endswith("/"):
            api_url += "/"
        try:
            redis_url = config.redis_url(env)
            config.check_nameserver(env)
        except config.ConfigError as exc:
            raise SettingsError(str(exc)) from None
        for name in _TOKEN_SHAPES:
            _check_token(name, env.get(name) or None)
        return cls(
            bot_token=env.get("SLACK_BOT_TOKEN") or None,
            signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            app_token=env.get("SLACK_APP_TOKEN") or None,
            api_url=api_url,
            redis_url=redis_url,
            ca_file=ca_file,
            allow_private_targets=allow in _TRUE,
        )

    def require(self, *names: str) -> None:
        """Raise SettingsError naming every one of `names` (environment variables) unset."""
        values = {
            "SLACK_BOT_TOKEN": self.bot_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_APP_TOKEN": self.app_token,
        }
        missing = [name for name in names if not values[name]]
        if missing:
            examples = "; ".join(
                f"e.g. {name}={_TOKEN_SHAPES[name][1]}" if name in _TOKEN_SHAPES else
                f"{name}: see the README's configuration table" for name in missing)
            raise SettingsError(f"missing required settings: {', '.join(missing)} ({examples})")
