from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from shared.canonical import NotCanonical, canonical_json
from shared.money import Amount, format_ore, parse_ore
from shared.quantity import Quantity


class Priced(BaseModel):
    amount: Amount


@pytest.mark.parametrize(
    ("text", "ore"),
    [("0", 0), ("12500", 1_250_000), ("12500.5", 1_250_050), ("0.01", 1), ("-3.10", -310)],
)
def test_decimal_strings_become_ore_and_back(text: str, ore: int) -> None:
    assert parse_ore(text) == ore
    assert parse_ore(format_ore(ore)) == ore


def test_amounts_serialize_as_two_decimal_strings() -> None:
    assert Priced(amount="12500").model_dump(mode="json") == {"amount": "12500.00"}
    assert Priced(amount="0.5").amount == 50


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (12.5, "decimal_string"),
        (12, "decimal_string"),
        ("1.234", "max_two_decimals"),
        ("1e3", "decimal_string"),
        ("", "decimal_string"),
        ("12,50", "decimal_string"),
    ],
)
def test_anything_but_a_decimal_string_is_refused(value: object, rule: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Priced(amount=value)
    assert raised.value.errors()[0]["type"] == rule


def test_quantities_are_strings_too() -> None:
    class Hours(BaseModel):
        hours: Quantity

    assert Hours(hours="7.50").model_dump(mode="json") == {"hours": "7.5"}
    assert Hours(hours="100").model_dump(mode="json") == {"hours": "100"}
    with pytest.raises(ValidationError):
        Hours(hours=7.5)


def test_canonical_json_sorts_keys_and_refuses_floats() -> None:
    assert canonical_json({"b": 1, "a": {"d": [1, "x"], "c": None}}) == (
        b'{"a":{"c":null,"d":[1,"x"]},"b":1}'
    )
    with pytest.raises(NotCanonical, match="/a/0"):
        canonical_json({"a": [0.1]})
    with pytest.raises(NotCanonical, match="/a/1/b"):
        canonical_json({"a": (1, {"b": 2.5})})  # tuples are arrays too
    with pytest.raises(NotCanonical, match=r"^/:"):
        canonical_json(1.5)
    assert (
        canonical_json({"ok": True, "n": None, "t": (1, "x")})
        == b'{"n":null,"ok":true,"t":[1,"x"]}'
    )
