"""The app manifests validate against Slack's published manifest schema and match the code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from bot.render.status import EVIDENCE_ACTION, RERUN_ACTION
from bot.settings import COMMAND

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "data" / "slack-manifest.schema.json").read_text())
MANIFESTS = ["bot/manifest.json", "bot/manifest.socket-mode.json"]


@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_matches_slack_schema(name):
    manifest = json.loads((ROOT / name).read_text())
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    jsonschema.Draft7Validator(SCHEMA).validate(manifest)


def test_schema_rejects_what_slack_rejects():
    manifest = json.loads((ROOT / MANIFESTS[0]).read_text())
    manifest["features"]["slash_commands"][0]["command"] = "origin502"  # no leading slash
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(manifest, SCHEMA)


@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_declares_what_the_app_listens_to(name):
    manifest = json.loads((ROOT / name).read_text())
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert events == ["app_mention", "app_home_opened"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True  # watched origins
    assert manifest["settings"]["interactivity"]["is_enabled"] is True  # the buttons
    assert {"commands", "chat:write", "app_mentions:read"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
    assert RERUN_ACTION and EVIDENCE_ACTION


def test_socket_mode_manifest_needs_no_public_url():
    manifest = json.loads((ROOT / MANIFESTS[1]).read_text())
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "://" not in json.dumps(manifest)
