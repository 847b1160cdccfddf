"""The warnings origin502 expects from the libraries it drives, silenced once per process.

``warnings.catch_warnings()`` saves and restores the process-wide filter list and is not
thread-safe: a probe thread leaving its block restores the list as it was when it entered, so
a filter another thread added meanwhile is gone while that thread still relies on it (a
CryptographyDeprecationWarning reached the CLI's stderr that way). So these filters are added
once, when ``workers.probes`` is first imported, before any probe thread runs, each naming
its category and message so that nothing else is hidden. (pytest puts its own filters ahead
of these for every test: pyproject's ``filterwarnings`` repeats them, a test checks it.)
"""

from __future__ import annotations

import warnings

from cryptography.utils import CryptographyDeprecationWarning

# (message, a regular expression matched at its start; category).
EXPECTED: tuple[tuple[str, type[Warning]], ...] = (
    # Offering SSLv3, TLS 1.0 and 1.1 is the point when CloudFront is configured with them.
    (r"ssl\.TLSVersion\.(SSLv3|TLSv1|TLSv1_1) is deprecated", DeprecationWarning),
    (r"ssl\.OP_NO_SSL\*/ssl\.OP_NO_TLS\* options are deprecated", DeprecationWarning),
    # tlslite-ng imports asyncore (for an integration origin502 does not use) on Python 3.11.
    (r"The asyncore module is deprecated", DeprecationWarning),
    # One Mozilla root, and some origins' certificates, have a negative serial number;
    # cryptography warns but loads them (the chain is judged on its merits).
    (r"Parsed a serial number which wasn't positive", CryptographyDeprecationWarning),
)


def install() -> None:
    """Add the filters (again is harmless: the warnings module keeps one of each)."""
    for message, category in EXPECTED:
        warnings.filterwarnings("ignore", message=message, category=category)
