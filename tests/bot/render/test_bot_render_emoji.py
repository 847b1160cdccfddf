"""Emoji shortcodes in text an origin (or a user) wrote: `escape` and `code` keep Slack from
showing them as pictures, and leave ordinary colons reading as typed. Read back through the
model of how Slack renders mrkdwn (tests/bot/mrkdwn.py), which shows any `:name:` as an emoji."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.render.message import Message, code, escape
from tests.bot.hostile import EMOJI, emoji_shown, emoji_taken
from tests.bot.mrkdwn import emoji, render

ZWSP = "\u200b"


def emoji_in(text: str) -> list[str]:
    return [name for style, name in render(text).styles if style == "emoji"]


@pytest.mark.parametrize(("text", "names"), [
    (":warning:", ["warning"]),
    ("ok:white_check_mark:done", ["white_check_mark"]),  # glued to words: still a picture
    (":+1::skin-tone-2:", ["+1", "skin-tone-2"]),
    (":a:b:", ["a", "b"]),  # the runs share a colon
    ("`:warning:`", ["warning"]),  # Slack does not say code keeps them out
    (":完了:", ["完了"]),  # a workspace's own emoji, named in another script
    (f":{ZWSP}warning:", []),
    ("Host: x https://a.example:8443/p CN=a:b", []),
])
def test_the_model_shows_every_shortcode_as_an_emoji(text, names):
    assert emoji_in(text) == names


def test_the_model_shows_an_emoji_as_a_picture_and_hides_zero_width_spaces():
    assert render("x :warning: y").visible == f"x {emoji('warning')} y"
    assert render(f"12:{ZWSP}30:45").visible == "12:30:45"


@pytest.mark.parametrize("show", [escape, code])
def test_shortcodes_an_origin_wrote_show_as_typed(show):
    rendered = render(f"Server: {show(EMOJI + ' :a:b:c: :+1::skin-tone-2:')}")
    assert [s for s in rendered.styles if s[0] == "emoji"] == []
    assert f"{EMOJI} :a:b:c: :+1::skin-tone-2:" in rendered.visible
    assert emoji_taken([rendered]) == [] and emoji_shown([rendered])


def test_the_check_finds_an_emoji_the_origin_wrote():
    assert emoji_taken([render(f"Server: {EMOJI}")]) != []


@pytest.mark.parametrize("text", [
    "12:30:45", "Host: x", "https://origin.example:8443/a:b",
    "CN=a:b", "CN=a:b:c", "Not After: Jan 1 00:00:00 2030 GMT", "a::b", ":", "::",
])
def test_ordinary_colons_read_as_typed(text):
    assert render(escape(text)).visible == text
    assert render(code(text)).visible == text
    assert emoji_in(escape(text)) == emoji_in(code(text)) == []


# An IPv6 address is left whole, so that a copied address pastes into a terminal; what stays
# possible there is an emoji named like a hex group (":db8:", ":100:"), the one risk accepted.
HEX_GROUP = re.compile(r"[0-9A-Fa-f]{1,4}")


@pytest.mark.parametrize("text", [
    "2001:db8::1", "[fe80::1:2]:443", "fe80::1%eth0", "2001:db8:cafe::1 and 2001:db8::2",
    "::ffff:192.0.2.1", "at [2001:db8::1]: refused",
])
def test_ipv6_addresses_stay_copyable(text):
    assert escape(text) == text
    assert code(text) == f"`{text}`"
    assert all(HEX_GROUP.fullmatch(name) for name in emoji_in(escape(text)))


@pytest.mark.parametrize(("text", "names"), [
    # A name character or colon beside the address could carry a run across its ends.
    (":+1:2001:db8::1", []),
    ("x:+1::1 ", []),
    ("2001:db8::1x:", []),
    (":warning:2001:db8::1 :ok:", []),
])
def test_an_address_glued_to_a_run_is_split(text, names):
    assert emoji_in(f"x {escape(text)} y") == names
    assert emoji_in(f"x {code(text)} y") == names


def test_only_colons_that_open_a_name_change():
    assert escape("Host: x https://a.example:8443/ CN=a:b") \
        == "Host: x https://a.example:8443/ CN=a:b"
    assert escape(":warning:") == f":{ZWSP}warning:"
    assert escape("12:30:45") == f"12:{ZWSP}30:45"


def test_a_look_alike_cannot_complete_a_name():
    # A backtick shows as ˋ, a letter to Slack: the split runs after it is put in.
    assert emoji_in(escape(":`x:")) == [] and emoji_in(code(":`x:")) == []


def test_the_notification_text_shows_shortcodes_as_typed():
    payload = Message(text=f"origin.test: {EMOJI}").payload()
    assert emoji_in(payload["text"]) == []
    assert render(payload["text"]).visible == f"origin.test: {EMOJI}"


def test_our_own_wording_keeps_its_emoji():
    # Only values pass through escape/code; the catalog's prose is written as mrkdwn.
    assert emoji_in(f":white_check_mark: recovered: {escape(EMOJI)}") == ["white_check_mark"]


# Colons, name characters and what escape turns into a look-alike, mixed with anything.
TRICKY = st.text(alphabet=st.sampled_from(":a_+-'`*~ 1\u200b\u02cb\u00e9完&<>\n"), max_size=40)
# Private-use characters are left out: the mrkdwn model uses them as its own placeholders.
ANY = st.one_of(TRICKY, st.text(st.characters(exclude_categories=("Co",)), max_size=40))
# Text escape leaves as it is (no delimiter, no control character, no quote): shown exactly.
ORDINARY = st.text(alphabet=st.sampled_from("abf09:./ -+'[]=é完"), max_size=40)


@given(ANY)
@example(":warning:")
@example(":a:b:c:")
@example(":`x:")
@example("::+1::")
def test_escape_and_code_never_show_an_emoji(text: str) -> None:
    # Only a hex group inside a whole IPv6 address can still read as a name (see HEX_GROUP).
    for shown in (f"x {escape(text)} y", f"x {code(text)} y", Message(text=text).payload()["text"]):
        assert all(HEX_GROUP.fullmatch(name) for name in emoji_in(shown)), shown


@given(ORDINARY)
@example("12:30:45")
@example("2001:db8::1:a")
@example("https://a.example:8443/x:y:z")
def test_ordinary_text_reads_exactly_as_typed(text: str) -> None:
    names = emoji_in(escape(text))
    if names:  # a whole IPv6 address, left copyable
        assert all(HEX_GROUP.fullmatch(name) for name in names)
    else:
        assert render(escape(text)).visible == text
    # Only zero-width spaces were added, each right after a colon.
    assert escape(text).replace(":" + ZWSP, ":") == text
