"""Money as integer øre inside, as a decimal string on the wire.

Floats are refused everywhere money crosses a boundary: 0.1 + 0.2 is not an amount an auditor
accepts. JSON numbers are refused too, so that a client cannot be lucky with `12500` and unlucky
with `12500.1`; the one spelling is a string with at most two decimals. Python code builds
amounts the same way (`amount="12500.00"`), so there is one path in and one path out.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

ORE_PER_KRONE = 100
_DECIMAL = re.compile(r"^(-?)(\d{1,15})(?:\.(\d{1,2}))?$")


def parse_ore(text: str) -> int:
    """`"12500.5"` -> 1250050. Raises ValueError for anything but a plain decimal string."""
    match = _DECIMAL.match(text)
    if match is None:
        raise ValueError(text)
    sign, whole, frac = match.groups()
    ore = int(whole) * ORE_PER_KRONE + int((frac or "0").ljust(2, "0"))
    return -ore if sign else ore


def format_ore(ore: int) -> str:
    """1250050 -> `"12500.50"`."""
    sign = "-" if ore < 0 else ""
    whole, frac = divmod(abs(ore), ORE_PER_KRONE)
    return f"{sign}{whole}.{frac:02d}"


def ore_to_decimal(ore: int) -> Decimal:
    return Decimal(ore) / ORE_PER_KRONE


def _validate_amount(value: Any) -> int:
    if isinstance(value, float):
        raise PydanticCustomError(
            "decimal_string", 'must be a decimal string such as "12500.00", not a float'
        )
    if not isinstance(value, str):
        raise PydanticCustomError("decimal_string", 'must be a decimal string such as "12500.00"')
    digits = value.split(".", 1)
    if len(digits) == 2 and len(digits[1]) > 2:
        raise PydanticCustomError("max_two_decimals", "must have at most two decimals")
    try:
        return parse_ore(value)
    except ValueError:
        raise PydanticCustomError(
            "decimal_string", 'must be a decimal string such as "12500.00"'
        ) from None


_AMOUNT_SCHEMA = {
    "type": "string",
    "pattern": r"^-?\d{1,15}(\.\d{1,2})?$",
    "examples": ["12500.00"],
    "description": "NOK as a decimal string with at most two decimals",
}

Amount = Annotated[
    int,
    BeforeValidator(_validate_amount),
    PlainSerializer(format_ore, return_type=str, when_used="always"),
    WithJsonSchema(_AMOUNT_SCHEMA),
]
"""Signed money in øre; a decimal string in JSON."""
