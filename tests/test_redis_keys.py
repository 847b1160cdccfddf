"""Redis keys exist only inside the stores: every other module of `bot/` and `workers/` asks a
store (or RQ, or the lock helper) and never names a key or sends a Redis command itself.

Read from the syntax tree, like the import contracts of test_architecture.py: a key literal
(`"origin502:…"`, or an f-string that starts with a `PREFIX`), an import of a store's `PREFIX`,
or a Redis command called on something named like a connection (`redis`, `connection`,
`pipe`, …) outside the modules listed in `STORES`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("bot", "workers")
# The modules that own keys; each documents its keys at the top.
STORES = {
    "bot/store.py",  # the Slack side: Slack records of runs, threads, posts, requests seen
    "workers/jobs/run_record.py",  # runs, reports, dedup keys
    "workers/watches/store.py",  # watches, schedules, alerts, digests
    "workers/jobs/lease.py",  # the lock primitive the stores hold their locks with
}
KEY_LITERAL = re.compile(r"^origin502:\S")
# Names a Redis connection or pipeline goes by in this code base.
CONNECTIONS = {"redis", "connection", "conn", "pipe", "pipeline"}
COMMANDS = {
    "get", "set", "setex", "setnx", "getdel", "getex", "mget", "mset", "exists", "delete",
    "unlink", "expire", "pexpire", "persist", "ttl", "incr", "incrby", "decr", "hget", "hset",
    "hgetall", "hmget", "hdel", "hincrby", "hexists", "lpush", "rpush", "lpop", "rpop",
    "lrange", "lindex", "llen", "ltrim", "sadd", "srem", "smembers", "sismember", "zadd",
    "zrem", "zscore", "zrange", "zrangebyscore", "eval", "evalsha", "register_script",
    "pipeline", "lock", "keys", "scan", "scan_iter", "watch", "multi", "publish",
}


def _receiver_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_prefix(node: ast.expr) -> bool:
    name = _receiver_name(node)
    return name is not None and name.endswith("PREFIX")


def violations(source: str, path: str = "<source>") -> list[str]:
    """Where `source` names a Redis key or sends a Redis command by hand."""
    found: list[str] = []
    tree = ast.parse(source, filename=path)
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if KEY_LITERAL.match(node.value):
                found.append(f"{where}: key literal {node.value!r}")
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.FormattedValue) and _is_prefix(first.value):
                found.append(f"{where}: key built from {ast.unparse(first.value)}")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name.endswith("PREFIX"):
                    found.append(f"{where}: imports {alias.name} from {node.module}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = _receiver_name(node.func.value)
            if receiver in CONNECTIONS and node.func.attr in COMMANDS:
                found.append(f"{where}: Redis command {ast.unparse(node.func)}()")
    return found


def _modules() -> list[Path]:
    return sorted(p for top in SCANNED for p in (ROOT / top).rglob("*.py"))


def test_stores_exist():
    for store in STORES:
        assert (ROOT / store).is_file(), store


def test_no_redis_key_or_command_outside_the_stores():
    found = [
        problem
        for path in _modules()
        if (relative := path.relative_to(ROOT).as_posix()) not in STORES
        for problem in violations(path.read_text(), relative)
    ]
    assert found == [], "move these into a store:\n" + "\n".join(found)


@pytest.mark.parametrize("snippet", [
    'deps.redis.set(f"{PREFIX}:event:{event_id}", "1", nx=True, ex=3600)',
    'pipe.incr(f"origin502:run:{run_id}:seq")',
    'connection.exists(done_key)',
    'self.redis.hgetall(key)',
    'with connection.pipeline() as pipe:\n    pass',
    'from workers.jobs.run_record import PREFIX',
    'lock_name = f"{runs.PREFIX}:lock:run:{run_id}"',
    'KEY = "origin502:delivered"',
])
def test_hand_written_keys_and_commands_are_found(snippet):
    assert violations(snippet) != []


@pytest.mark.parametrize("snippet", [
    'click.echo(f"origin502: {exc}", err=True)',  # prose, not a key
    'command.get("text")',
    'store.first_delivery(key)',
    'connection.ping()',  # touches no key
])
def test_prose_and_store_calls_pass(snippet):
    assert violations(snippet) == []
