"""Block Kit rendering: golden files for the shapes people see, limits for the worst cases.

Regenerate the golden files after a deliberate change with ORIGIN502_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.render import replies
from bot.render.diff import changes
from bot.render.evidence import evidence_messages
from bot.render.message import Message
from bot.render.result import result_messages
from bot.render.status import EVIDENCE_ACTION, RERUN_ACTION, failure_reply, status_message
from bot.render.watches import WATCH_ACTION
from tests.bot.reports import report, run
from workers.models import Finding

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, messages: list[Message]) -> None:
    actual = [m.payload() for m in messages]
    path = GOLDEN / f"{name}.json"
    if not path.exists() and not os.environ.get("ORIGIN502_UPDATE_GOLDEN"):
        # In CI a missing golden file is a file someone forgot to commit: compare against
        # nothing would prove nothing, so fail. Locally, write it for review and skip.
        if os.environ.get("CI") == "true":
            pytest.fail(f"golden file {path.name} is missing (write it with "
                        "ORIGIN502_UPDATE_GOLDEN=1 and commit it)")
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
        pytest.skip(f"golden file {path.name} was missing; written now, review and commit it")
    if os.environ.get("ORIGIN502_UPDATE_GOLDEN"):
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert actual == json.loads(path.read_text()), f"{name} differs from {path}"


def test_a_missing_golden_file_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("ORIGIN502_UPDATE_GOLDEN", raising=False)
    with pytest.raises(pytest.fail.Exception, match="is missing"):
        check_golden("no_such_golden_file", [status_message(run("queued"), None)])
    assert not (GOLDEN / "no_such_golden_file.json").exists()


def check_limits(messages: list[Message]) -> None:
    for message in messages:
        payload = message.payload()  # slack_sdk validates every block here
        assert payload["text"].strip(), "every message needs a plain-text fallback"
        assert len(payload["blocks"]) <= 50
        for block in payload["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000


def test_status_while_running_golden():
    check_golden("status_running", [status_message(run("running"), None)])


def test_status_queued_golden():
    check_golden("status_queued", [status_message(run("queued"), None)])


def test_status_done_fail_golden():
    # What the engine really announces for an expired certificate: the handshake completed,
    # so progress said "TLS ok"; the finished message must not keep saying so.
    progress = {"dns": "resolved to 192.0.2.10", "tcp": "ok", "tls": "ok", "http": "ok"}
    done = run("done", progress=progress)
    message = status_message(done, report(fail=True))
    check_golden("status_done_fail", [message])
    assert "CloudFront would answer 502" in json.dumps(message.payload())
    layers = message.payload()["blocks"][2]["text"]["text"]
    assert ":x: *TLS* a certificate has expired" in layers
    assert "*TLS* ok" not in layers
    assert "expired 5 days ago" in message.text  # the primary cause is in the fallback too
    values = {
        e["action_id"]
        for b in message.payload()["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert values == {RERUN_ACTION, EVIDENCE_ACTION, WATCH_ACTION}


def test_status_done_ok_golden():
    done = run(
        "done", progress={"dns": "resolved to 192.0.2.10", "tcp": "ok", "tls": "ok", "http": "ok"}
    )
    check_golden("status_done_ok", [status_message(done, report(fail=False))])


def test_status_failed_golden():
    failed = run(
        "failed", error="the worker running the probe stopped (killed or restarted) mid-probe"
    )
    messages = [status_message(failed, None), failure_reply(failed)]
    check_golden("status_failed", messages)
    assert "Traceback" not in json.dumps([m.payload() for m in messages])


def test_result_thread_golden():
    messages = result_messages(report(fail=True))
    check_golden("result_fail", messages)
    text = json.dumps([m.payload() for m in messages])
    assert "Renew the certificate." in text
    assert "&lt;script&gt;" in text  # origin-supplied text is escaped


def test_evidence_golden():
    messages = evidence_messages(report(fail=False), requested_by="UBOB")
    check_golden("evidence_ok", messages)
    text = json.dumps([m.payload() for m in messages])
    for expected in (
        "TLSv1.2",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "connect 1.5 + TLS 12.5 + first byte 20.1 ms",
        "Example Issuing CA",
        "192.0.2.10",
    ):
        assert expected in text


def test_rerun_diff_names_what_changed():
    before = report(fail=True)
    after = report(fail=False, host_header="www.example.com")
    lines = changes(before, after)
    joined = "\n".join(lines)
    assert "verdict: fail → *ok*" in joined
    assert "gone: *CERT_EXPIRED*" in joined
    assert "Host header: origin.example.com → www.example.com" in joined
    assert changes(before, before)[0].startswith("nothing changed")


def test_result_with_previous_run_includes_the_diff():
    messages = result_messages(report(fail=False), previous=report(fail=True))
    assert "What changed since the previous run" in json.dumps(messages[0].payload())


def test_huge_reports_are_split_within_slack_limits():
    findings = [
        Finding(
            code=f"CODE_{n}",
            severity="error",
            summary="x" * 2900,
            remediation=["step " + "y" * 800 for _ in range(6)],
            links=[f"https://docs.example.com/{n}/{i}" for i in range(12)],
            evidence={f"k{i}": "z" * 1000 for i in range(10)},
        )
        for n in range(40)
    ]
    messages = result_messages(report(fail=True, findings=findings))
    assert len(messages) > 1
    check_limits(messages)
    assert "continued" in messages[1].text


@pytest.mark.parametrize(
    "message",
    [
        replies.usage(),
        replies.bad_input("the port 99999 is outside 1-65535"),
        replies.refused("2130706433", "a loopback address"),
        replies.queue_unavailable(),
        replies.joined(
            "origin.example.com", "UALICE", "https://test.slack.com/archives/C1/p1", running=True
        ),
        replies.internal_error("abc123"),
        replies.not_in_channel("UBOT502"),
        replies.mention_help(True),
        replies.expired_run(),
    ],
)
def test_replies_are_valid_block_kit(message):
    check_limits([message])


def test_usage_golden():
    check_golden("usage", [replies.usage()])
