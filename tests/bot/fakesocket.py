"""Slack's Socket Mode endpoint on loopback: a minimal WebSocket server (RFC 6455, text,
ping and close frames) that sends envelopes to the connected app and records its acks."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import time
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _frame(opcode: int, payload: bytes) -> bytes:
    head = bytes([0x80 | opcode])
    if len(payload) < 126:
        head += bytes([len(payload)])
    elif len(payload) < 1 << 16:
        head += bytes([126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([127]) + struct.pack("!Q", len(payload))
    return head + payload


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


class FakeSocketMode:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections = 0
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=test"

    def close(self) -> None:
        self._stop = True
        self._listener.close()
        if self._conn is not None:
            self._conn.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            key = ""
            for line in head.decode().split("\r\n"):
                if line.lower().startswith("sec-websocket-key:"):
                    key = line.split(":", 1)[1].strip()
            accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            conn.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            self._conn = conn
            self.connections += 1
            hello = {
                "type": "hello",
                "num_connections": 1,
                "connection_info": {"app_id": "A502"},
                "debug_info": {"host": "fake", "approximate_connection_time": 3600},
            }
            self._send(conn, json.dumps(hello))
            while True:
                b0, b1 = _recv_exact(conn, 2)
                opcode, length = b0 & 0x0F, b1 & 0x7F
                if length == 126:
                    (length,) = struct.unpack("!H", _recv_exact(conn, 2))
                elif length == 127:
                    (length,) = struct.unpack("!Q", _recv_exact(conn, 8))
                mask = _recv_exact(conn, 4) if b1 & 0x80 else b"\0\0\0\0"
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(_recv_exact(conn, length)))
                if opcode == 0x9:  # ping
                    with self._send_lock:
                        conn.sendall(_frame(0xA, data))
                elif opcode == 0x8:
                    return
                elif opcode == 0x1:
                    message = json.loads(data)
                    if "envelope_id" in message:
                        self.acks[message["envelope_id"]] = message
        except (ConnectionError, OSError):
            return

    def _send(self, conn: socket.socket, text: str) -> None:
        with self._send_lock:
            conn.sendall(_frame(0x1, text.encode()))

    def send(self, envelope: dict[str, Any], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self._conn is None:
            if time.monotonic() > deadline:
                raise AssertionError("the app never connected over Socket Mode")
            time.sleep(0.05)
        self._send(self._conn, json.dumps(envelope))

    def wait_for_ack(self, envelope_id: str, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while envelope_id not in self.acks:
            if time.monotonic() > deadline:
                raise AssertionError(f"no ack for {envelope_id}")
            time.sleep(0.02)
        return self.acks[envelope_id]


def slash_command_envelope(envelope_id: str, text: str, response_url: str) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "test",
            "channel_id": "C0INCIDENT",
            "channel_name": "incident",
            "user_id": "UALICE",
            "user_name": "alice",
            "command": "/origin502",
            "text": text,
            "api_app_id": "A502",
            "response_url": response_url,
            "trigger_id": "t.1",
        },
    }
