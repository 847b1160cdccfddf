"""What makes two deliveries 'the same request' (bot/idempotency.py)."""

from __future__ import annotations

from bot.idempotency import delivery_key


def test_event_retries_share_the_event_id():
    assert delivery_key({"event_id": "Ev1", "x": 1}, "a") == delivery_key({"event_id": "Ev1"}, "b")


def test_bodies_differ_by_their_bytes():
    assert delivery_key({}, "a=1") == delivery_key({}, "a=1")
    assert delivery_key({}, "a=1") != delivery_key({}, "a=2")


def test_socket_mode_payloads_are_keyed_by_content():
    assert delivery_key({"text": "a"}, "") != delivery_key({"text": "b"}, "")
