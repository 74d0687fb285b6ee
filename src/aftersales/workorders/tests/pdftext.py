"""Reads the text back out of the PDFs reportlab writes (no PDF library needed): every
content stream, inflated when compressed, and the literal strings of its text operators."""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(rb"<<([^<>]*)>>\s*stream\r?\n(.*?)\s*endstream", re.S)
_TEXT = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        char = raw[i : i + 1]
        if char != b"\\":
            out += char
            i += 1
            continue
        following = raw[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(0), 8))
            i += 1 + len(octal.group(0))
        else:
            out += _ESCAPES.get(following, following)
            i += 2
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    """The page text, one drawn string a line (WinAnsi strings decoded as cp1252)."""
    lines = []
    for match in _STREAM.finditer(pdf):
        filters, data = match.group(1), match.group(2)
        if b"ASCII85Decode" in filters:
            data = base64.a85decode(data.removesuffix(b"~>"), adobe=False, ignorechars=b" \t\r\n")
        if b"FlateDecode" in filters:
            data = zlib.decompress(data)
        for text in _TEXT.finditer(data):
            lines.append(_unescape(text.group(1)).decode("cp1252", errors="replace"))
    return "\n".join(lines)


def flat(pdf: bytes) -> str:
    """The text with whitespace collapsed, for phrases a paragraph may wrap."""
    return " ".join(pdf_text(pdf).split())
