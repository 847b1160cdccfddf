"""Whether the bytes an origin sends can begin an HTTP/1.x response, judged as they arrive.

h11 parses a response head only once all of it is in (up to the blank line that ends it). A
service that is not HTTP but keeps the connection open (a mail server's banner and its error
line per line received, an SSH banner) never sends that blank line, so the wait would run to
the response timeout and the answer would read as silence. The first line alone settles it:
bytes that cannot begin a status line (RFC 9112 section 4) are not an HTTP response, whatever
follows. This module recognises that line and nothing more; every later part is h11's to
judge. The status code and reason it reads are used only when h11 rejects a later part, to
say what the origin answered before that part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workers.models.record import FrozenRecord

# status-line = HTTP-version SP status-code SP [ reason-phrase ]; like h11, the SP before an
# empty reason may be missing. HTTP-version is case-sensitive ("http/1.1" is not one), and a
# code below 100 is none (RFC 9110 section 15; h11 refuses it too).
_STATUS_LINE = re.compile(
    rb"HTTP/[0-9]\.[0-9] ([1-9][0-9]{2})(?: ([\t\x20-\x7e\x80-\xff]*))?")
_DIGITS = frozenset(b"0123456789")
# What each of the first bytes of every status line may be: "HTTP/d.d ddd".
_FIXED = [frozenset(b) for b in (b"H", b"T", b"T", b"P", b"/")] + [
    _DIGITS, frozenset(b"."), _DIGITS, frozenset(b" "), _DIGITS - {ord("0")}, _DIGITS, _DIGITS]
_REASON_BYTES = frozenset(b"\t" + bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100)))


@dataclass(frozen=True, eq=False, repr=False)
class StatusLine(FrozenRecord):
    """The status code and reason phrase of a first line that begins an HTTP/1.x response."""

    code: int
    reason: str


def _line(start: bytes) -> tuple[bytes, bool]:
    """The first line of ``start`` without its line end, and whether it has ended (CRLF or a
    bare LF, as h11 accepts)."""
    line, newline, _ = start.partition(b"\n")
    return line.removesuffix(b"\r") if newline else line, bool(newline)


def can_begin_response(start: bytes) -> bool:
    """False when ``start``, the first bytes of an answer, cannot be the beginning of an
    HTTP/1.x status line; True while they still can (or are one)."""
    line, ended = _line(start)
    if ended:
        return _STATUS_LINE.fullmatch(line) is not None
    line = line.removesuffix(b"\r")  # perhaps the first half of the line's CRLF
    if any(got not in allowed for got, allowed in zip(line, _FIXED, strict=False)):
        return False
    rest = line[len(_FIXED):]
    return not rest or (rest[:1] == b" " and all(b in _REASON_BYTES for b in rest[1:]))


def status_line(start: bytes) -> StatusLine | None:
    """The status line ``start`` begins with, once that line has ended; None before then or
    when it is not one."""
    line, ended = _line(start)
    found = _STATUS_LINE.fullmatch(line) if ended else None
    if found is None:
        return None
    return StatusLine(int(found.group(1)), (found.group(2) or b"").decode("latin-1"))
