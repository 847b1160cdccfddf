"""Valid HTTP/1.1 that h11, origin502's parser, refuses: its own limits, not the origin's faults.

h11 reads only the framing it implements. It refuses, with the same protocol errors it raises
for broken responses, a few things RFC 9112 allows (read from h11 0.16's sources):

- "Only Transfer-Encoding: chunked is supported": any other coding list, such as
  "gzip, chunked" (section 6.1 allows codings before chunked, and in a response a list that
  does not end in chunked, delimited by the connection's close);
- "multiple Transfer-Encoding headers": the same list on two field lines (RFC 9110 5.3);
- "bad Content-Length" for a number of more than 20 digits (1*DIGIT has no upper bound);
- "illegal chunk header" for whitespace before a chunk extension's ";" (BWS, section 7.1.1)
  or a chunk size of more than 20 hex digits;
- "Receive buffer too long" in a body: a chunk header or trailer longer than the probe lets
  h11 buffer.

Such a response is judged on what h11 can read (its status line and other headers); the part
it cannot read is said as not read, never as a finding against the origin. Anything else h11
refuses stays its finding (workers/diagnosis: HTTP_RESPONSE_MALFORMED).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import h11

from workers.models.record import Record
from workers.probes.http_rejected import Rejected

_TOKEN = rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+"
_QUOTED = rb'"(?:[^"\\]|\\.)*"'
# RFC 9112 section 7.1: chunk-size [ chunk-ext ], with BWS around the extension's ";" and "=".
_CHUNK_LINE = re.compile(
    rb"[0-9A-Fa-f]+(?:[ \t]*;[ \t]*" + _TOKEN + rb"(?:[ \t]*=[ \t]*(?:" + _TOKEN + rb"|"
    + _QUOTED + rb"))?)*[ \t]*")
# The framing fields h11 refuses in a valid head: read again without them.
_FRAMING = (b"transfer-encoding", b"content-length")
_TE_REFUSED = ("Only Transfer-Encoding: chunked is supported", "multiple Transfer-Encoding headers")


@dataclass(eq=False, repr=False)
class HeadLimit(Record):
    """A response head h11 refused for its own limit: what it is, in a sentence, and the
    response h11 reads from the same head without its framing fields (kept here as sent)."""

    said: str
    response: h11.Response
    head_bytes: int  # the head's size as received, status line to blank line
    framing: dict[str, str] = field(default_factory=dict)


def head_limit(error: str, head: bytes) -> HeadLimit | None:
    """When h11 refused ``head`` (a response head as received, from its status line on) with
    ``error`` for a limit of its own although RFC 9112 allows it; None for a fault."""
    end = _head_end(head)
    if end is None:
        return None
    kept, framing = _split_framing(head[:end])
    codings = _codings(framing)
    if error in _TE_REFUSED:
        # Valid when each coding is a name (with parameters) and chunked comes at most once.
        # A Content-Length beside it is not h11's reason to refuse (h11 takes it beside a
        # plain "chunked", the Transfer-Encoding winning): it is not judged here either.
        names = [c.split(b";")[0].strip().lower() for c in codings]
        if (not names or names.count(b"chunked") > 1
                or not all(re.fullmatch(_TOKEN, n) for n in names)):
            return None
        said = (f"Transfer-Encoding: {b', '.join(codings).decode('latin-1')} is valid HTTP/1.1, "
                "but origin502's HTTP parser reads only \"chunked\"")
    elif error == "bad Content-Length":
        lengths = {n.strip() for value in framing.get(b"content-length", [])
                   for n in value.split(b",")}
        if len(lengths) != 1 or not all(n.isdigit() for n in lengths):
            return None
        said = ("its Content-Length is a number of more than 20 digits, valid HTTP/1.1 that "
                "origin502's HTTP parser does not read")
    else:
        return None
    response = _reparse(b"\n".join(kept))
    if response is None:
        return None
    return HeadLimit(said, response, end, {
        name.decode("latin-1"): ", ".join(v.decode("latin-1", "replace") for v in values)
        for name, values in framing.items()})


def head_fault(error: str, head: bytes) -> str | None:
    """For a Transfer-Encoding h11 refuses that RFC 9112 forbids too, the fault in our words
    (h11's own, "Only Transfer-Encoding: chunked is supported", would blame its limit)."""
    end = _head_end(head)
    if error not in _TE_REFUSED or end is None:
        return None
    codings = _codings(_split_framing(head[:end])[1])
    if [c.split(b";")[0].strip().lower() for c in codings].count(b"chunked") > 1:
        return (f"Transfer-Encoding: {b', '.join(codings).decode('latin-1')} applies chunked "
                "more than once, which HTTP/1.1 forbids")
    return None


def body_limit(broken: Rejected) -> str | None:
    """When h11 refused a chunked body's line for a limit of its own although RFC 9112 allows
    it: what it is, in a sentence; None for a fault."""
    if broken.said == "Receive buffer too long":
        return ("a chunk header or trailer longer than origin502's HTTP parser buffers: the "
                "body was not read to its end")
    if broken.said == "illegal chunk header" and broken.line is not None \
            and _CHUNK_LINE.fullmatch(broken.line.encode("latin-1", "replace")):
        return (f"the chunk header {broken.line!r} is valid HTTP/1.1, but origin502's HTTP "
                "parser does not read it: the body was not read to its end")
    return None


def _split_framing(head: bytes) -> tuple[list[bytes], dict[bytes, list[bytes]]]:
    """``head``'s lines without its framing fields, and those fields' values by name."""
    lines = head.split(b"\n")
    framing: dict[bytes, list[bytes]] = {}
    kept = [lines[0]]
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in _FRAMING:
            framing.setdefault(name.strip().lower(), []).append(value.strip())
        else:
            kept.append(line)
    return kept, framing


def _codings(framing: dict[bytes, list[bytes]]) -> list[bytes]:
    """The transfer codings of all Transfer-Encoding lines, in order (empty elements gone)."""
    return [c.strip() for value in framing.get(b"transfer-encoding", [])
            for c in value.split(b",") if c.strip()]


def _head_end(head: bytes) -> int | None:
    """Where ``head``'s blank line ends (CRLF or bare LF line ends, as h11 reads them)."""
    found = re.search(rb"\n\r?\n", head)
    return found.end() if found else None


def _reparse(head: bytes) -> h11.Response | None:
    """The response h11 reads from ``head`` (without the fields it could not take)."""
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "origin502.invalid")]))
    conn.receive_data(head)
    try:
        event = conn.next_event()
    except h11.ProtocolError:
        return None
    return event if isinstance(event, h11.Response) else None
