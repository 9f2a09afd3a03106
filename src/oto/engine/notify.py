"""Sending one notification: a JSON POST, signed when the notification has a secret.

No redirect is followed (a 3xx is a failed attempt: a webhook that moves is a misconfiguration, and
following it would send the signed body somewhere nobody configured), and each attempt has
DELIVERY_TIMEOUT seconds in all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from oto import __version__
from oto.engine.contracts import DELIVERY_TIMEOUT
from oto.services import notifications, secrets

# The most of a receiver's answer read (it is only kept as a hint in the attempt's error).
ANSWER_LIMIT = 200


@dataclass(frozen=True)
class Sent:
    """What one attempt came to: the HTTP status (None when none came back) and why it failed ("" when it did not)."""

    http_status: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300

    @property
    def worth_retrying(self) -> bool:
        """A receiver that is down, busy or broken may answer later; a 4xx other than 408/429 will not."""
        status = self.http_status
        return status is None or status >= 500 or status in (408, 425, 429) or 300 <= status < 400


def headers_for(body: bytes, stored_secret: str, sent_at: datetime) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": f"oto/{__version__}",
               "X-OTO-Timestamp": str(int(sent_at.timestamp()))}
    if stored_secret:
        headers["X-OTO-Signature"] = notifications.signature(body, secrets.reveal(stored_secret))
    return headers


async def send(out: notifications.Outgoing, *, timeout: float = DELIVERY_TIMEOUT) -> Sent:
    """POST ``out`` once; never raises for what the receiver or the network did."""
    sent_at = datetime.now(UTC)
    body = notifications.body_of(out.payload, sent_at)
    try:
        headers = headers_for(body, out.secret, sent_at)
    except secrets.SecretError as error:
        return Sent(None, f"the secret cannot be read: {error}")
    try:
        async with asyncio.timeout(timeout):  # the whole attempt, however slowly the receiver trickles
            return await _post(out.url, body, headers, timeout)
    except (TimeoutError, httpx.TimeoutException):
        return Sent(None, f"no answer within {timeout:g} s")
    except httpx.HTTPError as error:
        return Sent(None, f"{type(error).__name__}: {str(error)[:300] or 'the connection failed'}")


async def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Sent:
    async with (httpx.AsyncClient(follow_redirects=False, timeout=httpx.Timeout(timeout), trust_env=False) as client,
                client.stream("POST", url, content=body, headers=headers) as response):
        status = response.status_code
        if 200 <= status < 300:
            return Sent(status, "")
        if 300 <= status < 400:
            where = response.headers.get("location", "")[:200]
            return Sent(status, f"a redirect (to {where!r}) is not followed")
        answer = b""
        async for chunk in response.aiter_bytes():  # a hint of why, never the whole of a huge answer
            answer += chunk
            if len(answer) >= ANSWER_LIMIT:
                break
        text = answer[:ANSWER_LIMIT].decode("utf-8", "replace").strip()
        return Sent(status, f"HTTP {status}" + (f": {text}" if text else ""))
