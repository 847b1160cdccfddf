"""Slack messages for a distribution: the parent shows the distribution and one line per origin,
each origin's details follow in the thread with its own Re-run button.

Pure functions over the run record and the report, like the rest of bot/render.
"""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.render.evidence import evidence_messages
from bot.render.message import Message, code, context, escape, section, sections
from bot.render.result import result_messages
from bot.render.status import VERDICT_LINES, VERDICT_WORDS, buttons, status_message
from workers.headline import (
    distribution_fail_sentence,
    distribution_warn_sentence,
    distribution_words,
    lead_finding,
    live_words,
    probe_words,
)
from workers.headline_groups import probe_words as group_probe_words
from workers.jobs.run_record import Run
from workers.models import Report, Verdict
from workers.models.distribution import DistributionReport, OriginProbe
from workers.models.distribution_live import (
    AS_ORIGIN_STEP,
    DONE,
    ORIGIN,
    PROBING,
    PROVISIONAL,
    VIEWER,
    DistributionLive,
    OriginLive,
)
from workers.models.layers import label_of
from workers.models.provisional import Provisional

RERUN_ORIGIN_ACTION = "origin502_rerun_origin"
ICONS = {"ok": ":large_green_circle:", "warn": ":large_yellow_circle:", "fail": ":red_circle:"}
AnyReport = Report | DistributionReport


def load_report(data: dict[str, object] | None) -> AnyReport | None:
    """A stored report of either kind."""
    if data is None:
        return None
    if data.get("kind") == "distribution":
        return DistributionReport.from_dict(data)
    return Report.from_dict(data)


def rerun_origin_value(run_id: str, origin_id: str) -> str:
    return f"{run_id}|{origin_id}"


def parse_rerun_origin_value(value: str) -> tuple[str, str]:
    run_id, _, origin_id = value.partition("|")
    return run_id, origin_id


# Keyed by plain strings: an origin's verdict may also be one no report has (not probed).
_VERDICT_WORDS: dict[str, str] = {str(k): v for k, v in VERDICT_WORDS.items()}


def _probe_line(dist_report: DistributionReport, probe: OriginProbe) -> str:
    host = f" · Host {escape(probe.host_header)}" if probe.host_header else ""
    role = f" · {escape(probe.role)}" if probe.role else ""
    # An origin group or a custom error page may change what its viewers get.
    words = group_probe_words(dist_report, probe) or probe_words(probe.verdict, probe.report)
    line = (f"{ICONS.get(probe.verdict, ':grey_question:')} *{escape(probe.origin_id)}* "
            f"{code(probe.domain_name)}{host}{role} — serves "
            f"{escape(', '.join(probe.behaviours))}: {escape(words)}")
    report = probe.report
    lead = lead_finding(report) if report is not None else None
    if report is not None and report.probe_error:
        line += f" (could not complete: {escape(report.probe_error)})"
    elif lead is not None and probe.verdict != "ok":
        line += f" — {escape(lead.code)}"
    return line


def _title(run: Run) -> str:
    target = escape(run.display)
    return {
        "command": f":mag: Looking *{target}* up in CloudFront and probing its origins",
        "rerun": f":repeat: Re-running *{target}*",
        "mention": f":repeat: Running *{target}* with changed options",
    }[run.reason]


def _who(run: Run) -> str:
    verb = "re-run by" if run.reason == "rerun" else "asked by"
    return f"{verb} <@{run.user}>"


def _entry_label(entry: OriginLive) -> str:
    if entry.kind == VIEWER:
        return f":eyes: Viewer side ({code(entry.domain_name)})"
    host = f" · Host {escape(entry.host_header)}" if entry.host_header else ""
    role = f" · {escape(entry.role)}" if entry.role else ""
    return f"*{escape(entry.origin_id)}* {code(entry.domain_name)}{host}{role}"


def _waits(entry: OriginLive) -> str:
    return "; ".join(f"{escape(label_of(layer))}: {escape(words)}"
                     for layer, words in entry.waiting.items())


def _live_line(entry: OriginLive) -> str:
    """One probe while the distribution runs: what it waits for, or its verdict so far."""
    if entry.kind == VIEWER and entry.state == DONE:
        return f"{_entry_label(entry)} — read"
    if entry.verdict is None or entry.state == PROBING:
        label = _entry_label(entry)
        if entry.kind == ORIGIN:
            label = f":hourglass_flowing_sand: {label}"
        return f"{label} — {_waits(entry) or 'probing'}"
    words = live_words(entry.verdict, entry.doubtful, entry.words)
    line = f"{ICONS.get(entry.verdict, ':grey_question:')} {_entry_label(entry)} — "
    line += f"_provisional_: {words}" if entry.state == PROVISIONAL else words
    if entry.code:
        line += f" — {escape(entry.code)}: {escape(entry.summary or '')}"
    elif entry.summary:
        line += f" ({escape(entry.summary)})"
    if entry.state == PROVISIONAL:
        line += f"\n      _{escape(entry.note or '')}_"
        if entry.waiting:
            line += f" · {_waits(entry)}"
    return line


def live_headline(live: DistributionLive) -> tuple[str, str] | None:
    """The distribution's verdict so far, marked provisional, and its plain-text fallback;
    None while an origin still probing could change it."""
    verdict = live.verdict
    if verdict is None:
        return None
    words = _VERDICT_WORDS.get(verdict, verdict)
    if verdict == "fail":
        names = [o.origin_id for o in live.failing]
        sentence = distribution_fail_sentence(names)
        return (f":hourglass: *Provisional* — :red_circle: *{escape(sentence)}*",
                f"provisional: {sentence}")
    doubt = distribution_warn_sentence([o.origin_id for o in live.doubtful]) \
        if verdict == "warn" else None
    if doubt is not None:
        return (f":hourglass: *Provisional* — :large_yellow_circle: *{escape(doubt)}*",
                f"provisional: {doubt}")
    if verdict == "unknown" and live.unchecked:
        # Known from the start: an origin viewers reach that no probe checks.
        return (f":hourglass: *Provisional* — {VERDICT_LINES[Verdict.UNKNOWN]}: "
                f"{escape(live.unchecked)}", f"provisional: {words}: {live.unchecked}")
    return (f":hourglass: *Provisional* — {VERDICT_LINES[Verdict(verdict)]}",
            f"provisional: {words}")


def _running(run: Run, blocks: list[Block], live: DistributionLive) -> Message:
    """A distribution still probing: its verdict so far, then a line per origin."""
    text = f"origin502: {run.display} — checking…"
    top = live_headline(live)
    if top is not None:
        blocks.append(section(top[0]))
        notes = sorted({o.note for o in live.origins if o.note and o.state == PROVISIONAL})
        text += f" {top[1]}" + (f" ({'; '.join(notes)})" if notes else "")
    blocks.extend(sections("\n".join(_live_line(entry) for entry in live.origins)))
    return Message(text=text, blocks=blocks)


def run_status(run: Run, report: AnyReport | None, *, in_thread: bool = True,
               provisional: Provisional | DistributionLive | None = None) -> Message:
    """The status message of any run: a distribution's (with each origin's state while it
    runs), or the origin's as before (with its provisional verdict while it runs, when there
    is one)."""
    # A name on no distribution is probed as an origin, and shown as one (its layers, its own
    # waits and first verdict).
    as_origin = run.progress.get("lookup") == AS_ORIGIN_STEP
    if isinstance(report, Report) or (report is None and (
            as_origin or run.probe_request.lookup is None)):
        first = provisional if isinstance(provisional, Provisional) else None
        return status_message(run, report if isinstance(report, Report) else None,
                              in_thread=in_thread, provisional=first)
    blocks: list[Block] = [section(_title(run)), context(_who(run))]
    if run.status == "running" and not run.error and isinstance(provisional, DistributionLive):
        return _running(run, blocks, provisional)
    if run.status in ("queued", "running") or (run.status == "done" and report is None):
        step = run.progress.get("lookup")
        note = (f":hourglass_flowing_sand: {escape(step)}" if step
                else ":inbox_tray: queued, waiting for a probe worker")
        if run.error:
            note = f":repeat: {escape(run.error)}"
        blocks.append(section(note))
        return Message(text=f"origin502: {run.display} — checking…", blocks=blocks)
    if run.status == "failed" or report is None:
        why = escape(run.error or "the check did not finish")
        blocks.append(section(f":warning: *Could not check it*: {why}."))
        blocks.append(buttons(run.run_id, evidence=False))
        return Message(text=f"origin502: {run.display} — could not check it: {run.error}",
                       blocks=blocks)
    dist = report.distribution
    blocks[0] = section(
        f":mag: *{escape(run.display)}* → distribution *{escape(dist.id)}* "
        f"({code(dist.domain_name)}, matched by {escape(dist.matched_by)})")
    if dist.disabled_note:
        # Before the origins' lines: their verdicts are not what viewers get now.
        blocks.insert(1, section(f":no_entry: *Disabled*: {escape(dist.disabled_note)}"))
    lines = [_probe_line(report, p) for p in report.probes]
    probed = {p.origin_id for p in report.probes}
    for origin in dist.origins:
        if origin.id not in probed:
            why = dist.why_not_probed(origin.id)
            lines.append(f":heavy_minus_sign: *{escape(origin.id)}* {code(origin.domain_name)}"
                         f" — not probed: {escape(why)}")
    for behaviour in dist.behaviours:
        for fn in behaviour.edge_functions:
            lines.append(f":zap: {escape(behaviour.label)}: {fn.kind} on {fn.event_type} — a "
                         "502/503 can come from it too")
    seen = report.viewer.worst if report.viewer is not None else None
    if seen is not None:
        lines.append(f":eyes: Viewer side ({code(dist.viewer_host)}): "
                     f"{escape(seen.viewer_line())}")
    lines.extend(f":memo: {escape(note)}" for note in dist.notes)
    if report.verdict_reason:
        # Beside ok or warn, the reason names origins not covered by design (S3, VPC): no
        # question mark there.
        mark = ":grey_question:" if report.verdict == "unknown" else ":heavy_minus_sign:"
        lines.append(f"{mark} {escape(report.verdict_reason)}")
    blocks.extend(sections("\n".join(lines) or "No custom origin to probe."))
    blocks.append(context(
        f"Details per origin in the thread · looked up with {report.lookup.api_calls} API "
        f"call(s) · checked in {report.duration_ms / 1000:.1f} s · {_who(run)}"))
    blocks.append(buttons(run.run_id, evidence=True))
    worst = distribution_words(report)
    disabled = "disabled; " if dist.disabled_note else ""
    text = f"origin502: {run.display} (distribution {dist.id}) — {disabled}{worst}; " + "; ".join(
        f"{p.origin_id}: {probe_words(p.verdict, p.report)}" for p in report.probes)
    return Message(text=text, blocks=blocks)


def _previous_probe(previous: AnyReport | None, probe: OriginProbe) -> Report | None:
    if isinstance(previous, DistributionReport):
        for old in previous.probes:
            if (old.origin_id, old.host_header) == (probe.origin_id, probe.host_header):
                return old.report
    return None


def run_results(run: Run, report: AnyReport, previous: AnyReport | None) -> list[Message]:
    """The thread replies: for a distribution, each origin's details with its Re-run."""
    if isinstance(report, Report):
        return result_messages(report, previous if isinstance(previous, Report) else None)
    out: list[Message] = []
    for probe in report.probes:
        if probe.report is None:
            continue
        messages = result_messages(probe.report, _previous_probe(previous, probe))
        intro = [f"*Origin {code(probe.origin_id)}* ({code(probe.domain_name)}) — serves "
                 f"{escape(', '.join(probe.behaviours))}",
                 f"GET {code(probe.path)}"
                 + (f" with {', '.join(code(h) for h in probe.headers_sent)}"
                    if probe.headers_sent else "")
                 + (f" · Host {escape(probe.host_header)}" if probe.host_header else "")]
        intro.extend(f":memo: {escape(note)}" for note in probe.notes)
        messages[0].blocks[:0] = sections("\n".join(intro))
        messages[0].text = f"Origin {probe.origin_id}: {messages[0].text}"
        messages[-1].blocks.append(ActionsBlock(
            block_id=f"origin-{run.run_id}-{probe.origin_id}"[:255], elements=[ButtonElement(
                text=f"Re-run {probe.origin_id}"[:75], action_id=RERUN_ORIGIN_ACTION,
                value=rerun_origin_value(run.run_id, probe.origin_id))]))
        out.extend(messages)
    return out or [Message(text="No custom origin was probed.",
                           blocks=[section("No custom origin was probed.")])]


def run_evidence(report: AnyReport, requested_by: str | None) -> list[Message]:
    if isinstance(report, Report):
        return evidence_messages(report, requested_by=requested_by)
    out: list[Message] = []
    for probe in report.probes:
        if probe.report is not None:
            out.extend(evidence_messages(probe.report, requested_by=requested_by))
    return out
