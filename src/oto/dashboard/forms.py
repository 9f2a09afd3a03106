"""Reading HTML form posts without python-multipart: url-encoded fields and small file uploads."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from starlette.requests import Request

from oto.errors import InvalidInput

MAX_BODY = 16 << 20  # a catalog document is a few hundred KiB; nothing a form sends comes close


@dataclass
class Form:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))

    def add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)


async def read(request: Request) -> Form:
    """The posted form; InvalidInput for a body too large or of a type forms do not send."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY:
            raise InvalidInput(f"the form is larger than {MAX_BODY >> 20} MiB")
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        return _multipart(kind, bytes(body))
    if kind.startswith("application/x-www-form-urlencoded") or not body:
        form = Form()
        for name, value in parse_qsl(bytes(body).decode("utf-8", "replace"), keep_blank_values=True):
            form.add(name, value)
        return form
    raise InvalidInput(f"a form cannot be sent as {kind or 'nothing'}")


def _multipart(kind: str, body: bytes) -> Form:
    head = f"Content-Type: {kind}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise InvalidInput("the form's parts cannot be read")
    form = Form()
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            if data:
                form.files[name] = data
        else:
            form.add(name, data.decode("utf-8", "replace"))
    return form
