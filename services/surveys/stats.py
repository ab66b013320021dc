"""The figures a survey query shows, as pure functions of answer values.

Arithmetic is exact (fractions) and rounded once, at the end, so a figure does not depend on the
order answers were added in, and a test can state it as the fraction a person works out.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from services.surveys.events import SCALES

PROMOTERS = range(9, 11)
DETRACTORS = range(7)


def suppressed_reason(respondents: int, threshold: int) -> str | None:
    """Why a group's figures are withheld, or None when they may be shown. Fewer respondents
    than the threshold could let a reader tell who answered what."""
    if respondents < threshold:
        return f"fewer than {threshold} respondents"
    return None


def distribution(kind: str, counts: dict[int, int]) -> dict[str, int]:
    """Every point of the scale, answered or not, so the shape is visible."""
    return {str(point): counts.get(point, 0) for point in SCALES[kind]}


def mean(counts: dict[int, int]) -> Fraction | None:
    total = sum(counts.values())
    if not total:
        return None
    return Fraction(sum(value * count for value, count in counts.items()), total)


def net_promoter_score(counts: dict[int, int]) -> Fraction | None:
    """% promoters (9-10) − % detractors (0-6), from −100 to 100."""
    total = sum(counts.values())
    if not total:
        return None
    promoters = sum(count for value, count in counts.items() if value in PROMOTERS)
    detractors = sum(count for value, count in counts.items() if value in DETRACTORS)
    return Fraction(100 * (promoters - detractors), total)


def normalised(kind: str, value: int) -> Fraction:
    """An answer on a 0..1 scale: likert (v − 1) / 4, nps v / 10."""
    if kind == "likert":
        return Fraction(value - 1, 4)
    if kind == "nps":
        return Fraction(value, 10)
    raise ValueError(f"a {kind} answer has no score")


def factor_score(answers: Iterable[tuple[str, int]]) -> Fraction | None:
    """The mean of (kind, value) answers, each normalised to 0..1."""
    scores = [normalised(kind, value) for kind, value in answers]
    return sum(scores, Fraction(0)) / len(scores) if scores else None


def rounded(value: Fraction | None, places: int) -> float | None:
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
