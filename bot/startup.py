"""`serve` checks its bot token with Slack before it starts listening.

Slack refusing the token (invalid_auth, revoked) is a configuration error: one line, exit 2.
Slack being unreachable (DNS, egress policy, an outage) is not: a pod that exits would only be
restarted into the same wait, with a growing back-off, so `serve` keeps retrying with back-off
and says so once, then once more when Slack answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import SettingsError

log = logging.getLogger(__name__)
FIRST_DELAY = 1.0
MAX_DELAY = 30.0


def wait_for_slack(
    client: WebClient,
    *,
    echo: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Call auth.test until Slack answers; return its answer. Raises SettingsError when
    Slack answers with a refusal of the token."""
    delay = FIRST_DELAY
    started: float | None = None
    while True:
        try:
            response = client.auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if exc.response.status_code < 500 and exc.response.status_code != 429:
                raise SettingsError(
                    f"SLACK_BOT_TOKEN was refused by Slack ({error}); set the Bot User OAuth "
                    "Token of the installed app, e.g. SLACK_BOT_TOKEN=xoxb-1234-5678-AbCd"
                ) from None
            reason = f"Slack answered {error}"
        except (OSError, ValueError) as exc:
            # URLError, timeouts, refused connections: Slack is not reachable from here.
            reason = f"{type(exc).__name__}: {getattr(exc, 'reason', None) or exc}"
        else:
            if started is not None:
                echo(f"origin502: Slack reachable again after {clock() - started:.0f} s")
            return dict(response.data) if isinstance(response.data, dict) else {}
        if started is None:
            started = clock()
            echo(f"origin502: cannot reach Slack at {client.base_url} ({reason}); "
                 f"retrying every {MAX_DELAY:g} s at most, as a pod should (Ctrl-C stops)")
            log.warning("slack unreachable at start; retrying", extra={"error": reason})
        sleep(delay)
        delay = min(MAX_DELAY, delay * 2)
