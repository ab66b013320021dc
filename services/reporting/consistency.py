"""Whether the budget and the schedule's time-phased plan still agree: a budget revision that
moves money between lines without a plan revision leaves the months planning the old amounts,
and earned value would then measure against a budget nobody approved. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from services.milestones.events import PlanContent


@dataclass(frozen=True)
class Disagreement:
    line: str
    """A budget line's id, or `in-kind` for the documented in-kind work."""
    budget: int
    """What the budget holds for it now, in øre."""
    planned: int
    """What the plan baseline in force spreads over its months, in øre."""

    @property
    def difference(self) -> int:
        return self.budget - self.planned


def disagreements(
    budget: Mapping[str, int], planned: Iterable[tuple[str, int]]
) -> list[Disagreement]:
    """Every line (in the budget's order, then lines only the plan has) whose budget differs
    from what the plan's months add up to. `planned` is (line, amount) for each month."""
    sums: dict[str, int] = {}
    for line, amount in planned:
        sums[line] = sums.get(line, 0) + amount
    lines = [*budget, *(line for line in sums if line not in budget)]
    return [
        Disagreement(line, budget.get(line, 0), sums.get(line, 0))
        for line in lines
        if budget.get(line, 0) != sums.get(line, 0)
    ]


def planned_by_line(plan: PlanContent) -> Iterator[tuple[str, int]]:
    """(line, amount) for every month of every activity of `plan`: its time-phased budget."""
    for activity in plan.activities:
        for line, months in activity.planned.items():
            for amount in months.values():
                yield line, amount


def differences(budget: Mapping[str, int], planned: Iterable[tuple[str, int]]) -> dict[str, int]:
    """budget − planned for every line either of them has (0 where they agree)."""
    sums: dict[str, int] = dict.fromkeys(budget, 0)
    for line, amount in planned:
        sums[line] = sums.get(line, 0) + amount
    return {line: budget.get(line, 0) - total for line, total in sums.items()}
