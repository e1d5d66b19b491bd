"""Text typed by people, checked once for what breaks the rest (issue 13, control characters).

A vertical tab in an incident title made the Atom feed invalid XML for every reader, and a NUL
made PostgreSQL refuse the row (a 500). :func:`refuse_control_characters` turns them into a
refusal naming the field: a single-line field (a title) accepts no control character at all, a
multi-line one (a message) accepts line breaks and tabs. Text from a machine or a mail is
cleaned instead (:func:`without_control_characters`). :func:`xml_safe` is the writers' side:
what is already stored is written without the characters XML 1.0 forbids.
"""

from __future__ import annotations

import re
import unicodedata

from livret.errors import ServiceError

_MULTILINE_ALLOWED = frozenset("\n\t")
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


_LINE_BREAKS = "\n\t\r\u2028\u2029"


def _is_control(char: str) -> bool:
    # Cc: C0, DEL and C1 controls; Cs: a lone surrogate (a JSON "\ud800" escape).
    return unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff"


def _refused(char: str, multiline: bool) -> bool:
    # A one-line field (a title, a mail subject) refuses the Unicode line separators too.
    if multiline:
        return _is_control(char) and char not in _MULTILINE_ALLOWED
    return _is_control(char) or unicodedata.category(char) in ("Zl", "Zp")


def refuse_control_characters(text: str, field: str, label: str, *, multiline: bool) -> str:
    """``text`` with its line breaks as ``\\n``; a :class:`ServiceError` on ``field`` when it holds
    a control character (any, single-line; other than line break and tab, multi-line)."""
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for char in text:
        if _refused(char, multiline):
            kind = (
                "saut de ligne ou tabulation" if char in _LINE_BREAKS else "caractère de contrôle"
            )
            one_line = "" if multiline else " (ce champ tient sur une ligne)"
            raise ServiceError(
                "invalid",
                f"{label} : {kind} interdit (U+{ord(char):04X}), retirez-le{one_line}",
                field=field,
            )
    return text


def without_control_characters(text: str, *, multiline: bool) -> str:
    """``text`` from a machine or a mail, where a refusal would lose it: each control character
    becomes a space (multi-line: line breaks and tabs are kept, as ``\n``)."""
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(" " if _refused(char, multiline) else char for char in text)


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (stored before the check, or not)."""
    return _XML_FORBIDDEN.sub("", text)
