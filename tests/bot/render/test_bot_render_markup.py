"""Text from origins and users in Slack's mrkdwn: what `escape`, `code` and `with_code` make
of it, read back through the model of how Slack renders mrkdwn (tests/bot/mrkdwn.py)."""

from __future__ import annotations

import pytest

from bot.render.evidence import probe_text
from bot.render.message import code, escape, section, sections, with_code
from tests.bot.hostile import FORMATTING, QUOTE, formatting_taken, shown
from tests.bot.mrkdwn import render
from tests.bot.reports import https_probe
from workers.diagnosis.draft import draft
from workers.diagnosis.render import word
from workers.models import FindingCode

HOSTILE = f"{FORMATTING} <!channel> <https://evil.example|Fix>{QUOTE}"


@pytest.mark.parametrize(("text", "styles"), [
    ("*x* _y_ ~z~ `c`", [("code", "c"), ("bold", "x"), ("italic", "y"), ("strike", "z")]),
    ("&gt; q", [("quote", "q")]),
    ("a\n  > q", [("quote", "q")]),
    ("<!channel> <https://e.example|Fix>",
     [("control", "<!channel>"), ("control", "<https://e.example|Fix>")]),
    ("`*x*`", [("code", "*x*")]),
    ("x ` *y* `", [("bold", "y")]),  # spaces inside the backticks: maybe not code in Slack
    ("(*x*)", [("bold", "x")]),
    ("\u200b*x*\u200b", [("bold", "x")]),  # a zero-width space is a boundary, as in Slack
    ("snake_case_name a*b*c", []),
    ("\u00ad&gt; q", []),
    ("∗x∗ ˍyˍ ∼z∼ ˋcˋ", []),
])
def test_the_model_reads_mrkdwn_as_slack_shows_it(text, styles):
    assert render(text).styles == styles


def test_the_check_finds_markup_that_took_effect():
    taken = formatting_taken([render(HOSTILE)])
    assert {t.split(":")[0] for t in taken} == {"bold502", "italic502", "strike502",
                                                 "code502", "emoji502", "quote502"}


@pytest.mark.parametrize("show", [escape, code])
def test_hostile_text_is_shown_as_typed(show):
    rendered = render(f"value: {show(HOSTILE)}")
    assert formatting_taken([rendered]) == []
    assert [s for s in rendered.styles if s[0] in ("control", "quote")] == []
    assert shown([rendered]) == {"bold502", "italic502", "strike502", "code502", "emoji502",
                                 "quote502"}
    assert "<!channel> <https://evil.example|Fix>" in rendered.visible


def test_a_value_at_the_start_of_a_line_does_not_quote():
    assert render(escape("> quoted")).styles == []
    assert render("x\n" + escape(">> quoted")).styles == []


def test_code_shows_a_value_exactly_except_backticks_and_line_breaks():
    assert code("*.example.com") == "`*.example.com`"
    assert render(code("*.example.com")).visible == "*.example.com"
    assert code("a`b\nc") == "`aˋb c`"
    assert code("  ") == "(empty)"


def test_escape_leaves_letters_between_delimiters_alone():
    assert escape("my_origin_host.example.com a*b") == "my_origin_host.example.com a*b"
    assert escape("_x_ *y* ~z~ `c`") == "ˍxˍ ∗y∗ ∼z∼ ˋcˋ"


def test_with_code_keeps_our_commands_code_and_makes_the_rest_inert():
    step = "Check with `openssl s_client -servername *x*` then *fix* it."
    rendered = render(with_code(step))
    assert ("code", "openssl s_client -servername *x*") in rendered.styles
    assert [s for s in rendered.styles if s[0] != "code"] == []
    assert render(with_code("an odd ` backtick *x*")).styles == []


def test_a_filled_in_value_cannot_open_or_close_a_catalog_code_span():
    # TLS_HANDSHAKE_FAILED's steps show `openssl s_client … -servername {sni}` as code.
    f = word(draft(FindingCode.TLS_HANDSHAKE_FAILED, "192.0.2.1", address="192.0.2.1", port=443,
                   sni="x` *bold502* `y"), total_addresses=1)
    assert any("xˋ *bold502* ˋy" in step for step in f.remediation), f.remediation
    rendered = [render(with_code(step)) for step in f.remediation]
    assert formatting_taken(rendered) == []


def test_long_values_are_never_cut_inside_their_code_span():
    """Eight names of 500 characters make a line longer than a section: the split falls
    between names, so no name's markup shows outside its span."""
    probe = https_probe()
    assert probe.tls is not None
    leaf = probe.tls.chain[0]
    leaf.dns_names = [f"n{i}-" + (FORMATTING + " ") * 12 for i in range(8)]
    blocks = sections(probe_text("192.0.2.10", probe))
    texts = [b.text.text for b in blocks]
    assert len(texts) > 1
    renderings = [render(t) for t in texts]
    assert shown(renderings) and formatting_taken(renderings) == []
    assert all(t.count("`") % 2 == 0 for t in texts)


def test_a_clipped_section_does_not_leave_a_code_span_open():
    text = "x" * 2990 + code(FORMATTING)
    rendered = render(section(text).text.text)
    assert formatting_taken([rendered]) == []
    assert rendered.source.endswith("x…")
