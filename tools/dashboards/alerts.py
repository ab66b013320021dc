"""The alerts' texts in two languages. deploy/prometheus/rules/ptrack.rules.yml is written by
hand: each alert's `summary_en` and `description_en` are English messages of the `boards`
catalogue, and its `summary` and `description` their bokmål translations, copied from the
catalogue (tests/unit/test_boards_catalogue.py fails when the two differ).

`extract` is the Babel extraction method `make messages` reads the English annotations with
(shared/locale/boards.cfg)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules" / "ptrack.rules.yml"
ENGLISH = "_en"
"""The suffix of an annotation in English; without it, an annotation is in the default language
(bokmål, the default plan's)."""
TRANSLATED = ("summary", "description")


@dataclass(frozen=True)
class AlertText:
    alert: str
    annotation: str
    """`summary` or `description`."""
    english: str
    default: str
    """The text in the default language (bokmål)."""
    line: int
    """Where the English text starts in the rules file (1-based)."""


def _scalars(node: yaml.Node) -> dict[str, yaml.Node]:
    assert isinstance(node, yaml.MappingNode), node
    return {str(key.value): value for key, value in node.value}


def alert_texts(source: str) -> Iterator[AlertText]:
    """Every alert's translated annotations, from a rules file's text."""
    root = yaml.compose(source)
    if root is None:
        return
    for group in _scalars(root)["groups"].value:
        for rule in _scalars(group)["rules"].value:
            fields = _scalars(rule)
            if "alert" not in fields:
                continue
            annotations = _scalars(fields["annotations"]) if "annotations" in fields else {}
            for name in TRANSLATED:
                english = annotations.get(name + ENGLISH)
                default = annotations.get(name)
                yield AlertText(
                    alert=str(fields["alert"].value),
                    annotation=name,
                    english="" if english is None else _value(english),
                    default="" if default is None else _value(default),
                    line=(english or default or rule).start_mark.line + 1,
                )


def _value(node: yaml.Node) -> str:
    # Constructed as YAML reads it (folded and quoted scalars), as Prometheus gets it.
    value: Any = yaml.safe_load(yaml.serialize(node))
    return str(value)


def extract(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel's extraction method for a rules file: each alert's English annotations."""
    for text in alert_texts(fileobj.read().decode("utf-8")):
        if text.english:
            comment = (
                f"Translators: the {text.annotation} of the alert {text.alert}, a Prometheus "
                "template: keep each {{ ... }} (a bokmål number may add "
                '| reReplaceAll "[.]" ","), then copy the translation into ptrack.rules.yml.'
            )
            yield text.line, None, text.english, [comment]
