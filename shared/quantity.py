"""Non-money decimals (hours, shares) as strings on the wire, `Decimal` inside.

Same reasoning as `shared.money`: a float has no exact spelling, so the log never holds one.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

_DECIMAL = re.compile(r"^-?\d{1,12}(\.\d{1,4})?$")


def _validate(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise PydanticCustomError(
            "decimal_string", 'must be a decimal string such as "7.5", not a float'
        )
    if not isinstance(value, str) or not _DECIMAL.match(value):
        raise PydanticCustomError(
            "decimal_string", 'must be a decimal string such as "7.5" (at most 4 decimals)'
        )
    return Decimal(value)


def _serialize(value: Decimal) -> str:
    return format(value.normalize(), "f") if value != 0 else "0"


Quantity = Annotated[
    Decimal,
    BeforeValidator(_validate),
    PlainSerializer(_serialize, return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d{1,12}(\.\d{1,4})?$", "examples": ["7.5"]}),
]
"""A decimal quantity such as hours; a string in JSON."""
