"""The nginx helper starts a real nginx with the configuration asked for, and cleans up."""

from __future__ import annotations

import http.client
import ssl

import pytest

from tests.support.certs import CertFactory
from tests.support.nginx import Nginx, NginxServer, TlsFiles


@pytest.fixture(scope="module")
def chain():
    factory = CertFactory()
    root = factory.root()
    inter = factory.intermediate(root)
    return root, inter, factory.leaf(inter, names=["site.test"])


def test_plain_and_tls_servers_answer_with_their_headers_and_error_pages(tmp_path, chain):
    root, inter, leaf = chain
    tls = TlsFiles.write(tmp_path, leaf, inter)
    servers = [
        NginxServer(body="return 200 'plain\\n';", headers=[("X-Test", 'a "quoted" value')]),
        NginxServer(tls=tls, body="return 502;", error_pages={502: "<h1>our page</h1>\n"},
                    ssl_protocols="TLSv1.2", server_tokens="off"),
    ]
    with Nginx(servers) as nginx:
        assert len(set(nginx.ports)) == 2
        plain = http.client.HTTPConnection("127.0.0.1", nginx.ports[0], timeout=5)
        plain.request("GET", "/")
        answer = plain.getresponse()
        assert (answer.status, answer.read()) == (200, b"plain\n")
        assert answer.getheader("X-Test") == 'a "quoted" value'
        plain.close()
        context = ssl.create_default_context(cadata=root.pem.decode())
        secure = http.client.HTTPSConnection("127.0.0.1", nginx.ports[1], timeout=5,
                                             context=context)
        context.check_hostname = False
        secure.request("GET", "/", headers={"Host": "site.test"})
        answer = secure.getresponse()
        assert answer.status == 502
        assert answer.read() == b"<h1>our page</h1>\n"
        assert answer.getheader("Server") == "nginx"  # server_tokens off: no version
        assert secure.sock.version() == "TLSv1.2"
        secure.close()
        prefix = nginx.prefix
    assert not prefix.exists()


def test_a_bad_configuration_is_reported_not_hung(tmp_path):
    with pytest.raises(RuntimeError, match="rejected"), Nginx([NginxServer(extra="nonsense;")]):
        pass
