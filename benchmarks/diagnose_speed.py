"""How fast is a diagnosis of a healthy origin, against the floor and against sslyze?

Starts a healthy TLS origin on 127.0.0.1 (certificates minted here), then measures, in the same
run and on the same origin:

- in-process: ``workers.engine.diagnose`` (what a warm worker pays per probe);
- floor: one ``openssl s_client`` handshake plus one ``curl`` request, as processes;
- the whole ``origin502 diagnose --json`` process (start-up included);
- ``sslyze`` certificate + protocol scan, when sslyze is installed.

Prints medians and ratios. Traffic goes to loopback only. Run: python benchmarks/diagnose_speed.py
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.certs import CertFactory, write_pem  # noqa: E402
from tests.support.tls_origin import TlsOrigin  # noqa: E402
from workers.engine import diagnose  # noqa: E402
from workers.options import build_request  # noqa: E402

NAME = "origin.test"
RUNS = 15


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn, runs: int = RUNS) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    factory = CertFactory()
    root = factory.root()
    inter = factory.intermediate(root)
    leaf = factory.leaf(inter, names=[NAME])
    tmp = Path(tempfile.mkdtemp())
    ca = write_pem(tmp / "roots.pem", root)
    origin502 = shutil.which("origin502", path=str(Path(sys.executable).parent)) or "origin502"

    with TlsOrigin([leaf, inter], leaf) as origin:
        port = origin.port
        request = build_request(
            NAME, resolve=((NAME, "127.0.0.1"),), https_port=port, ca_file=str(ca)
        )
        diagnose(request)  # warm the trust store, as a running worker has it
        in_process = timed(lambda: diagnose(request))

        def floor() -> None:
            subprocess.run(
                [
                    "openssl",
                    "s_client",
                    "-connect",
                    f"127.0.0.1:{port}",
                    "-servername",
                    NAME,
                    "-CAfile",
                    str(ca),
                ],
                input=b"",
                capture_output=True,
                check=False,
                timeout=10,
            )
            subprocess.run(
                [
                    "curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "--cacert",
                    str(ca),
                    "--resolve",
                    f"{NAME}:{port}:127.0.0.1",
                    f"https://{NAME}:{port}/",
                ],
                capture_output=True,
                check=False,
                timeout=10,
            )

        floor_runs = timed(floor)

        def cli() -> None:
            subprocess.run(
                [
                    origin502,
                    "diagnose",
                    NAME,
                    "--resolve",
                    f"{NAME}:127.0.0.1",
                    "--https-port",
                    str(port),
                    "--ca-file",
                    str(ca),
                    "--json",
                ],
                capture_output=True,
                check=False,
                timeout=30,
            )

        cli_runs = timed(cli, runs=7)

        sslyze_runs: list[float] = []
        try:
            import sslyze  # noqa: F401

            def sslyze_scan() -> None:
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "sslyze",
                        f"{NAME}:{port}{{127.0.0.1}}",
                        "--certinfo",
                        "--sslv2",
                        "--sslv3",
                        "--tlsv1",
                        "--tlsv1_1",
                        "--tlsv1_2",
                        "--tlsv1_3",
                        "--quiet",
                    ],
                    capture_output=True,
                    check=False,
                    timeout=120,
                )

            sslyze_runs = timed(sslyze_scan, runs=3)
        except ImportError:
            pass

    ip, fl, cl = median_ms(in_process), median_ms(floor_runs), median_ms(cli_runs)
    print(f"healthy loopback origin {NAME}:{port}, medians")
    print(f"  in-process diagnose           {ip:8.1f} ms  ({RUNS} runs)")
    print(f"  floor: openssl s_client+curl  {fl:8.1f} ms  ({RUNS} runs)")
    print(f"  origin502 diagnose (process)  {cl:8.1f} ms  (7 runs)")
    print(f"  in-process / floor            {ip / fl:8.2f} x  (aim: <= 2)")
    if sslyze_runs:
        sz = median_ms(sslyze_runs)
        print(f"  sslyze certinfo+protocols     {sz:8.1f} ms  (3 runs)")
        print(f"  origin502 process vs sslyze   {sz / cl:8.2f} x faster")
    else:
        print("  sslyze: not installed, skipped")


if __name__ == "__main__":
    main()
