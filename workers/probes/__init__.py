"""Probes talk to the network and return plain facts, one module per layer (``registry`` lists
them, in the order of ``workers.models.Layer``):

``dns`` (A/AAAA answers) → ``tcp`` (connect, per address) → ``tls`` (the handshake CloudFront
would make, follow-ups when it fails, and the judgement of the presented chain with
``certificates``) → ``http`` (one HTTP/1.1 request on that connection).
(``workers.addresses`` knows which addresses are not public; it does no I/O, so the bot uses
it too.) Library objects (sockets, ``cryptography`` certificates) never leave these modules.
"""

from workers.probes import quiet

quiet.install()  # before any probe thread runs: see workers.probes.quiet
