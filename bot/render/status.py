"""The run's status message: the parent of the thread (or, for a re-run, its first reply),
updated as layers finish and finished with the verdict, the primary cause and the buttons."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.render.message import Message, code, context, escape, section
from bot.render.watches import watch_button
from workers.headline import doubts, fail_sentence, lead_finding, short_verdict, warn_sentence
from workers.jobs.run_record import Run
from workers.models import Layer, ProbeRequest, Report, Verdict
from workers.models.provisional import Provisional
from workers.wording import VERDICT_WORDS, layer_summary

RERUN_ACTION = "origin502_rerun"
EVIDENCE_ACTION = "origin502_evidence"

VERDICT_LINES = {
    Verdict.OK: ":large_green_circle: *No problem found*: CloudFront can connect to this origin.",
    Verdict.WARN: ":large_yellow_circle: *Works, with warnings*",
    Verdict.FAIL: ":red_circle: *Viewers would get an error*",
    Verdict.UNKNOWN: ":grey_question: *Could not check from here*",
}
__all__ = ["VERDICT_LINES", "VERDICT_WORDS", "status_message"]


def verdict_line(report: Report) -> str:
    """The verdict's line for an origin: a failing one says what viewers get (CloudFront's
    502 or 504, or the origin's own error passed on; likely, not confirmed, when every error
    is uncertain; per viewer scheme for a match-viewer origin whose HTTP and HTTPS viewers
    fare differently); a ``warn`` with a warning that could still mean 502 says CloudFront
    can probably connect, and names it (the terminal's headline)."""
    verdict = Verdict(report.verdict)
    if verdict == Verdict.WARN and doubts(report):
        return f":large_yellow_circle: *{escape(warn_sentence(report))}*"
    if verdict != Verdict.FAIL:
        return VERDICT_LINES[verdict]
    return f":red_circle: *{escape(fail_sentence(report))}*"


def edge_verdict_line(report: Report) -> str | None:
    """The verdict when the target is CloudFront's edge: what viewers get there now, since no
    origin was probed. None for an origin."""
    worst = report.edge.worst if report.edge is not None else None
    if report.edge is None:
        return None
    if worst is None:
        return ":large_yellow_circle: *CloudFront's edge did not answer from here*"
    if (worst.status_code or 0) >= 500:
        return f":red_circle: *CloudFront's edge answers {worst.status_code}*"
    return (":information_source: *This name is CloudFront's edge*: it answers normally; its "
            "origins were not checked.")


def settings_line(request: ProbeRequest) -> str:
    """The origin settings the probe used, as CloudFront's console names them."""
    s = request.settings
    parts: list[str] = [s.protocol_policy]
    if s.protocol_policy != "http-only":
        parts.append(f"HTTPS port {s.https_port}")
        parts.append("/".join(s.origin_ssl_protocols))
    if s.protocol_policy != "https-only":
        parts.append(f"HTTP port {s.http_port}")
    if s.host_header:
        parts.append(f"Host {escape(s.host_header)}")
    if s.path != "/":
        parts.append(f"path {escape(s.path)}")
    if request.options.resolve:
        parts.append(
            "resolve " + ", ".join(f"{escape(n)}→{escape(ip)}" for n, ip in request.options.resolve)
        )
    return " · ".join(parts)


def _layer_icon(layer: str, text: str | None, status: str) -> str:
    if text is None:
        if status in ("done", "failed"):
            return ":heavy_minus_sign:"
        return ":hourglass_flowing_sand:"
    if text.startswith("not checked"):
        return ":grey_question:"
    if text == "ok" or (layer == "dns" and text.startswith("resolved")):
        return ":white_check_mark:"
    if text.startswith("0/") or layer == "dns":
        return ":x:"
    return ":warning:"


def progress_lines(run: Run, report: Report | None = None) -> list[str]:
    """One line per layer. Once the report is there, a layer with an error finding says so
    (a handshake that completed with an expired certificate is not "TLS ok")."""
    lines = []
    stopped_at: str | None = None  # the first layer at which CloudFront would fail
    for layer in Layer:
        text = run.progress.get(layer)
        judged = layer_summary(report, layer) if report is not None else None
        if judged is not None:
            state, words = judged
            icon = ":x:" if state == "fail" else ":grey_question:"
            lines.append(f"{icon} *{layer.label}* {escape(words)}")
            stopped_at = stopped_at or (layer.label if state == "fail" else None)
            continue
        if stopped_at and text == "ok":
            # Measured here, but CloudFront never gets this far: not a green tick.
            lines.append(f":heavy_minus_sign: *{layer.label}* ok here, but CloudFront "
                         f"stops at {stopped_at}")
            continue
        icon = _layer_icon(layer, text, run.status)
        waited = run.waiting.get(layer) if run.status == "running" else None
        if text is None and waited:
            shown = escape(waited)  # "no answer for 6 of 10 s (attempt 2 of 3)"
        elif text is None:
            shown = "waiting" if run.status in ("queued", "running") else "not run"
        else:
            shown = escape(text)
        lines.append(f"{icon} *{layer.label}* {shown}")
    return lines


def _who(run: Run) -> str:
    verb = {"command": "asked by", "rerun": "re-run by", "mention": "asked by"}[run.reason]
    who = f"{verb} <@{run.user}>"
    if run.joined:
        who += " (also " + ", ".join(f"<@{u}>" for u in run.joined) + ")"
    return who


def buttons(run_id: str, *, evidence: bool) -> ActionsBlock:
    elements = [
        ButtonElement(text="Re-run", action_id=RERUN_ACTION, value=run_id),
    ]
    if evidence:
        elements.append(
            ButtonElement(text="Show evidence", action_id=EVIDENCE_ACTION, value=run_id)
        )
    elements.append(watch_button(run_id))
    return ActionsBlock(block_id=f"run-{run_id}", elements=elements)


def provisional_section(found: Provisional) -> tuple[str, str]:
    """The provisional verdict while a run still waits on retries, visibly marked so, and its
    plain-text fallback; the final verdict replaces both."""
    report = found.report
    verdict_value = Verdict(report.verdict)
    line = f":hourglass: *Provisional* — {verdict_line(report)}"
    fallback = f"provisional: {short_verdict(report)}"
    primary = lead_finding(report)
    if primary is not None and verdict_value != Verdict.OK:
        line += f": {escape(primary.summary)}"
        fallback += f": {primary.summary}"
    line += f"\n_{escape(found.note)}_"
    return line, f"{fallback} ({found.note})"


def status_message(run: Run, report: Report | None, *, in_thread: bool = True,
                   provisional: Provisional | None = None) -> Message:
    """The status message for a run in any state; `report` is given once it is done, and
    `provisional` (a first verdict) while it still runs. `in_thread` is False when the
    details follow it through response_url instead."""
    request = run.probe_request
    target = escape(run.display)
    title = {
        "command": f":mag: Checking *{target}* the way CloudFront connects to it",
        "rerun": f":repeat: Re-running *{target}*",
        "mention": f":repeat: Running *{target}* with changed options",
    }[run.reason]
    blocks: list[Block] = [section(title), context(settings_line(request) + " · " + _who(run))]
    fallback = f"origin502: {run.display}"

    if run.status in ("queued", "running"):
        note = ""
        if run.error:  # an earlier attempt was interrupted and the probe is being retried
            note = f"\n:repeat: {escape(run.error)}"
        elif run.status == "queued":
            note = "\n:inbox_tray: queued, waiting for a probe worker"
        blocks.append(section("\n".join(progress_lines(run)) + note))
        fallback += " — checking…"
        if provisional is not None and run.status == "running":
            line, words = provisional_section(provisional)
            blocks.append(section(line))
            fallback += f" {words}"
        return Message(text=fallback, blocks=blocks)

    if run.status == "failed" or report is None:
        why = escape(run.error or "the probe did not finish")
        blocks.append(section("\n".join(progress_lines(run))))
        blocks.append(section(f":warning: *The probe could not finish*: {why}."))
        blocks.append(buttons(run.run_id, evidence=False))
        return Message(text=f"{fallback} — probe could not finish: {run.error}", blocks=blocks)

    blocks.append(section("\n".join(progress_lines(run, report))))
    verdict_value = Verdict(report.verdict)
    verdict = edge_verdict_line(report) or verdict_line(report)
    fallback += f" — {short_verdict(report)}"
    primary = lead_finding(report)
    if verdict_value == Verdict.UNKNOWN:
        verdict += f": {escape(report.probe_error or 'nothing could be measured')}"
        fallback += f": {report.probe_error}"
    elif primary is not None and verdict_value != Verdict.OK:
        verdict += f": {escape(primary.summary)}"
        fallback += f": {primary.summary}"
    if report.probe_error and verdict_value != Verdict.UNKNOWN:
        verdict += f"\n:grey_question: Not checked from here: {escape(report.probe_error)}"
    blocks.append(section(verdict))
    count = len(report.findings)
    details = "Details in the thread" if in_thread else "Details below"
    blocks.append(
        context(
            f"{details} · {count} finding{'s' if count != 1 else ''} · "
            f"checked in {report.duration_ms / 1000:.1f} s"
        )
    )
    blocks.append(buttons(run.run_id, evidence=True))
    return Message(text=fallback, blocks=blocks)


def failure_reply(run: Run) -> Message:
    """The thread reply that says a run could not finish and no result is coming."""
    why = run.error or "the probe did not finish"
    text = (
        f":warning: The probe of {code(run.display)} could not finish: {escape(why)}. "
        "No result is coming for this run; press *Re-run* to try again."
    )
    return Message(text=f"The probe could not finish: {why}", blocks=[section(text)])

