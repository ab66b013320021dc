"""The default project's finance part as CloudEvents, for tests."""

from __future__ import annotations

from typing import Any

from shared.testing.apps import cloudevent

PROJECT = "kongsbergregionen-2010"

BUDGET: dict[str, Any] = {
    "project_name": "Nettverk som arbeidsform i Kongsbergregionen",
    "period_start": "2010-02-01",
    "period_end": "2010-12-31",
    "frame": "440000.00",
    "in_kind": "200000.00",
    "lines": [
        {"id": "external-expertise", "name": "External expertise", "amount": "50000.00"},
        {"id": "project-management", "name": "Project management", "amount": "120000.00"},
        {"id": "process-costs", "name": "Other process costs", "amount": "50000.00"},
        {"id": "contingency", "name": "Miscellaneous and contingency", "amount": "20000.00"},
    ],
    "approved_on": "2010-02-01",
}
FINANCING: dict[str, Any] = {
    "sources": [
        {"id": "grant", "name": "Discretionary grant", "kind": "grant", "amount": "240000.00"},
        {
            "id": "in-kind",
            "name": "Municipal in-kind work",
            "kind": "in_kind",
            "amount": "200000.00",
        },
    ],
    "planned_on": "2010-02-01",
}


def plan_events(project: str = PROJECT) -> list[dict[str, Any]]:
    return [
        cloudevent("BudgetApproved", project, BUDGET),
        cloudevent("FinancingPlanned", project, FINANCING),
    ]


def booking(
    booking_id: str,
    amount: str = "12500.00",
    *,
    line: str = "external-expertise",
    day: str = "2010-03-15",
    project: str = PROJECT,
    **extra: Any,
) -> dict[str, Any]:
    data = {
        "booking_id": booking_id,
        "line": line,
        "amount": amount,
        "booking_date": day,
        "voucher": f"V-{booking_id}",
    }
    return cloudevent("CostBooked", project, data, **extra)


MUNICIPALITIES = ["Kongsberg", "Flesberg", "Rollag", "Nore og Uvdal", "Notodden", "Hjartdal"]
IN_KIND_RULES: dict[str, Any] = {
    "activities": ["mapping", "assess-ways", "test-school", "follow-up"],
    "default_rate_ceiling": "700.00",
    "rate_ceilings": {"Rådgiver": "600.00"},
    "max_hours_per_day": "12",
}
BUDGET_WITH_RULES: dict[str, Any] = {
    **BUDGET,
    "municipalities": MUNICIPALITIES,
    "in_kind_rules": IN_KIND_RULES,
}
"""The budget as a plan with an `in_kind` section approves it: the in-kind rules with it."""


def plan_events_with_rules(project: str = PROJECT) -> list[dict[str, Any]]:
    return [
        cloudevent("BudgetApproved", project, BUDGET_WITH_RULES),
        cloudevent("FinancingPlanned", project, FINANCING),
    ]


def in_kind_hours(project: str = PROJECT, **changes: Any) -> dict[str, Any]:
    """Valid in-kind hours under `IN_KIND_RULES`, with `changes` to the data."""
    data = {
        "municipality": "Rollag",
        "person": "Kari Nordmann",
        "role": "Saksbehandler",
        "activity": "mapping",
        "work_date": "2010-03-02",
        "hours": "7.5",
        "hourly_rate": "650.00",
        **changes,
    }
    return cloudevent("InKindHoursRecorded", project, data)
