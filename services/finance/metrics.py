"""Finance gauges, read from the read model when Prometheus scrapes."""

from __future__ import annotations

from prometheus_client.core import Metric

from services.finance import queries
from shared.metrics import gauge
from shared.money import ORE_PER_KRONE
from shared.readside import ReadSide


def _nok(ore: int) -> float:
    return ore / ORE_PER_KRONE


async def finance_metrics(read: ReadSide) -> list[Metric]:
    db, s = read.pool, read.schema
    lines = await queries.all_lines(db, s)
    projects = await queries.all_projects(db, s)
    in_kind = await queries.all_in_kind(db, s)
    funding = await queries.all_funding(db, s)
    line_labels = ["project", "line"]
    return [
        gauge(
            "ptrack_budget_nok",
            "Approved budget of a cost line",
            line_labels,
            [((r["project_id"], r["line_id"]), _nok(r["budget_ore"])) for r in lines],
        ),
        gauge(
            "ptrack_cost_booked_nok",
            "Cost booked on a line, net of reversals",
            line_labels,
            [((r["project_id"], r["line_id"]), _nok(r["net_ore"])) for r in lines],
        ),
        gauge(
            "ptrack_budget_used_ratio",
            "Share of a line's budget used (booked net / budget)",
            line_labels,
            [
                ((r["project_id"], r["line_id"]), r["net_ore"] / r["budget_ore"])
                for r in lines
                if r["budget_ore"]
            ],
        ),
        gauge(
            "ptrack_frame_nok",
            "The project's whole frame, money and in-kind",
            ["project"],
            [((r["project_id"],), _nok(r["frame_ore"])) for r in projects],
        ),
        gauge(
            "ptrack_in_kind_budget_nok",
            "The part of the frame planned as documented in-kind work",
            ["project"],
            [((r["project_id"],), _nok(r["in_kind_ore"])) for r in projects],
        ),
        gauge(
            "ptrack_in_kind_value_nok",
            "Value of documented in-kind work (hours × rate), by municipality",
            ["project", "municipality"],
            [((r["project_id"], r["municipality"]), _nok(r["value_ore"])) for r in in_kind],
        ),
        gauge(
            # Seconds, Prometheus's base unit for time; boards show it as hours.
            "ptrack_in_kind_work_seconds",
            "Documented in-kind work time, by municipality",
            ["project", "municipality"],
            [((r["project_id"], r["municipality"]), float(r["hours"]) * 3600) for r in in_kind],
        ),
        gauge(
            "ptrack_funding_planned_nok",
            "Funding planned per source",
            ["project", "source"],
            [((r["project_id"], r["source_id"]), _nok(r["planned_ore"])) for r in funding],
        ),
        gauge(
            "ptrack_funding_received_nok",
            "Funding received per source",
            ["project", "source"],
            [((r["project_id"], r["source_id"]), _nok(r["received_ore"])) for r in funding],
        ),
    ]
