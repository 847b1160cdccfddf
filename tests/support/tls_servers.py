"""openssl s_server and gnutls-serv on loopback, configured as an operator would, each run by
``tests.support.server_process.ServerProcess`` (a free port, its own folder, stopped on exit).

- ``openssl_s_server`` sends a certificate chain exactly as the test orders it: ``-cert`` is the
  certificate of the private key (sent first), ``-cert_chain`` the rest in file order, and no CA
  store so OpenSSL adds nothing; ``-www`` answers GET with a 200 page. It runs at
  ``@SECLEVEL=0`` so it can serve what the outside world still serves: MD5 and SHA-1
  signatures, RSA-512 keys.
- ``gnutls_serv`` takes a priority string: on Debian those still speak 3DES, RC4-SHA and
  RC4-MD5.

nginx lives in ``tests/support/nginx.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from tests.support.certs import Minted
from tests.support.server_process import ServerProcess


def openssl_s_server(leaf: Minted, chain: Sequence[Minted] = (), *,
                     leaf_pem: bytes | None = None, chain_pem: bytes | None = None,
                     options: Sequence[str] = (),
                     client_ca: Minted | None = None) -> ServerProcess:
    """``leaf`` (or ``leaf_pem``) with its key is sent first, then ``chain`` (or the bytes of
    ``chain_pem``) in the order given. ``options`` are added as they are (e.g. ``-Verify 1``);
    ``client_ca`` is the CA file client certificates are checked against."""
    files = {"cert.pem": leaf_pem or leaf.pem, "key.pem": leaf.key_pem}
    args = ["s_server", "-quiet", "-www", "-accept", "127.0.0.1:{port}",
            "-cert", "{dir}/cert.pem", "-key", "{dir}/key.pem", "-cipher", "ALL:@SECLEVEL=0"]
    if client_ca is not None:
        # The client CA is a separate root: it cannot complete ("auto chain") the server's.
        files["client-ca.pem"] = client_ca.pem
        args += ["-CAfile", "{dir}/client-ca.pem", "-no-CApath", "-no-CAstore"]
    else:
        # No CA store at all, so OpenSSL cannot complete ("auto chain") what the test sends.
        args += ["-no-CAfile", "-no-CApath", "-no-CAstore"]
    rest = chain_pem if chain_pem is not None else b"".join(c.pem for c in chain)
    if rest:
        files["chain.pem"] = rest
        args += ["-cert_chain", "{dir}/chain.pem"]
    return ServerProcess(("openssl", "openssl"), [*args, *options], files=files)


def gnutls_serv(leaf: Minted, chain: Sequence[Minted] = (), *, priority: str,
                client_cert: str = "none", client_ca: Minted | None = None) -> ServerProcess:
    """``gnutls-serv --http`` with a priority string; ``client_cert`` "none" or "required".

    gnutls-serv listens on every interface (it has no address option); tests only ever connect
    to 127.0.0.1.
    """
    args = ["--http", "--port", "{port}", "--x509certfile", "{dir}/server.crt",
            "--x509keyfile", "{dir}/server.key", "--priority", priority]
    files = {"server.crt": b"".join(c.pem for c in (leaf, *chain)), "server.key": leaf.key_pem}
    if client_cert == "required":
        args.append("--require-client-cert")
        if client_ca is not None:
            files["client-ca.pem"] = client_ca.pem
            args += ["--x509cafile", "{dir}/client-ca.pem", "--verify-client-cert"]
    else:
        args.append("--disable-client-cert")
    return ServerProcess(("gnutls-serv", "gnutls-bin"), args, files=files)
