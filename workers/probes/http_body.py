"""The body of the probe's one GET: whether it ended as its head said, and its start.

CloudFront reads the whole body of the object it fetches; an origin that closes the
connection before the Content-Length it declared (or before a chunked body's last chunk)
hands it a truncated object. The probe reads the body of the GET it already makes, but only
for as long as it costs the diagnosis nothing noticeable: it stops at the first pause between
packets, after a short overall time and past a byte cap, and then says "not known" rather
than guess. A body that is still coming is no finding: CloudFront's response timeout is a gap
between packets (facts 4.6), so a slow or endless stream is fine for it. What this catches is
what shows quickly: a close or reset right after a short body.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import h11

from workers.models import BodyStop, HttpReason
from workers.models.record import FrozenRecord, Record
from workers.probes.context import DeadlineExceeded
from workers.probes.deadline_io import recv_within
from workers.probes.http_rejected import Rejected, rejected
from workers.probes.wire import Stream


@dataclass(frozen=True, eq=False, repr=False)
class BodyLimits(FrozenRecord):
    """When the probe stops reading a body it has not seen the end of."""

    idle: float = 0.25  # seconds without a packet: the origin is streaming, not closing
    total: float = 1.0  # seconds for the whole read, however steadily the bytes come
    max_bytes: int = 1024 * 1024  # a large object is not downloaded to check its end


LIMITS = BodyLimits()


@dataclass(eq=False, repr=False)
class Body(Record):
    """The body of the GET as read: its start, its length so far and how it ended."""

    excerpt: bytes = b""  # its first bytes, up to what the caller keeps
    received: int = 0  # bytes of body received
    # True: it ended as the head said; False: the origin closed or reset the connection
    # before that (``cut_by`` says which); None: origin502 stopped reading first
    # (``stopped`` says why) or the body is broken.
    complete: bool | None = None
    cut_by: HttpReason | None = None
    stopped: BodyStop | None = None
    broken: Rejected | None = None  # what h11 rejected in it (a chunk header, say)


def read_body(conn: h11.Connection, sock: Stream, *, deadline: float, gap: float, keep: int,
              limits: BodyLimits | None = None,
              clock: Callable[[], float] = time.monotonic) -> Body:
    """Read the body of the response ``conn`` just gave, keeping its first ``keep`` bytes.

    ``deadline`` is the diagnosis's (a time.monotonic() value) and ``gap`` CloudFront's
    response timeout; ``limits`` (LIMITS by default) end the read sooner, its overall time
    counted on ``clock``. Never raises for what the origin does: a slow, broken or cut body is
    said in the result."""
    limits = limits or LIMITS
    body = Body()
    kept = bytearray()
    until = clock() + limits.total
    closed = False
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                if body.received >= limits.max_bytes:
                    body.stopped = BodyStop.SIZE
                    break
                left = until - clock()
                if left <= 0:
                    body.stopped = BodyStop.TIME
                    break
                wait = min(limits.idle, gap, left)
                try:
                    chunk = recv_within(sock, deadline, wait, 65536)
                except DeadlineExceeded:
                    body.stopped = BodyStop.DEADLINE
                    break
                except TimeoutError:
                    body.stopped = BodyStop.TIME if wait >= left else BodyStop.IDLE
                    break
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
    except OSError:
        pass  # the socket failed here: the body's end is not known
    body.excerpt = bytes(kept)
    return body
