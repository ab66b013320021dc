"""Earned value on small projects; every expected value is worked out by hand in the comments.

Amounts are øre: 3_100_000 is 31 000.00 NOK. Times are days since the beginning of the start
day, so the end of the status date is AT = status − start + 1.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.reporting.evm import (
    ActualCost,
    EvmFigures,
    PlannedCost,
    ProgressReport,
    Scope,
    SeriesPoint,
    Step,
    earned_value,
    series,
)


def money(activity: str, month: str, amount: int) -> PlannedCost:
    return PlannedCost(activity, month, amount, in_kind=False)


def in_kind(activity: str, month: str, amount: int) -> PlannedCost:
    return PlannedCost(activity, month, amount, in_kind=True)


def report(activity: str, on: date, share: str) -> ProgressReport:
    return ProgressReport(activity, on, Decimal(share))


def booked(on: date, amount: int) -> ActualCost:
    return ActualCost(on, amount, in_kind=False)


def documented(on: date, amount: int) -> ActualCost:
    return ActualCost(on, amount, in_kind=True)


# The worked example: January-March 2011 (31, 28 and 31 days), three activities.
#
#              money: Jan       Feb        Mar    | in-kind: Jan       Feb        Mar
#   mapping        3_100_000  2_800_000            |      6_200_000
#   design                    1_400_000  3_100_000 |                 2_800_000
#   seminar                              6_200_000 |                            3_100_000
#   month          3_100_000  4_200_000  9_300_000 |      6_200_000  2_800_000  3_100_000
#
# BAC money = 3_100_000 + 4_200_000 + 9_300_000 = 16_600_000
# BAC total = 16_600_000 + 6_200_000 + 2_800_000 + 3_100_000 = 28_700_000
# Per activity, money / total:
#   mapping 5_900_000 / 12_100_000, design 4_500_000 / 7_300_000, seminar 6_200_000 / 9_300_000
START = date(2011, 1, 1)
STATUS = date(2011, 2, 14)
PLANNED = (
    money("mapping", "2011-01", 3_100_000),
    money("mapping", "2011-02", 2_800_000),
    in_kind("mapping", "2011-01", 6_200_000),
    money("design", "2011-02", 1_400_000),
    money("design", "2011-03", 3_100_000),
    in_kind("design", "2011-02", 2_800_000),
    money("seminar", "2011-03", 6_200_000),
    in_kind("seminar", "2011-03", 3_100_000),
)
PROGRESS = (
    report("mapping", date(2011, 1, 20), "0.5"),
    report("mapping", date(2011, 2, 10), "0.8"),
    report("mapping", date(2011, 2, 20), "1"),
    report("design", date(2011, 2, 14), "0.25"),
    report("not-in-the-plan", date(2011, 1, 5), "1"),
)
ACTUAL = (
    booked(date(2011, 1, 15), 2_500_000),
    documented(date(2011, 1, 31), 5_000_000),
    booked(date(2011, 2, 1), 3_000_000),
    booked(date(2011, 2, 5), -400_000),  # a reversal of part of the 1 February booking
    documented(date(2011, 2, 14), 1_000_000),
    booked(date(2011, 2, 15), 1_000_000),
)


def figures(status_date: date, scope: Scope) -> EvmFigures:
    return earned_value(
        PLANNED, PROGRESS, ACTUAL, start=START, status_date=status_date, scope=scope
    )


@pytest.mark.parametrize(
    ("day", "money_pv", "total_pv"),
    [
        pytest.param(date(2010, 12, 31), 0, 0, id="before the first month"),
        # 10/31 of January: money 3_100_000 × 10/31, total 9_300_000 × 10/31.
        pytest.param(date(2011, 1, 10), 1_000_000, 3_000_000, id="day 10 of 31"),
        pytest.param(date(2011, 1, 31), 3_100_000, 9_300_000, id="end of January"),
        # January + 14/28 of February: money 3_100_000 + 4_200_000 / 2,
        # total 9_300_000 + (4_200_000 + 2_800_000) / 2.
        pytest.param(date(2011, 2, 14), 5_200_000, 12_800_000, id="day 14 of 28 is half"),
        # January + February: 3_100_000 + 4_200_000; 9_300_000 + 7_000_000.
        pytest.param(date(2011, 2, 28), 7_300_000, 16_300_000, id="end of February"),
        pytest.param(date(2011, 3, 31), 16_600_000, 28_700_000, id="end of the plan is BAC"),
        pytest.param(date(2011, 6, 30), 16_600_000, 28_700_000, id="after the plan"),
    ],
)
def test_pv_accrues_evenly_over_the_days_of_each_month(
    day: date, money_pv: int, total_pv: int
) -> None:
    assert figures(day, "money").pv == money_pv
    assert figures(day, "total").pv == total_pv


@pytest.mark.parametrize(
    ("day", "money_ev", "total_ev"),
    [
        pytest.param(date(2011, 1, 19), 0, 0, id="nothing reported yet"),
        # mapping 0.5: 5_900_000 × 0.5; 12_100_000 × 0.5.
        pytest.param(date(2011, 1, 20), 2_950_000, 6_050_000, id="first report"),
        # mapping 0.8 replaces 0.5: 5_900_000 × 0.8; 12_100_000 × 0.8.
        pytest.param(date(2011, 2, 10), 4_720_000, 9_680_000, id="latest report counts"),
        # mapping 0.8 (its 1 of 20 February is not yet), design 0.25 reported that very day:
        # 4_720_000 + 4_500_000 × 0.25 = 4_720_000 + 1_125_000;
        # 9_680_000 + 7_300_000 × 0.25 = 9_680_000 + 1_825_000.
        pytest.param(date(2011, 2, 14), 5_845_000, 11_505_000, id="later report ignored"),
        # mapping 1: 5_900_000 + 1_125_000; 12_100_000 + 1_825_000.
        pytest.param(date(2011, 2, 20), 7_025_000, 13_925_000, id="later report counts"),
    ],
)
def test_ev_is_the_planned_total_times_the_latest_share(
    day: date, money_ev: int, total_ev: int
) -> None:
    # "not-in-the-plan" reported 1 on 5 January and never earns anything.
    assert figures(day, "money").ev == money_ev
    assert figures(day, "total").ev == total_ev


@pytest.mark.parametrize(
    ("day", "money_ac", "total_ac"),
    [
        pytest.param(date(2011, 1, 14), 0, 0, id="nothing booked"),
        pytest.param(date(2011, 1, 15), 2_500_000, 2_500_000, id="first booking"),
        # + 5_000_000 of in-kind work, which only the total counts.
        pytest.param(date(2011, 1, 31), 2_500_000, 7_500_000, id="in-kind documented"),
        # 2_500_000 + 3_000_000 − 400_000; + 5_000_000.
        pytest.param(date(2011, 2, 5), 5_100_000, 10_100_000, id="net of the reversal"),
        # + 1_000_000 of in-kind work.
        pytest.param(date(2011, 2, 14), 5_100_000, 11_100_000, id="status date"),
        pytest.param(date(2011, 2, 15), 6_100_000, 12_100_000, id="after the status date"),
    ],
)
def test_ac_counts_costs_by_their_date_net_of_reversals(
    day: date, money_ac: int, total_ac: int
) -> None:
    assert figures(day, "money").ac == money_ac
    assert figures(day, "total").ac == total_ac


def test_every_measure_in_money() -> None:
    # At the end of 14 February: BAC 16_600_000, PV 5_200_000, EV 5_845_000, AC 5_100_000.
    assert figures(STATUS, "money") == EvmFigures(
        status_date=STATUS,
        scope="money",
        bac=16_600_000,
        pv=5_200_000,
        ev=5_845_000,
        ac=5_100_000,
        cv=745_000,  # 5_845_000 − 5_100_000
        sv=645_000,  # 5_845_000 − 5_200_000
        cpi=Decimal("1.1461"),  # 5_845_000 / 5_100_000 = 1.14607...
        spi=Decimal("1.1240"),  # 5_845_000 / 5_200_000 = 1.12403...
        # 16_600_000 × 5_100_000 / 5_845_000 = 16_600_000 × 1_020 / 1_169
        # = 16_932_000_000 / 1_169; 1_169 × 14_484_174 = 16_931_999_406, remainder 594,
        # and 594 / 1_169 = 0.508 rounds up.
        eac_cpi=14_484_175,
        eac_remaining=15_855_000,  # 5_100_000 + 16_600_000 − 5_845_000
        etc=9_384_175,  # 14_484_175 − 5_100_000
        vac=2_115_825,  # 16_600_000 − 14_484_175
        tcpi=Decimal("0.9352"),  # 10_755_000 / 11_500_000 = 0.93521...
        # EV is past January's 3_100_000 and short of February's end, 7_300_000:
        # 31 + 28 × (5_845_000 − 3_100_000) / 4_200_000 = 31 + 76_860_000 / 4_200_000 = 31 + 18.3
        es_days=Decimal("49.30"),
        at_days=45,  # 31 + 14
        sv_t_days=Decimal("4.30"),  # 49.30 − 45
        spi_t=Decimal("1.0956"),  # 49.30 / 45 = 1.09555...
        undefined={},
    )


def test_every_measure_in_total() -> None:
    # At the end of 14 February: BAC 28_700_000, PV 12_800_000, EV 11_505_000, AC 11_100_000.
    assert figures(STATUS, "total") == EvmFigures(
        status_date=STATUS,
        scope="total",
        bac=28_700_000,
        pv=12_800_000,
        ev=11_505_000,
        ac=11_100_000,
        cv=405_000,  # 11_505_000 − 11_100_000
        sv=-1_295_000,  # 11_505_000 − 12_800_000
        cpi=Decimal("1.0365"),  # 11_505_000 / 11_100_000 = 1.03648...
        spi=Decimal("0.8988"),  # 11_505_000 / 12_800_000 = 0.898828125
        # 28_700_000 × 11_100_000 / 11_505_000 = 28_700_000 × 2_220 / 2_301
        # = 63_714_000_000 / 2_301 = 21_238_000_000 / 767; 767 × 27_689_700 = 21_237_999_900,
        # remainder 100, and 100 / 767 = 0.13 rounds down.
        eac_cpi=27_689_700,
        eac_remaining=28_295_000,  # 11_100_000 + 28_700_000 − 11_505_000
        etc=16_589_700,  # 27_689_700 − 11_100_000
        vac=1_010_300,  # 28_700_000 − 27_689_700
        tcpi=Decimal("0.9770"),  # 17_195_000 / 17_600_000 = 0.97698...
        # January planned 9_300_000, February 7_000_000:
        # 31 + 28 × (11_505_000 − 9_300_000) / 7_000_000 = 31 + 28 × 0.315 = 31 + 8.82
        es_days=Decimal("39.82"),
        at_days=45,
        sv_t_days=Decimal("-5.18"),  # 39.82 − 45
        spi_t=Decimal("0.8849"),  # 39.82 / 45 = 0.88488...
        undefined={},
    )


def test_to_dict_spells_money_ratios_and_days_as_strings() -> None:
    assert figures(STATUS, "money").to_dict() == {
        "status_date": "2011-02-14",
        "scope": "money",
        "bac": "166000.00",
        "pv": "52000.00",
        "ev": "58450.00",
        "ac": "51000.00",
        "cv": "7450.00",
        "sv": "6450.00",
        "cpi": "1.1461",
        "spi": "1.1240",
        "eac_cpi": "144841.75",
        "eac_remaining": "158550.00",
        "etc": "93841.75",
        "vac": "21158.25",
        "tcpi": "0.9352",
        "es_days": "49.30",
        "at_days": 45,
        "sv_t_days": "4.30",
        "spi_t": "1.0956",
        "undefined": {},
    }
    # Before anything is planned, booked or earned, the undefined measures are null.
    early = figures(date(2010, 12, 31), "money").to_dict()
    assert early["cpi"] is None
    assert early["eac_cpi"] is None
    assert early["es_days"] is None
    assert early["tcpi"] == "1.0000"
    assert early["sv"] == "0.00"


def test_ties_round_half_up() -> None:
    # February 2011 has 28 days; 1_001 øre planned there, half of it by the 14th: 500.5 → 501
    # (half-even would give 500). Half the activity done: EV 500.5 → 501. CPI = 501 / 20_000
    # = 0.02505 → 0.0251 (half-even: 0.0250).
    ties = earned_value(
        [money("x", "2011-02", 1_001)],
        [report("x", date(2011, 2, 14), "0.5")],
        [booked(date(2011, 2, 1), 20_000)],
        start=date(2011, 2, 1),
        status_date=date(2011, 2, 14),
        scope="money",
    )
    assert (ties.pv, ties.ev, ties.cpi, ties.spi) == (501, 501, Decimal("0.0251"), Decimal(1))

    # EAC = 1_000 × 301 / 400 = 752.5 → 753 (half-even: 752).
    eac = earned_value(
        [money("x", "2011-01", 1_000)],
        [report("x", date(2011, 1, 31), "0.4")],
        [booked(date(2011, 1, 10), 301)],
        start=date(2011, 1, 1),
        status_date=date(2011, 1, 31),
        scope="money",
    )
    assert eac == EvmFigures(
        status_date=date(2011, 1, 31),
        scope="money",
        bac=1_000,
        pv=1_000,
        ev=400,
        ac=301,
        cv=99,
        sv=-600,
        cpi=Decimal("1.3289"),  # 400 / 301 = 1.32890...
        spi=Decimal("0.4000"),
        eac_cpi=753,
        eac_remaining=901,  # 301 + 1_000 − 400
        etc=452,  # 753 − 301
        vac=247,  # 1_000 − 753
        tcpi=Decimal("0.8584"),  # 600 / 699 = 0.85836...
        es_days=Decimal("12.40"),  # 31 × 400 / 1_000
        at_days=31,
        sv_t_days=Decimal("-18.60"),
        spi_t=Decimal("0.4000"),  # 12.4 / 31
        undefined={},
    )

    # A negative tie goes away from zero: TCPI = (1_000 − 999) / (1_000 − 21_000) = −0.00005.
    overspent = earned_value(
        [money("x", "2011-01", 1_000)],
        [report("x", date(2011, 1, 31), "0.999")],
        [booked(date(2011, 1, 10), 21_000)],
        start=date(2011, 1, 1),
        status_date=date(2011, 1, 31),
        scope="money",
    )
    assert overspent.tcpi == Decimal("-0.0001")


def test_ev_rules_for_same_day_reports_and_activities_outside_the_scope() -> None:
    planned = [money("x", "2011-01", 1_000), in_kind("helpers", "2011-01", 3_000)]
    progress = [
        report("x", date(2011, 1, 20), "0.5"),
        report("x", date(2011, 1, 20), "0.3"),  # the same day's correction wins
        report("helpers", date(2011, 1, 20), "1"),
    ]
    by_scope = {
        scope: earned_value(
            planned, progress, [], start=START, status_date=date(2011, 1, 20), scope=scope
        ).ev
        for scope in ("money", "total")
    }
    # money: 1_000 × 0.3; "helpers" has nothing planned in money. total: 300 + 3_000 × 1.
    assert by_scope == {"money": 300, "total": 3_300}


def test_undefined_before_anything_is_booked() -> None:
    # 10 January: PV 1_000_000 (10/31 of January), EV 0, AC 0.
    assert figures(date(2011, 1, 10), "money") == EvmFigures(
        status_date=date(2011, 1, 10),
        scope="money",
        bac=16_600_000,
        pv=1_000_000,
        ev=0,
        ac=0,
        cv=0,
        sv=-1_000_000,
        cpi=None,
        spi=Decimal("0.0000"),
        eac_cpi=None,
        eac_remaining=16_600_000,
        etc=None,
        vac=None,
        tcpi=Decimal("1.0000"),  # 16_600_000 / 16_600_000
        es_days=Decimal("0.00"),
        at_days=10,
        sv_t_days=Decimal("-10.00"),
        spi_t=Decimal("0.0000"),
        undefined={
            "cpi": "AC is 0: nothing booked by the status date",
            "eac_cpi": "CPI is undefined: AC is 0",
            "etc": "CPI is undefined: AC is 0",
            "vac": "CPI is undefined: AC is 0",
        },
    )


def test_undefined_eac_when_nothing_is_earned_but_something_is_booked() -> None:
    # 15 January: AC 2_500_000, EV 0, so CPI = 0 and BAC / CPI has no value.
    early = figures(date(2011, 1, 15), "money")
    assert (early.ac, early.ev, early.cpi) == (2_500_000, 0, Decimal("0.0000"))
    assert (early.eac_cpi, early.etc, early.vac) == (None, None, None)
    assert early.undefined == {
        "eac_cpi": "CPI is 0: nothing earned by the status date",
        "etc": "CPI is 0: nothing earned by the status date",
        "vac": "CPI is 0: nothing earned by the status date",
    }


@pytest.mark.parametrize(
    ("status_date", "at_days"),
    [
        pytest.param(date(2010, 12, 31), 0, id="the day before the start"),
        pytest.param(date(2010, 12, 20), -11, id="11 days before the start"),
    ],
)
def test_undefined_before_the_start(status_date: date, at_days: int) -> None:
    before = figures(status_date, "total")
    assert (before.pv, before.ev, before.ac, before.at_days) == (0, 0, 0, at_days)
    assert (before.spi, before.es_days, before.sv_t_days, before.spi_t) == (None,) * 4
    assert before.tcpi == Decimal("1.0000")  # (BAC − 0) / (BAC − 0)
    assert before.undefined == {
        "cpi": "AC is 0: nothing booked by the status date",
        "eac_cpi": "CPI is undefined: AC is 0",
        "etc": "CPI is undefined: AC is 0",
        "vac": "CPI is undefined: AC is 0",
        "spi": "PV is 0: nothing planned by the status date",
        "es_days": "AT is 0 or less: the status date is before the start",
        "sv_t_days": "AT is 0 or less: the status date is before the start",
        "spi_t": "AT is 0 or less: the status date is before the start",
    }


def test_undefined_tcpi_when_the_budget_is_used_up() -> None:
    # BAC 1_000 and AC 1_000 with half the work done: no budget left for the other half.
    spent = earned_value(
        [money("x", "2011-01", 1_000)],
        [report("x", date(2011, 1, 31), "0.5")],
        [booked(date(2011, 1, 20), 1_000)],
        start=START,
        status_date=date(2011, 1, 31),
        scope="money",
    )
    assert spent.tcpi is None
    assert spent.undefined == {"tcpi": "BAC equals AC: no budget left for the remaining work"}
    assert spent.cpi == Decimal("0.5000")  # 500 / 1_000
    assert (spent.eac_cpi, spent.etc, spent.vac) == (2_000, 1_000, -1_000)  # 1_000 × 1_000 / 500
    assert spent.eac_remaining == 1_500  # 1_000 + 1_000 − 500


# Planned over January-March 2011 (31 + 28 + 31 = 90 days); a row of 0 in April does not move
# the planned finish. BAC = 3_100_000 + 2_800_000 + 3_100_000 = 9_000_000.
LATE_PLAN = (
    money("a", "2011-01", 3_100_000),
    money("b", "2011-02", 2_800_000),
    money("c", "2011-03", 3_100_000),
    money("a", "2011-04", 0),
)
# All three finished only at the end of May, for 8_000_000.
LATE_PROGRESS = tuple(report(activity, date(2011, 5, 31), "1") for activity in "abc")
LATE_ACTUAL = (booked(date(2011, 5, 31), 8_000_000),)


def test_a_late_finish_shows_in_spi_t_but_not_in_spi() -> None:
    finished = earned_value(
        LATE_PLAN,
        LATE_PROGRESS,
        LATE_ACTUAL,
        start=START,
        status_date=date(2011, 5, 31),
        scope="money",
    )
    assert finished == EvmFigures(
        status_date=date(2011, 5, 31),
        scope="money",
        bac=9_000_000,
        pv=9_000_000,
        ev=9_000_000,
        ac=8_000_000,
        cv=1_000_000,
        sv=0,  # EV = PV = BAC: cost-based SV says nothing of the two months' delay ...
        cpi=Decimal("1.1250"),  # 9 / 8
        spi=Decimal("1.0000"),  # ... and neither does SPI
        eac_cpi=8_000_000,  # 9_000_000 × 8_000_000 / 9_000_000
        eac_remaining=8_000_000,  # 8_000_000 + 0
        etc=0,
        vac=1_000_000,
        tcpi=Decimal("0.0000"),  # 0 / 1_000_000
        # EV = BAC was planned to be reached at the end of March: 31 + 28 + 31.
        es_days=Decimal("90.00"),
        # It is the end of May: 31 + 28 + 31 + 30 + 31.
        at_days=151,
        sv_t_days=Decimal("-61.00"),  # 90 − 151: two months late, in days
        spi_t=Decimal("0.5960"),  # 90 / 151 = 0.59602...
        undefined={},
    )


def test_a_late_project_at_its_planned_finish() -> None:
    due = earned_value(
        LATE_PLAN,
        LATE_PROGRESS,
        LATE_ACTUAL,
        start=START,
        status_date=date(2011, 3, 31),
        scope="money",
    )
    # Everything planned, nothing earned: ES 0 after 90 days.
    assert (due.pv, due.ev, due.spi) == (9_000_000, 0, Decimal("0.0000"))
    assert (due.es_days, due.at_days, due.sv_t_days, due.spi_t) == (
        Decimal("0.00"),
        90,
        Decimal("-90.00"),
        Decimal("0.0000"),
    )


# January 2011 (31 days) 3_100_000, nothing in February (28 days), March (31 days) 3_000_000.
GAP_PLAN = (money("x", "2011-01", 3_100_000), money("y", "2011-03", 3_000_000))


@pytest.mark.parametrize(
    ("x_share", "y_share", "es_days", "spi_t"),
    [
        # EV 1_550_000 = half of January: 31 × 0.5 = 15.5, noon of 16 January.
        # SPI(t) = 15.5 / 90 = 0.17222...
        pytest.param("0.5", "0", "15.50", "0.1722", id="half-way through a day"),
        # EV 3_100_000 was first planned at the end of January; PV stays there through
        # February. SPI(t) = 31 / 90 = 0.34444...
        pytest.param("1", "0", "31.00", "0.3444", id="the earliest time, not after the gap"),
        # EV 3_100_000 + 3_000_000 × 0.115 = 3_445_000: 31 + 28 + 31 × 345_000 / 3_000_000
        # = 59 + 3.565 = 62.565, a tie → 62.57. SPI(t) = 62.57 / 90 = 0.69522...
        pytest.param("1", "0.115", "62.57", "0.6952", id="inside March, rounded half up"),
    ],
)
def test_earned_schedule_is_interpolated_inside_a_month(
    x_share: str, y_share: str, es_days: str, spi_t: str
) -> None:
    status = date(2011, 3, 31)  # AT = 31 + 28 + 31 = 90
    result = earned_value(
        GAP_PLAN,
        [report("x", status, x_share), report("y", status, y_share)],
        [],
        start=START,
        status_date=status,
        scope="money",
    )
    assert result.at_days == 90
    assert result.es_days == Decimal(es_days)
    assert result.sv_t_days == Decimal(es_days) - 90
    assert result.spi_t == Decimal(spi_t)


@pytest.mark.parametrize(
    ("share", "es_days"),
    [
        # EV 775_000 = a quarter of January was planned by day 7.75 of January, before the
        # start on the 15th: ES 0, not negative.
        pytest.param("0.25", "0.00", id="planned before the start"),
        # EV 1_550_000 by day 15.5 of January, 1.5 days after the start began (day 14).
        pytest.param("0.5", "1.50", id="counted from the start"),
    ],
)
def test_earned_schedule_counts_from_a_start_inside_a_month(share: str, es_days: str) -> None:
    result = earned_value(
        [money("x", "2011-01", 3_100_000)],
        [report("x", date(2011, 1, 20), share)],
        [],
        start=date(2011, 1, 15),
        status_date=date(2011, 1, 20),
        scope="money",
    )
    assert result.pv == 2_000_000  # 3_100_000 × 20 / 31: January accrues by the calendar
    assert result.at_days == 6  # 15th through 20th
    assert result.es_days == Decimal(es_days)


# January 2011 3_100_000 (100_000 a day), February 2_800_000 (100_000 a day).
# 1 January 2011 is a Saturday, so the Sundays are 2, 9, 16, 23 and 30 January, 6 February.
SERIES_PLAN = (money("x", "2011-01", 3_100_000), money("y", "2011-02", 2_800_000))
SERIES_PROGRESS = (
    report("x", date(2011, 1, 10), "0.25"),  # 775_000
    report("x", date(2011, 1, 31), "1"),  # 3_100_000
    report("y", date(2011, 2, 8), "0.5"),  # 1_400_000
)
SERIES_ACTUAL = (
    booked(date(2011, 1, 5), 1_000_000),
    documented(date(2011, 1, 9), 400_000),  # not money
    booked(date(2011, 1, 20), 2_000_000),
    booked(date(2011, 1, 25), -500_000),
    booked(date(2011, 2, 10), 1_500_000),
)


def series_of(end: date, step: Step) -> list[SeriesPoint]:
    return series(
        SERIES_PLAN,
        SERIES_PROGRESS,
        SERIES_ACTUAL,
        start=START,
        end=end,
        scope="money",
        step=step,
    )


def test_weekly_series_ends_on_sundays_and_at_the_end() -> None:
    assert series_of(date(2011, 2, 10), "week") == [
        SeriesPoint(date(2011, 1, 2), pv=200_000, ev=0, ac=0),
        SeriesPoint(date(2011, 1, 9), pv=900_000, ev=0, ac=1_000_000),
        SeriesPoint(date(2011, 1, 16), pv=1_600_000, ev=775_000, ac=1_000_000),
        SeriesPoint(date(2011, 1, 23), pv=2_300_000, ev=775_000, ac=3_000_000),
        # 1_000_000 + 2_000_000 − 500_000
        SeriesPoint(date(2011, 1, 30), pv=3_000_000, ev=775_000, ac=2_500_000),
        # 3_100_000 + 6 × 100_000
        SeriesPoint(date(2011, 2, 6), pv=3_700_000, ev=3_100_000, ac=2_500_000),
        # Thursday 10 February, the end: 3_100_000 + 10 × 100_000; EV 3_100_000 + 1_400_000.
        SeriesPoint(date(2011, 2, 10), pv=4_100_000, ev=4_500_000, ac=4_000_000),
    ]


def test_monthly_series_ends_on_month_ends_and_at_the_end() -> None:
    assert series_of(date(2011, 2, 10), "month") == [
        SeriesPoint(date(2011, 1, 31), pv=3_100_000, ev=3_100_000, ac=2_500_000),
        SeriesPoint(date(2011, 2, 10), pv=4_100_000, ev=4_500_000, ac=4_000_000),
    ]


def test_series_ending_on_a_step_has_no_extra_point() -> None:
    assert [point.day for point in series_of(date(2011, 1, 16), "week")] == [
        date(2011, 1, 2),
        date(2011, 1, 9),
        date(2011, 1, 16),
    ]
    assert [point.day for point in series_of(date(2011, 2, 28), "month")] == [
        date(2011, 1, 31),
        date(2011, 2, 28),
    ]
    # Shorter than a step: only the end.
    assert [point.day for point in series_of(date(2011, 1, 1), "week")] == [date(2011, 1, 1)]


def test_series_to_dict() -> None:
    point = SeriesPoint(date(2011, 2, 10), pv=4_100_000, ev=4_500_000, ac=4_000_050)
    assert point.to_dict() == {
        "day": "2011-02-10",
        "pv": "41000.00",
        "ev": "45000.00",
        "ac": "40000.50",
    }


def test_refuses_what_it_cannot_compute() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        series_of(date(2010, 12, 31), "week")
    with pytest.raises(ValueError, match="YYYY-MM"):
        money("x", "2011-13", 1)
    with pytest.raises(ValueError, match="negative"):
        money("x", "2011-01", -1)
    with pytest.raises(ValueError, match=r"0\.\.1"):
        report("x", START, "1.01")
