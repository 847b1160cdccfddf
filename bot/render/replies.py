"""Short replies to the person who asked: usage, bad input, refusals, queue trouble, dedup."""

from __future__ import annotations

from bot.render.message import Message, code, context, escape, section

USAGE_EXAMPLES = (
    "/origin502 origin.example.com",
    "/origin502 origin.example.com --host-header www.example.com --https-port 8443",
    "/origin502 https://origin.example.com/health --origin-ssl-protocols TLSv1.1,TLSv1.2",
    "/origin502 origin.example.com --protocol-policy match-viewer --timeout 5",
)

OPTIONS = (
    "--protocol-policy https-only|http-only|match-viewer · --https-port N · --http-port N · "
    "--origin-ssl-protocols TLSv1,TLSv1.1,TLSv1.2 · --host-header NAME · --resolve NAME:IP · "
    "--ip-address-type ipv4|ipv6|dualstack · "
    "--timeout S · --connection-attempts N · --read-timeout S · --path /PATH"
)


def usage(command: str = "/origin502", *, aws: bool = False) -> Message:
    """What `/origin502` alone or `/origin502 help` answers; ``aws`` when distributions can
    be looked up here."""
    examples = "\n".join(f"`{e.replace('/origin502', command, 1)}`" for e in USAGE_EXAMPLES)
    text = (
        f"*{command} TARGET [options]* checks your origin the way CloudFront connects to it "
        "(DNS, TCP, TLS, HTTP) and says why CloudFront would answer 502.\n"
        "TARGET is the origin domain of your distribution (not the CloudFront name), "
        "optionally with a port or as a URL.\n\n"
        f"*Examples*\n{examples}"
    )
    fallback = (
        f"Usage: {command} TARGET [options], e.g. {command} origin.example.com "
        "--host-header www.example.com"
    )
    distributions = []
    if aws:
        distributions.append(context(
            f"*Distributions* (AWS read access is set up): `{command} www.example.com` — a "
            "site, a d….cloudfront.net name or a distribution id — reads the distribution and "
            "checks every origin with its real settings; `--path /api/x` picks the behaviour, "
            "`--origin ID` one origin."))
    return Message(
        text=fallback,
        blocks=[
            section(text),
            context(f"*Options* (named after CloudFront's origin settings): {OPTIONS}"),
            *distributions,
            context(
                f"*Watching:* `{command} watch TARGET [options] [--every 5m|15m|1h]` · "
                f"`{command} unwatch TARGET` · `{command} watches` · "
                f"`{command} digest daily HH:MM [TZ]` | `weekly DAY HH:MM [TZ]` | `off` | `now`"
            ),
            context(
                "The result is posted in this channel with a thread for the details. "
                "Mention me in that thread with changed options "
                "(`@origin502 --host-header www.example.com`) to try them."
            ),
        ],
    )


def bad_input(problem: str, command: str = "/origin502") -> Message:
    """The target or an option could not be read; `problem` is TargetError's one line."""
    text = f":warning: {escape(problem)}"
    return Message(
        text=f"Cannot check that: {problem}",
        blocks=[section(text), context(f"`{command} help` shows the options and examples.")],
    )


def refused(target: str, reason: str) -> Message:
    """A target that is not a public internet address (SSRF protection)."""
    text = (
        f":no_entry: I won't probe {code(target)}: it is {escape(reason)}. "
        "origin502 only checks public origins, as CloudFront can only reach those."
    )
    return Message(
        text=f"Refused: {target} is {reason}",
        blocks=[
            section(text),
            context("Operators can allow internal origins with ORIGIN502_ALLOW_PRIVATE_TARGETS=1."),
        ],
    )


def queue_not_answering() -> Message:
    """Redis took the command but did not answer (bot/intake.py): it may still run it."""
    text = (
        ":construction: The probe queue is not answering right now (origin502's Redis "
        "accepted the command but did not reply in time). The probe may still start by "
        "itself once Redis recovers, and its result would then appear here; if nothing "
        "appears within a few minutes, try again, and tell whoever runs origin502. Meanwhile "
        "`origin502 diagnose TARGET` gives the same answer in a terminal."
    )
    return Message(
        text="The probe queue is not answering right now; the probe may start once it "
             "recovers.",
        blocks=[section(text)],
    )


def queue_unavailable() -> Message:
    text = (
        ":construction: The probe queue is unavailable right now (origin502 cannot reach its "
        "Redis), so nothing was started. Try again in a minute; if it persists, tell whoever "
        "runs origin502. Meanwhile `origin502 diagnose TARGET` gives the same answer in a "
        "terminal."
    )
    return Message(
        text="The probe queue is unavailable right now; try again in a minute.",
        blocks=[section(text)],
    )


def joined(display: str, started_by: str, link: str | None, running: bool) -> Message:
    """Someone asked for a target that is already being (or was just) checked here."""
    state = "is being checked right now" if running else "was just checked"
    where = f"<{link}|in this thread>" if link else "in the thread of my message above"
    text = (
        f":link: {code(display)} with the same options {state} (asked by <@{started_by}>). "
        f"The result is {where}; no second probe was started."
    )
    return Message(text=f"{display} {state}; see the existing thread.", blocks=[section(text)])


def internal_error(reference: str) -> Message:
    text = (
        ":boom: Something went wrong inside origin502 while handling that. Nothing about your "
        f"origin is implied. The operators can find it in the logs under {code(reference)}."
    )
    return Message(text="Something went wrong inside origin502; try again.", blocks=[section(text)])


def not_in_channel(bot_user: str | None) -> Message:
    invite = f"`/invite <@{bot_user}>`" if bot_user else "`/invite @origin502`"
    text = (
        ":wave: I'm not a member of this channel, so I can't start a thread here. "
        f"Invite me with {invite} and ask again to get a thread with live progress. "
        "This time the result will be posted here when the probe finishes."
    )
    return Message(
        text="I'm not in this channel: invite me with /invite @origin502. "
        "The result will be posted here.",
        blocks=[section(text)],
    )


def mention_help(in_result_thread: bool) -> Message:
    if in_result_thread:
        text = (
            "Mention me in this thread with the options to change, e.g. "
            "`@origin502 --host-header www.example.com` or `@origin502 --https-port 8443`, "
            "and I'll run this target again with them and answer here."
        )
    else:
        text = (
            "Use `/origin502 TARGET [options]`, or mention me with a target: "
            "`@origin502 origin.example.com --host-header www.example.com`."
        )
    return Message(text=text.replace("`", ""), blocks=[section(text)])


def expired_run() -> Message:
    text = (
        ":hourglass: That result is too old for me to act on (results are kept for 7 days). "
        "Run `/origin502 TARGET` again."
    )
    return Message(text="That result is too old; run /origin502 again.", blocks=[section(text)])
