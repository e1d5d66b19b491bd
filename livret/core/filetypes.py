"""File types read from the bytes, never from the name (SPEC REQ-2, RET-3).

Uploaded files are served back with the type sniffed here and always as attachments; a file
that looks like HTML or script is reported as such so that it is never served inline.
"""

from __future__ import annotations

import io
import zipfile

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # .doc/.xls/.ppt
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
)

_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

_MARKUP = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe")

OFFICE_FORMATS: dict[str, frozenset[str]] = {
    "word": frozenset({_OOXML["word/"], "application/x-ole-storage"}),
    "excel": frozenset({_OOXML["xl/"], "application/x-ole-storage"}),
    "powerpoint": frozenset({_OOXML["ppt/"], "application/x-ole-storage"}),
    "pdf": frozenset({"application/pdf"}),
    "image": frozenset(
        {"image/png", "image/jpeg", "image/gif", "image/bmp", "image/tiff", "image/webp"}
    ),
}


def sniff_content_type(content: bytes) -> str:
    """The media type the bytes show; ``text/html`` for anything markup-like."""
    head = content[:512]
    for magic, media_type in _SIGNATURES:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(content)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(stripped.startswith(tag) for tag in _MARKUP) or b"<script" in head.lower():
        return "text/html"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            content[:4096].decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
    return "application/octet-stream" if b"\x00" in head else "text/plain"


def _zip_type(content: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return "application/octet-stream"
    for prefix, media_type in _OOXML.items():
        if any(name.startswith(prefix) for name in names):
            return media_type
    return "application/zip"
