"""What h11 said it rejected in a response: its words, and the line it quoted.

h11's protocol errors quote the bytes they reject as a Python repr ("illegal header line:
bytearray(b'Content-Length : 2')"). A report names the line as the origin sent it, with
h11's words beside it; a message of another form ("conflicting Content-Length headers") is
kept whole, with no line.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from workers.models.record import FrozenRecord

# Enough of a rejected line to recognise it; a header can be kilobytes long.
MAX_LINE_CHARS = 200
_QUOTED = re.compile(r"(?P<said>[^:]+):\s*(?:bytearray\()?(?P<bytes>b(?P<q>['\"]).*(?P=q))\)?",
                     re.S)


@dataclass(frozen=True, eq=False, repr=False)
class Rejected(FrozenRecord):
    """What h11 rejected: its words, and the line it quoted when it quoted one."""

    said: str  # h11's words: "illegal header line", "bad Content-Length"
    line: str | None = None  # the line it rejected, without its line end


def rejected(error: Exception) -> Rejected:
    """What ``error``, an h11 protocol error, says was wrong."""
    text = str(error).strip()
    found = _QUOTED.fullmatch(text)
    if found is not None:
        try:
            raw = ast.literal_eval(found.group("bytes"))
        except (ValueError, SyntaxError):
            raw = None
        if isinstance(raw, bytes):
            line = raw.rstrip(b"\r\n").decode("latin-1")
            return Rejected(found.group("said").strip(), line[:MAX_LINE_CHARS])
    return Rejected(text)
