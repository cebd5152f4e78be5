"""The access log never shows a credential: query parameters named like one have their values replaced.

The server reads API keys only from headers, which uvicorn's access log does not print. A client that puts its
key in the URL instead (``?api_key=...``) is refused, but the request line would still reach the log; this filter,
attached to the access log's handler by ``opm serve``, prints ``api_key=***`` instead.
"""

from __future__ import annotations

import logging
import re

_CREDENTIAL_PARAM = re.compile(
    r"(?P<name>(?:^|[?&;])[^=&;#]*(?:key|token|secret|password|passwd|auth|signature)[^=&;#]*=)[^&;#\s]*",
    re.IGNORECASE,
)


def redact_credentials(text: str) -> str:
    """``text`` with the value of every credential-like query parameter replaced by ``***``."""
    if "=" not in text:
        return text
    return _CREDENTIAL_PARAM.sub(r"\g<name>***", text)


class RedactCredentials(logging.Filter):
    """A logging filter that redacts credential-like query parameters in a record's arguments and message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_credentials(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact_credentials(record.msg)
        return True
