"""REQ-2: how an attachment is served, by the web pages and the API alike: as a download,
with the type sniffed from its bytes only when that type is harmless, never as HTML."""

from __future__ import annotations

from typing import BinaryIO

from django.http import FileResponse

from livret.core.filetypes import OFFICE_FORMATS
from livret.support.models import Attachment

SERVED_TYPES = frozenset().union(*OFFICE_FORMATS.values()) | {"text/plain"}


def served_type(content_type: str) -> str:
    """Images, PDF, office documents and plain text keep their type; the rest is opaque."""
    if content_type not in SERVED_TYPES:
        return "application/octet-stream"
    return "text/plain; charset=utf-8" if content_type == "text/plain" else content_type


def download_response(attachment: Attachment, handle: BinaryIO) -> FileResponse:
    """The file as an attachment that no browser will sniff, run or render inline."""
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=served_type(attachment.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
