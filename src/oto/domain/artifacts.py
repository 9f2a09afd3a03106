"""Artifact names as run records keep them: JSON-safe text, with the file's own bytes when they are not UTF-8.

A program may name a file with any bytes (tar and unzip write Latin-1 names as they are). Python
reads such a name with surrogates in it, which neither JSON nor an HTTP answer can carry. A record
lists it with its undecodable bytes written ``\\xff`` (``path``, what people see and ask for) and the
exact bytes percent-encoded (``raw``), so the file can still be found and downloaded. Stdlib only.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote, unquote_to_bytes


def _bytes(name: str) -> bytes:
    try:
        return name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file name decodes to (an old record's JSON)
        return name.encode("utf-8", "surrogatepass")


def entry(name: str, size: int) -> dict[str, Any]:
    """An artifact as a record lists it; ``name`` as ``os.scandir`` reads it (undecodable bytes as surrogates)."""
    raw = _bytes(name)
    try:
        return {"path": raw.decode("utf-8"), "size": size}
    except UnicodeDecodeError:
        return {"path": raw.decode("utf-8", "backslashreplace"), "size": size, "raw": quote(raw, safe="/")}


def shown(listed: dict[str, Any]) -> dict[str, Any]:
    """A listed artifact safe to show and serialise, whatever wrote it (records from before kept surrogates)."""
    path = listed.get("path")
    if not isinstance(path, str) or "raw" in listed:
        return listed
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return {**listed, **entry(path, int(listed.get("size") or 0))}
    return listed


def file_name(listed: dict[str, Any]) -> str:
    """The artifact's path in its run folder, as the operating system names it (for ``open``)."""
    raw = listed.get("raw")
    return os.fsdecode(unquote_to_bytes(raw)) if isinstance(raw, str) else str(listed.get("path"))
