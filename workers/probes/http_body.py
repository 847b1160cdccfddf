"""The body of the probe's one GET: whether it ended as its head said, and its start.

CloudFront reads the whole body of the object it fetches; an origin that closes the
connection before the Content-Length it declared (or before a chunked body's last chunk)
hands it a truncated object. The probe reads the body of the GET it already makes, within a
byte cap and a short wait, and says "not known" rather than guess when either ends first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import h11

from workers.models import HttpReason
from workers.models.record import Record
from workers.probes.context import DeadlineExceeded
from workers.probes.deadline_io import recv_within
from workers.probes.http_rejected import Rejected, rejected
from workers.probes.wire import Stream

# Past this, origin502 stops reading: a large object is not downloaded to check its end.
MAX_BODY_BYTES = 1024 * 1024
BODY_WAIT = 5.0  # seconds for the whole body; the status and headers are already in hand


@dataclass(eq=False, repr=False)
class Body(Record):
    """The body of the GET as read: its start, its length so far and how it ended."""

    excerpt: bytes = b""  # its first bytes, up to what the caller keeps
    received: int = 0  # bytes of body received
    # True: it ended as the head said; False: the origin closed or reset the connection
    # before that (``cut_by`` says which); None: origin502 stopped reading first.
    complete: bool | None = None
    cut_by: HttpReason | None = None
    broken: Rejected | None = None  # what h11 rejected in it (a chunk header, say)


def read_body(conn: h11.Connection, sock: Stream, *, deadline: float, gap: float,
              keep: int) -> Body:
    """Read the body of the response ``conn`` just gave, by ``deadline`` (a time.monotonic()
    value, bounded here by BODY_WAIT) with at most ``gap`` seconds between packets, keeping
    its first ``keep`` bytes. Never raises for what the origin does: a slow, broken or cut
    body is said in the result."""
    body = Body()
    kept = bytearray()
    deadline = min(deadline, time.monotonic() + BODY_WAIT)
    closed = False
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                if body.received >= MAX_BODY_BYTES:
                    break
                chunk = recv_within(sock, deadline, min(gap, BODY_WAIT), 65536)
                closed = not chunk
                conn.receive_data(chunk)
                continue
            if isinstance(event, h11.Data):
                body.received += len(event.data)
                if len(kept) < keep:
                    kept.extend(event.data[:keep - len(kept)])
                continue
            # EndOfMessage, or ConnectionClosed for a body that ends with the connection.
            body.complete = isinstance(event, h11.EndOfMessage | h11.ConnectionClosed)
            break
    except h11.RemoteProtocolError as exc:
        if closed:  # h11: "peer closed connection without sending complete message body"
            body.complete, body.cut_by = False, HttpReason.CLOSED
        else:
            body.broken = rejected(exc)
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        body.complete, body.cut_by = False, HttpReason.RESET
    except (OSError, DeadlineExceeded):
        pass  # slow, or the socket failed here: the body's end is not known
    body.excerpt = bytes(kept)
    return body
