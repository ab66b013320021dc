"""Text recorded by an integration, made fit for a workbook or a page.

The log keeps text exactly as sent, control characters too; XML 1.0 (inside every XLSX) cannot
hold most of them, and a page would not show them. Each is shown as its Unicode control
picture (U+0001 as ␁), so the reader still sees that one is there and which."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str) -> str:
    return _CONTROL.sub(lambda found: chr(0x2400 + min(ord(found.group()), 0x21)), text)
