"""Probes talk to the network and return plain facts, one module per layer, run in this order:

``dns`` (A/AAAA answers) → ``tcp`` (connect, per address) → ``tls`` (the handshake CloudFront
would make, then follow-ups when it fails) → ``http`` (one HTTP/1.1 request on that connection).
``certificates`` judges the presented chain (``workers.addresses`` knows which addresses are
not public; it does no I/O, so the bot uses it too).
Library objects (sockets, ``cryptography`` certificates) never leave these modules.
"""

LAYERS: tuple[str, ...] = ("dns", "tcp", "tls", "http")
