"""Block Kit for watches: incident alerts and their thread, recovery, certificate-expiry
warnings, the channel digest, the `watches` list, the App Home tab and short confirmations.

Pure functions of plain values (alerts, digests, watch specs and states); nothing here
calls Slack. Every message has a plain-text fallback and stays within Slack's limits.
"""

from __future__ import annotations

import datetime as dt

from slack_sdk.models.blocks import Block, ButtonElement
from slack_sdk.models.views import View

from bot.render.message import (
    MAX_BLOCKS,
    Message,
    clip,
    code,
    context,
    divider,
    escape,
    header,
    paginate,
    section,
    sections,
    with_code,
)
from workers.models import FindingCode
from workers.watches.alerts import Alert, WatchState, days_left
from workers.watches.digest import Digest, DigestEntry, status_of
from workers.watches.model import WatchSpec
from workers.watches.schedule import DIGEST_USAGE, DigestSchedule

WATCH_ACTION = "origin502_watch"
HOME_BLOCK_LIMIT = 100  # Slack's limit for a Home tab view
STATUS_ICONS = {
    "failing": ":red_circle:",
    "unknown": ":grey_question:",
    "warning": ":large_yellow_circle:",
    "pending": ":hourglass_flowing_sand:",
    "ok": ":large_green_circle:",
}
STATUS_WORDS = {
    "failing": "failing",
    "unknown": "could not check",
    "warning": "ok, with warnings",
    "pending": "not checked yet",
    "ok": "ok",
}
# A warning status whose warnings could still mean 502 (workers.headline).
WARNING_DOUBT_WORDS = "probably ok, 502 not ruled out"
# A failing watch says what viewers get, in the words its last check stored
# (WatchState.viewer_words); a state stored before those existed keeps the old words.
FAILING_WORDS = "failing: {words}"
FAILING_OLD_WORDS = "failing (502)"
# Under a recovery: what viewers got at the last check before it (Alert.viewers).
RECOVERED_FROM = "Last seen while failing: {viewers}."


def status_words(status: str, doubtful: bool, viewer_words: str | None = None) -> str:
    """A watch's status in a few words (escaped): a failing one says what viewers get."""
    if status == "failing":
        return (FAILING_WORDS.format(words=escape(viewer_words)) if viewer_words
                else FAILING_OLD_WORDS)
    return WARNING_DOUBT_WORDS if status == "warning" and doubtful else STATUS_WORDS[status]


# -- time ------------------------------------------------------------------------------------
def utc(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def when(epoch: float) -> str:
    """A time Slack shows in each reader's own zone, with a UTC fallback."""
    return f"<!date^{int(epoch)}^{{date_short_pretty}} {{time}}|{utc(epoch)}>"


def duration(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def days_text(days: float | None) -> str:
    if days is None:
        return "no certificate seen"
    if days <= 0:
        return "certificate expired"
    if days < 1:
        return "certificate expires in less than a day"
    whole = int(days)
    return f"certificate expires in {whole} day{'s' if whole != 1 else ''}"


# -- alerts ----------------------------------------------------------------------------------
def _causes(alert: Alert, limit: int = 5) -> list[str]:
    lines = []
    for cause in alert.causes[:limit]:
        where = f" ({code(cause.address)})" if cause.address else ""
        lines.append(f"• *{escape(cause.code)}* — {escape(cause.summary)}{where}")
    if len(alert.causes) > limit:
        lines.append(f"• … and {len(alert.causes) - limit} more")
    return lines


def _fix(alert: Alert) -> list[str]:
    if not alert.causes or not alert.causes[0].remediation:
        return []
    steps = alert.causes[0].remediation
    return ["*What to change first*",
            *(f"{n}. {with_code(step)}" for n, step in enumerate(steps, 1))]


def _viewers_get(alert: Alert) -> str:
    """What viewers get while the incident lasts, as decided from the report when it was
    observed (Alert.viewers: 502, 504, "502 or 504", hedged when uncertain). An alert stored
    before that field existed keeps today's words: CloudFront's 502, unless every cause is
    the origin's own error status, which CloudFront passes on."""
    if alert.viewers:
        return alert.viewers
    if alert.causes and all(c.code == FindingCode.ORIGIN_RETURNED_ERROR for c in alert.causes):
        return "the origin itself answers with an error, which CloudFront passes on"
    return "CloudFront would answer 502"


def incident_parent(opened: Alert, recovered: Alert | None = None) -> Message:
    """The channel message that opens an incident; updated in place when it recovers."""
    name = escape(opened.display)
    codes = ", ".join(c.code for c in opened.causes) or "error"
    if recovered is None:
        viewers = _viewers_get(opened)
        title = f":rotating_light: *{name}* is failing: {escape(viewers)}"
        fallback = f"origin502: {opened.display} is failing ({codes}) — {viewers}"
        lines = [title, *_causes(opened)]
        if opened.changes:  # a watched distribution whose origins changed with this failure
            lines += ["*What changed in the distribution*",
                      *(f"• {escape(c)}" for c in opened.changes)]
        note = (f"Since {when(opened.at)} · updates go in this thread only when something "
                "changes · `/origin502 unwatch` stops the checks")
    else:
        took = duration(recovered.at - (opened.failing_since or opened.at))
        title = f":white_check_mark: *{name}* recovered after {took} (was failing: {codes})"
        fallback = f"origin502: {opened.display} recovered after {took} (was failing: {codes})"
        lines = [title]
        last = recovered.viewers or opened.viewers
        if last:
            lines.append(RECOVERED_FROM.format(viewers=escape(last)))
        note = f"Failing from {when(opened.at)} to {when(recovered.at)} · details in the thread"
    blocks: list[Block] = [*sections("\n".join(lines))]
    if recovered is None:
        fix = _fix(opened)
        if fix:
            blocks.extend(sections("\n".join(fix)))
    blocks.append(context(note))
    return Message(text=fallback, blocks=blocks)


def alert_message(alert: Alert) -> Message:
    """The message for an alert: the incident parent, a thread update, recovery or expiry."""
    name = escape(alert.display)
    if alert.kind == "open":
        return incident_parent(alert)
    if alert.kind == "update":
        head = f":arrows_counterclockwise: *{name}* is still failing, and something changed:"
        fallback = f"origin502: {alert.display} still failing; " + "; ".join(alert.changes)
        if alert.viewers:  # an update stored before the field keeps the old words
            head = (f":arrows_counterclockwise: *{name}* is still failing: "
                    f"{escape(alert.viewers)}. Something changed:")
            fallback += f" — {alert.viewers}"
        lines = [head, *(f"• {escape(c)}" for c in alert.changes), "*Causes now*",
                 *_causes(alert)]
        return Message(text=fallback, blocks=[*sections("\n".join(lines)),
                                              context(f"Checked {when(alert.at)}")])
    if alert.kind == "recovered":
        took = duration(alert.at - (alert.failing_since or alert.at))
        again = ("CloudFront can probably connect to it again, but a 502 is not ruled out"
                 if alert.doubtful else "CloudFront can connect to it again")
        text = f":white_check_mark: *{name}* recovered: {again} (failing for {took})."
        if alert.viewers:
            text += "\n" + RECOVERED_FROM.format(viewers=escape(alert.viewers))
        fallback = f"origin502: {alert.display} recovered after {took}"
        return Message(text=fallback, blocks=[section(text), context(f"Checked {when(alert.at)}")])
    # expiry
    days = alert.days_left or 0.0
    left = days_text(days).replace("certificate expires", "expires")
    subject = escape(alert.cert_subject or "the certificate")
    expires = alert.not_after[:10] if alert.not_after else "soon"
    text = (f":hourglass: *{name}*: the certificate {subject} {left} (on {expires}). "
            f"CloudFront will answer 502 for this origin once it expires.")
    steps = ("Renew the certificate and install it on the origin with its intermediate, then "
             f"check with {code('/origin502 ' + alert.display)}.")
    fallback = (f"origin502: {alert.display} certificate {left} (on {expires}) — "
                f"warning at {alert.threshold} days")
    return Message(text=fallback, blocks=[
        section(text), section(steps),
        context(f"Warning at {alert.threshold} day(s) before expiry · checked {when(alert.at)}"),
    ])


# -- digest ----------------------------------------------------------------------------------
def _entry_line(entry: DigestEntry) -> str:
    icon = STATUS_ICONS[entry.status]
    words = status_words(entry.status, entry.doubtful, entry.viewer_words)
    parts = [f"{icon} *{escape(entry.display)}* — {words}"]
    if entry.status in ("failing", "warning") and entry.cause_code:
        summary = escape(clip(entry.cause_summary or "", 200))
        parts.append(f"*{escape(entry.cause_code)}*: {summary}")
    if entry.status == "unknown" and entry.probe_error:
        parts.append(escape(clip(entry.probe_error, 200)))
    parts.append(days_text(entry.days_to_expiry))
    line = " · ".join(parts)
    if entry.change:
        line += f"\n      _changed since the last digest: {escape(entry.change)}_"
    return line


def digest_messages(digest: Digest) -> list[Message]:
    """One digest for a channel (split in several messages only past Slack's block limit)."""
    counts = {s: digest.count(s) for s in STATUS_ICONS}
    total = len(digest.entries)
    doubtful = sum(1 for e in digest.entries if e.status == "warning" and e.doubtful)
    words = {**STATUS_WORDS, "warning": STATUS_WORDS["warning"] + (
        f" ({doubtful} of them: 502 not ruled out)" if doubtful else "")}
    summary = f"{total} watched origin{'s' if total != 1 else ''}: " + ", ".join(
        f"{counts[s]} {words[s]}" for s in STATUS_ICONS if counts[s])
    fallback = f"origin502 digest — {summary}"
    if not digest.entries:
        text = ("No origins are watched in this channel. Start with "
                "`/origin502 watch origin.example.com`.")
        return [Message(text="origin502 digest — no watched origins here",
                        blocks=[header("origin502 digest"), section(text)])]
    blocks: list[Block] = [header("origin502 digest"), section(escape(summary))]
    if digest.previous_at is not None:
        blocks.append(context(f"Changes since the last digest, {when(digest.previous_at)}"))
    # Ten origins per section keeps each within 3,000 characters and the digest compact.
    for start in range(0, total, 10):
        chunk = digest.entries[start : start + 10]
        blocks.extend(sections("\n".join(_entry_line(e) for e in chunk)))
    blocks.append(context(f"Posted {when(digest.at)} · failing first · "
                          "`/origin502 watches` lists them with their schedule"))
    return paginate(blocks, fallback, continued="origin502 digest, continued")


# -- lists and confirmations -----------------------------------------------------------------
def _watch_line(spec: WatchSpec, state: WatchState | None, now: float,
                *, with_channel: bool = False) -> str:
    status = status_of(state)
    head = f"{STATUS_ICONS[status]} *{escape(spec.name)}* every {spec.every}"
    if with_channel:
        head += f" in <#{spec.channel}>"
    bits = [status_words(status, state is not None and state.doubtful,
                         state.viewer_words if state is not None else None)]
    if state is not None and state.primary is not None and status in ("failing", "warning"):
        bits.append(f"*{escape(state.primary.code)}*")
    if state is not None and state.cert is not None:
        bits.append(days_text(days_left(state.cert.not_after, now)))
    if state is not None and state.last_change and state.last_change_at:
        change = escape(clip(state.last_change, 150))
        bits.append(f"last change {when(state.last_change_at)}: {change}")
    if spec.text.strip() != spec.name:
        bits.append(code(clip(spec.text, 150)))
    return head + "\n      " + " · ".join(bits)


def watches_list(specs: list[tuple[WatchSpec, WatchState | None]], now: float) -> Message:
    """`/origin502 watches`: the channel's watched origins (an ephemeral reply)."""
    if not specs:
        text = ("No origins are watched in this channel yet. "
                "`/origin502 watch origin.example.com [options] [--every 5m|15m|1h]` starts.")
        return Message(text="No origins are watched in this channel.", blocks=[section(text)])
    shown = specs[:40]
    lines = [_watch_line(spec, state, now) for spec, state in shown]
    blocks: list[Block] = [section(f"*Watched in this channel ({len(specs)})*")]
    for start in range(0, len(lines), 8):
        blocks.extend(sections("\n".join(lines[start : start + 8])))
    if len(specs) > len(shown):
        blocks.append(context(f"… and {len(specs) - len(shown)} more; the digest lists all."))
    blocks = blocks[:MAX_BLOCKS]
    failing = sum(1 for _, s in specs if status_of(s) == "failing")
    return Message(text=f"{len(specs)} watched origin(s) here, {failing} failing", blocks=blocks)


def home_view(watches: list[tuple[WatchSpec, WatchState | None]], now: float) -> View:
    """The App Home tab: the user's watched origins across channels with their last status."""
    blocks: list[Block] = [header("Your watched origins")]
    if not watches:
        blocks.append(section(
            "You are not watching any origin yet. In a channel, type "
            "`/origin502 watch origin.example.com` or press *Watch* under a diagnosis."))
    else:
        ordered = sorted(watches, key=lambda w: (
            {"failing": 0, "unknown": 1, "warning": 2, "pending": 3, "ok": 4}[status_of(w[1])],
            w[0].name))
        failing = sum(1 for _, s in watches if status_of(s) == "failing")
        blocks.append(context(f"{len(watches)} watched · {failing} failing · as of {when(now)}"))
        room = HOME_BLOCK_LIMIT - 4
        for start in range(0, len(ordered), 8):
            if room <= 0:
                break
            chunk = ordered[start : start + 8]
            blocks.extend(sections("\n".join(
                _watch_line(spec, state, now, with_channel=True) for spec, state in chunk)))
            room = HOME_BLOCK_LIMIT - 4 - len(blocks)
    blocks.append(divider())
    blocks.append(context("`/origin502 watch TARGET [--every 5m|15m|1h]` · "
                          "`/origin502 unwatch TARGET` · `/origin502 digest daily 09:00 "
                          "Europe/Berlin`"))
    return View(type="home", blocks=blocks[:HOME_BLOCK_LIMIT])


def watch_button(run_id: str) -> ButtonElement:
    """The **Watch** button under a diagnosis: watch this target in this channel, every 15m."""
    return ButtonElement(text="Watch", action_id=WATCH_ACTION, value=run_id)


def watching(spec: WatchSpec, user: str, *, new: bool, next_at: float) -> Message:
    verb = "is now watching" if new else "updated the watch of"
    text = (f":eyes: <@{user}> {verb} *{escape(spec.name)}* in this channel, every {spec.every}. "
            "I'll post here when it starts failing (one message, then updates in its thread), "
            "when it recovers, and 14, 7, 3 and 1 days before its certificate expires.")
    return Message(
        text=f"{spec.name} is watched here every {spec.every}",
        blocks=[section(text), context(f"First check {when(next_at)} · "
                                       "`/origin502 watches` lists this channel's watches")])


def unwatched(names: list[str], user: str) -> Message:
    shown = ", ".join(f"*{escape(n)}*" for n in names)
    return Message(text=f"Stopped watching {', '.join(names)}",
                   blocks=[section(f":see_no_evil: <@{user}> stopped watching {shown} here.")])


def not_watched(target: str, candidates: list[str]) -> Message:
    text = f":shrug: {code(target)} is not watched in this channel."
    if candidates:
        text += " Watched here: " + ", ".join(code(c) for c in candidates[:20])
    return Message(text=f"{target} is not watched in this channel", blocks=[section(text)])


def ambiguous(target: str, texts: list[str]) -> Message:
    text = (f":thinking_face: {code(target)} is watched here with different options: "
            + ", ".join(code(t) for t in texts[:20])
            + ". Unwatch one by giving its options too.")
    return Message(text=f"{target} is watched with several option sets", blocks=[section(text)])


def digest_scheduled(schedule: DigestSchedule, next_at: float) -> Message:
    text = (f":calendar: This channel gets an origin502 digest {escape(schedule.describe())}. "
            f"Next: {when(next_at)}.")
    return Message(text=f"Digest {schedule.describe()}; next {utc(next_at)}",
                   blocks=[section(text), context("`/origin502 digest off` stops it · "
                                                  "`/origin502 digest now` posts one now")])


def digest_stopped() -> Message:
    return Message(text="Digest turned off for this channel",
                   blocks=[section(":calendar: No more scheduled digests in this channel.")])


def digest_coming() -> Message:
    return Message(text="Posting the digest now",
                   blocks=[section(":outbox_tray: Posting this channel's digest now.")])


def watch_usage(problem: str | None = None) -> Message:
    lines = []
    if problem:
        lines.append(f":warning: {with_code(problem)}")
    lines += [
        "*Watching origins*",
        "`/origin502 watch TARGET [options] [--every 5m|15m|1h]` (default 15m)",
        "`/origin502 unwatch TARGET` · `/origin502 watches`",
        f"`/origin502 {DIGEST_USAGE.replace(' · ', '` · `/origin502 ')}`",
    ]
    fallback = f"Cannot do that: {problem}" if problem else "Watch commands"
    return Message(text=fallback, blocks=[section("\n".join(lines))])


def bad_watch_input(problem: str) -> Message:
    return watch_usage(problem)

