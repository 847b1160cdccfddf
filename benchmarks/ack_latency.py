"""Acknowledgement latency of `/origin502` under a burst of concurrent signed commands.

Starts a throw-away redis-server, a recording Slack API on loopback and the real
`origin502 serve` process, fires BURST commands CONCURRENCY at a time (each for a different
origin, so each one queues a probe), and prints p50/p99/max ack latency in milliseconds.
Slack's limit is 3,000 ms; the aim is under 50 ms.

    .venv/bin/python benchmarks/ack_latency.py [--burst 300] [--concurrency 30]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.bot.fakeslack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, command_body, post, sign  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(workdir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir, FakeSlack() as slack:
        redis, redis_url = start_redis(workdir)
        script = Path(sys.executable).with_name("origin502")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "REDIS_URL": redis_url,
        }
        env.pop("ORIGIN502_ALLOW_PRIVATE_TARGETS", None)
        err_path = Path(workdir) / "serve.err"
        with err_path.open("wb") as err:
            serve = subprocess.Popen(
                [*command, "serve", "--host", "127.0.0.1", "--port", "0"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        try:
            url = None
            for _ in range(200):
                match = re.search(r"listening on (http://\S+)", err_path.read_text())
                if match:
                    url = match.group(1)
                    break
                time.sleep(0.05)
            if url is None:
                raise SystemExit(f"origin502 serve did not start:\n{err_path.read_text()}")

            def one(i: int) -> tuple[int, float]:
                body = command_body(
                    f"origin{i}.example.com --host-header www.example.com",
                    response_url=slack.new_response_url(),
                    user=f"U{i}",
                )
                reply = post(url, body, "application/x-www-form-urlencoded", sign(body))
                return reply.status, reply.elapsed_ms

            for i in range(20):  # warm up threads, connections and imports
                one(100000 + i)
            time.sleep(1)  # let the warm-up's after-ack work finish
            cpu_before = cpu_seconds(serve.pid)
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                results = list(pool.map(one, range(args.burst)))
            wall = time.perf_counter() - started
            time.sleep(1)  # the after-ack work (Redis, enqueueing) counts too
            cpu_used = cpu_seconds(serve.pid) - cpu_before
        finally:
            serve.terminate()
            serve.wait(timeout=10)
            redis.terminate()
            redis.wait(timeout=10)

    latencies = [ms for _, ms in results]
    failures = sum(1 for status, _ in results if status != 200)
    p50, p99 = statistics.median(latencies), percentile(latencies, 99)
    print(f"{args.burst} commands, {args.concurrency} concurrent, {wall:.2f} s, {failures} non-200")
    print(f"app CPU per command (ack + enqueue): {cpu_used / args.burst * 1000:.2f} ms")
    print(f"ack latency ms: p50 {p50:.1f}  p99 {p99:.1f}  max {max(latencies):.1f}  (limit 3000)")


if __name__ == "__main__":
    main()
