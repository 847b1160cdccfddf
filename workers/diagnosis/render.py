"""Word drafts into findings with the catalog's templates: the summary, the notes added to it,
the remediation steps and, for a cause merged across addresses, which addresses it holds."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

from workers.diagnosis.catalog import (
    CATALOG,
    EACH_ADDRESS,
    MERGED_ADDRESSES,
    SCOPE_ALL,
    SCOPE_SOME,
    Prose,
)
from workers.diagnosis.draft import Draft, Fact
from workers.models import Finding


class _Blank(string.Formatter):
    """Leaves a template's unknown fields empty rather than failing."""

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str):
            return kwargs.get(key, "")
        return super().get_value(key, args, kwargs)


class _Steps(_Blank):
    """Also keeps a filled-in value (a name an origin chose) from opening or closing a step's
    `code` spans: its backticks show as ˋ, so the steps' commands stay commands wherever they
    are shown. The catalog's own wording passed as a value (``Prose``) keeps its spans."""

    def format_field(self, value: Any, format_spec: str) -> str:
        text = str(super().format_field(value, format_spec))
        return text if isinstance(value, Prose) else text.replace("`", "\u02cb")


_FORMAT = _Blank()
_STEPS = _Steps()


def say(template: str, **facts: Fact) -> str:
    """``template`` filled with ``facts``. A ``Prose`` template gives ``Prose``, its values'
    backticks shown as ˋ as in the steps, so it can be passed on as a value."""
    if isinstance(template, Prose):
        return Prose(_STEPS.format(template, **facts))
    return _FORMAT.format(template, **facts)


def plural(forms: tuple[str, str], count: int) -> str:
    """The catalog's (one, several) forms of a phrase, filled with ``count``."""
    return say(forms[0] if count == 1 else forms[1], count=count)


# Where one sentence ends and the next begins: after ".", "!" or "?" and before what can open a
# sentence. Colons and semicolons join parts of one sentence ("Less likely: a public CA's ...")
# and occur inside measured values (OpenSSL's "[SSL: TLSV1_UNRECOGNIZED_NAME] ..."), so a split
# there cut a step into fragments and kept the short ones.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'(\[`])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.")


def _sentences(text: str) -> list[str]:
    """``text`` cut into whole sentences (an abbreviation does not end one)."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        part = piece.strip()
        if out and out[-1].lower().endswith(_ABBREVIATIONS):
            out[-1] = f"{out[-1]} {part}"
        elif part:
            out.append(part)
    return out


def _new_to(summary: str, step: str) -> str:
    """``step`` without the sentences the summary already says: a fix starts with what to do,
    never with the summary again (templates fill ``{detail}`` with the measured facts)."""
    said = " ".join(summary.split()).rstrip(".").lower()
    kept = [s for s in _sentences(step)
            if len(s) < 20 or " ".join(s.split()).rstrip(".:;").lower() not in said]
    return " ".join(kept)


def word(draft: Draft, total_addresses: int) -> Finding:
    """The finding ``draft`` stands for. A draft merged across addresses says "each address"
    where it said its own, and names the addresses it holds out of ``total_addresses``."""
    entry = CATALOG[draft.code]
    template = entry.summary_for(draft.shape)
    facts = draft.facts()
    summary = say(template, **facts)
    # The steps are judged against what this address's summary says.
    steps = [_new_to(summary, _STEPS.format(step, **facts).strip())
             for step in entry.steps_for(draft.shape)]
    evidence = {k: v for k, v in draft.evidence.items()
                if isinstance(v, str | int | float | list)}
    merged = len(draft.addresses) > 1
    if merged:
        summary = say(entry.merged or template,
                      **{k: EACH_ADDRESS if v == draft.address else v for k, v in facts.items()})
        if summary.startswith(EACH_ADDRESS):  # "each address port 443 ..." opens it
            summary = summary[:1].upper() + summary[1:]
        count = len(draft.addresses)
        scope = SCOPE_ALL if count == total_addresses else say(SCOPE_SOME, count=count)
        # Inside the summary's own sentence ("... (all 2 addresses: ...)."), before the notes.
        ended = summary.endswith(".")
        summary = (summary.removesuffix(".") + say(MERGED_ADDRESSES, scope=scope,
                                                   total=total_addresses,
                                                   addresses=", ".join(draft.addresses))
                   + ("." if ended else ""))
    summary += "".join(say(note.template, **note.facts) for note in draft.notes)
    if draft.addresses:
        evidence["addresses"] = list(draft.addresses)
    links = list(entry.links)
    if draft.lead_link is not None:
        links = [draft.lead_link, *[x for x in links if x != draft.lead_link]]
    return Finding(
        code=draft.code, severity=draft.severity, summary=summary,
        address=None if merged else draft.address, title=entry.title_for(draft.shape),
        remediation=[s for s in steps if s], links=links, uncertain=draft.uncertain,
        evidence=evidence)
