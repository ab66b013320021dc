"""What the catalogue tests of each domain share: reading its Babel extraction config as
`make messages` does, extracting its messages, reading its bokmål `.po`, and finding the
messages without a usable translation."""

from __future__ import annotations

import configparser
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

EXTRACTORS = {"python": "python", "jinja2": "jinja2.ext:babel_extract"}
"""Babel's names for the methods a config names; any other is a `module:function` already."""


def read_mapping(config: Path) -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    """A config's `[method: pattern]` sections and their options, in order."""
    parser = configparser.ConfigParser()
    parser.read(config, encoding="utf-8")
    methods: list[tuple[str, str]] = []
    options: dict[str, dict[str, str]] = {}
    for section in parser.sections():
        method, _, pattern = section.partition(":")
        methods.append((pattern.strip(), EXTRACTORS.get(method.strip(), method.strip())))
        options[pattern.strip()] = dict(parser.items(section))
    return methods, options


def extract(
    config: Path, folders: Sequence[Path], keywords: Mapping[str, Any]
) -> dict[str, set[str]]:
    """Every message marked in `folders`, with the files (relative to their folder) marking it."""
    methods, options = read_mapping(config)
    found: dict[str, set[str]] = {}
    for folder in folders:
        for filename, _line, message, _comments, _context in extract_from_dir(
            folder, methods, options, keywords=dict(keywords)
        ):
            for text in (message,) if isinstance(message, str) else message:
                if text:
                    found.setdefault(text, set()).add(filename)
    return found


def read_catalogue(po: Path, source: bytes | None = None) -> Catalog:
    """The bokmål catalogue at `po`, or `source` in its place (a test's altered copy)."""
    return read_po(io.BytesIO(po.read_bytes() if source is None else source), locale="nb")


def untranslated(messages: Iterable[str], catalog: Catalog) -> list[str]:
    """The messages with no usable translation: absent, empty, or fuzzy (which the pages,
    compiled without fuzzy entries, would show in English)."""
    missing = []
    for message in messages:
        entry = catalog.get(message)
        if entry is None or not str(entry.string).strip() or entry.fuzzy:
            missing.append(message)
    return sorted(missing)
