"""Slack users cannot name files: every spelling of `--ca-file` is refused after parsing, and
no path from the text is opened or even looked at (a FIFO would block an open; a missing and
an existing file get the same answer, so the reply is no oracle)."""

from __future__ import annotations

import errno
import os

import pytest

from bot.parse import Invalid, interpret


def spellings(path: str) -> list[str]:
    return [
        f"x.com --ca-file {path}",
        f"x.com --ca-file={path}",
        f"x.com \u201c--ca-file={path}\u201d",  # typographic quotes, as Slack types them
        f"x.com \u2018--ca-file={path}\u2019",
        f"x.com \u2014ca-file={path}",  # em dash
        f"x.com \u2013ca-file {path}",  # en dash
        f"x.com -\u2013ca-file {path}",
        f"x.com \u2212\u2212ca-file={path}".replace("\u2212\u2212", "\u2212"),  # minus sign
        f"x.com '--ca-file' '{path}'",
        f"x.com --timeout 5 --ca-file={path} --https-port 8443",
        f"--ca-file={path} x.com",
    ]


def _nobody_reads(fifo: str) -> bool:
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        return exc.errno == errno.ENXIO
    os.close(fd)
    return False


@pytest.mark.parametrize("index", range(len(spellings("P"))))
def test_every_spelling_is_refused_without_touching_the_path(tmp_path, index):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    missing = tmp_path / "missing.pem"
    answers = []
    for path in (str(fifo), "/dev/zero", "/etc/passwd", str(missing)):
        result = interpret(spellings(path)[index], allow_private=True, ca_file=None)
        assert isinstance(result, Invalid), result
        assert "ORIGIN502_CA_FILE" in result.problem
        answers.append(result.problem.replace(path, "PATH"))
    assert len(set(answers)) == 1  # the same answer whether the file exists or not
    assert _nobody_reads(str(fifo))


def test_operator_file_from_the_environment_is_not_opened_for_slack(tmp_path, monkeypatch):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    monkeypatch.setenv("ORIGIN502_CA_FILE", str(fifo))  # an open() would block here
    result = interpret("x.com", allow_private=True, ca_file="/operator/roots.pem")
    assert not isinstance(result, Invalid), result
    assert result.request.options.ca_file == "/operator/roots.pem"


@pytest.mark.parametrize("target", ["x.com", "E2ABCDEFGHIJKL", "d111111abcdef8.cloudfront.net"])
def test_refused_before_any_distribution_lookup(tmp_path, target):
    from workers.options import OperatorOnlyError, request_from_text

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OperatorOnlyError):
        request_from_text(f"{target} \u201c--ca-file={fifo}\u201d", allow_private=True, aws=True)
    assert _nobody_reads(str(fifo))
