from __future__ import annotations

import pytest

from bot.settings import DEFAULT_REDIS_URL, Settings, SettingsError


def test_defaults_need_nothing_from_slack():
    s = Settings.from_env({})
    assert s.redis_url == DEFAULT_REDIS_URL
    assert s.api_url == "https://slack.com/api/"
    assert s.allow_private_targets is False


def test_missing_settings_are_named_in_one_line():
    with pytest.raises(SettingsError) as exc:
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}).require(
            "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"
        )
    assert str(exc.value).startswith("missing required settings: SLACK_SIGNING_SECRET (")
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("value", "allowed"), [("1", True), ("true", True), ("0", False), ("", False)]
)
def test_allow_private_targets_switch(value, allowed):
    assert (
        Settings.from_env({"ORIGIN502_ALLOW_PRIVATE_TARGETS": value}).allow_private_targets
        is allowed
    )


def test_unreadable_switch_is_refused():
    with pytest.raises(SettingsError, match="ORIGIN502_ALLOW_PRIVATE_TARGETS must be 1 or 0"):
        Settings.from_env({"ORIGIN502_ALLOW_PRIVATE_TARGETS": "maybe"})


def test_ca_file_must_exist(tmp_path):
    with pytest.raises(SettingsError, match="ORIGIN502_CA_FILE"):
        Settings.from_env({"ORIGIN502_CA_FILE": str(tmp_path / "nope.pem")})


def test_api_url_gets_its_trailing_slash():
    assert (
        Settings.from_env({"SLACK_API_URL": "http://127.0.0.1:9/api"}).api_url
        == "http://127.0.0.1:9/api/"
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"REDIS_URL": "notaurl"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://cache:abc/0"}, "REDIS_URL"),
        ({"ORIGIN502_NAMESERVER": "garbage"}, "ORIGIN502_NAMESERVER"),
        ({"ORIGIN502_NAMESERVER": "[::1]:53x"}, "ORIGIN502_NAMESERVER"),
        ({"ORIGIN502_NAMESERVER": "127.0.0.1:²"}, "ORIGIN502_NAMESERVER"),
        ({"SLACK_BOT_TOKEN": "xoxb-…"}, "SLACK_BOT_TOKEN"),  # the README's placeholder
        ({"SLACK_BOT_TOKEN": "xapp-1-abc"}, "SLACK_BOT_TOKEN"),  # the wrong kind of token
        ({"SLACK_APP_TOKEN": "xapp-…"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
    ],
)
def test_bad_values_are_named_in_one_line_with_an_example(env, named):
    with pytest.raises(SettingsError) as exc:
        Settings.from_env(env)
    message = str(exc.value)
    assert message.startswith(named) and "e.g. " in message and "\n" not in message


def test_a_redis_password_is_never_shown():
    with pytest.raises(SettingsError) as exc:
        Settings.from_env({"REDIS_URL": "redis://:s3cret@cache:abc/0"})
    assert "s3cret" not in str(exc.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10.0.0.2", ("10.0.0.2", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
     ("[::1]:53", ("::1", 53)), ("::1", ("::1", 53)), ("[2001:db8::53]", ("2001:db8::53", 53))],
)
def test_nameserver_spellings(value, expected):
    from workers.config import nameserver

    assert nameserver(value) == expected
