"""The pieces every board is built of: the language a board is written in, the data sources,
units and thresholds, and small helpers over the SDK's builders for queries, panels, variables and
the boards themselves.

Every text a person reads on a board (titles, descriptions, legends, column and axis names, unit
words, variable labels) is an English message passed through the `boards` catalogue
(`shared/locale/<lang>/LC_MESSAGES/boards.po`) by `_()`, where `_` is the board's
`Language.gettext`; queries never are, so they are the same in every language."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from textwrap import dedent
from typing import Any, Protocol, Self, TypeVar

from grafana_foundation_sdk.builders import (
    barchart,
    bargauge,
    gauge,
    prometheus,
    stat,
    table,
    timeseries,
)
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import common, units
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DashboardLinkType,
    DataSourceRef,
    DataTransformerConfig,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat, QueryEditorMode

from shared.i18n import DEFAULT_LANGUAGE, translations

DOMAIN = "boards"
"""The catalogue of the boards and of the alerts' texts."""

Gettext = Callable[[str], str]


@dataclass(frozen=True)
class Language:
    """The language a board is written in: its code and the catalogue's `gettext`."""

    code: str
    gettext: Gettext

    @classmethod
    def of(cls, code: str) -> Language:
        """English as written; bokmål from its catalogue; `qps`, every message in ⟦ ⟧."""
        return cls(code, translations(code, DOMAIN).gettext)

    def uid(self, base: str) -> str:
        """The default language keeps the board's plain uid (links and bookmarks made before
        there were two languages still work); another language adds its code."""
        return base if self.code == DEFAULT_LANGUAGE else f"{base}-{self.code}"


PROMETHEUS = DataSourceRef(type_val="prometheus", uid="prometheus")
POSTGRES = DataSourceRef(type_val="grafana-postgresql-datasource", uid="ptrack-postgres")

PROJECT = '{project="$project"}'
"""The selector every business query starts from."""
SCOPE = '{project="$project", scope="$scope"}'
SERVICE = '{service=~"$service"}'
API = '{service=~"$service", route!~"/metrics|/healthz|/readyz"}'
"""API requests only: scrapes and probes come every few seconds and would drown the latency and
error figures of the requests people and integrations make."""

NOK = units.NorwegianKrone
RATIO = units.PercentUnit
DATE = "time:YYYY-MM-DD"
"""For timestamps in milliseconds. The business boards use UTC, so a date stored as midnight UTC
shows as that day wherever the viewer is."""

GREEN, ORANGE, RED, BLUE, TEXT = "green", "orange", "red", "blue", "text"


def days(lang: Language) -> str:
    """Plain days: Grafana's own day unit turns 14 days into "2 weeks", which reads badly for
    slip."""
    _ = lang.gettext
    # Translators: the unit after a number of days (slip, schedule variance), as in "14 d".
    return "suffix:" + _("d")


def hours(lang: Language) -> str:
    _ = lang.gettext
    # Translators: the unit after a number of hours of in-kind work, as in "7.5 h".
    return "suffix:" + _("h")


def named(lang: Language, names: Mapping[str, str]) -> dict[str, str]:
    """Codes the services answer with (states, dimensions, ...) and how a reader of `lang`
    reads each: `names` maps each code to its English message (tools/dashboards/codes.py)."""
    return {code: lang.gettext(message) for code, message in names.items()}


def value_names(names: Mapping[str, str]) -> list[ValueMap]:
    """A table cell's code shown as its name (`named`)."""
    return [
        ValueMap(
            options={
                code: ValueMappingResult(text=text, index=index)
                for index, (code, text) in enumerate(names.items())
            }
        )
    ]


# --- Small helpers over the SDK's builders ------------------------------------------------------


def thresholds(base: str, *steps: tuple[float, str]) -> board.ThresholdsConfig:
    return (
        board.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps(
            [Threshold(value=None, color=base), *(Threshold(value=v, color=c) for v, c in steps)]
        )
    )


BUDGET_USED = thresholds(GREEN, (0.9, ORANGE), (1.0, RED))
"""The 90 % of the BudgetLineNearlySpent alert; above 100 % the line is overspent."""
PERFORMANCE = thresholds(RED, (0.9, ORANGE), (1.0, GREEN))
"""The 0.9 of the CostPerformanceLow and SchedulePerformanceLow alerts; at 1 the project is on
budget or on schedule."""


def promql(
    expr: str, legend: str = "", *, ref: str = "A", table: bool = False, instant: bool = True
) -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).ref_id(ref).editor_mode(QueryEditorMode.CODE)
    if legend:
        query = query.legend_format(legend)
    if table:
        query = query.format(PromQueryFormat.TABLE)
    return query.instant() if instant else query.range()


class SqlQuery(cogvariants.Dataquery):
    """A raw SQL target of Grafana's PostgreSQL data source, which the SDK has no model for."""

    def __init__(self, ref_id: str, raw_sql: str) -> None:
        self.ref_id = ref_id
        self.raw_sql = raw_sql

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": POSTGRES,
            "editorMode": "code",
            "format": "table",
            "rawQuery": True,
            "rawSql": self.raw_sql,
        }


class Sql(cogbuilder.Builder[cogvariants.Dataquery]):
    def __init__(self, raw_sql: str, ref_id: str = "A") -> None:
        self._internal = SqlQuery(ref_id, dedent(raw_sql).strip())

    def build(self) -> SqlQuery:
        return self._internal


def transformation(id_: str, **options: Any) -> DataTransformerConfig:
    return DataTransformerConfig(id_val=id_, options=options)


MERGE = transformation("merge")
"""Joins instant table queries on their common labels: one row per line, source, activity."""


def organize(rename: dict[str, str], hide: Sequence[str] = ("Time",)) -> DataTransformerConfig:
    return transformation(
        "organize", excludeByName=dict.fromkeys(hide, True), renameByName=rename, indexByName={}
    )


def matrix(rows: str, columns: str, values: str) -> DataTransformerConfig:
    """Long rows (month, municipality, hours) to one column per value of `columns`."""
    return transformation(
        "groupingToMatrix",
        rowField=rows,
        columnField=columns,
        valueField=values,
        emptyValue="zero",
    )


def legend(
    placement: common.LegendPlacement = common.LegendPlacement.BOTTOM,
) -> common_builders.VizLegendOptions:
    return (
        common_builders.VizLegendOptions()
        .show_legend(True)
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(placement)
    )


def last_value() -> common_builders.ReduceDataOptions:
    return common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def override(name: str, properties: dict[str, object]) -> tuple[str, list[DynamicConfigValue]]:
    """A field's own settings, by its name or type: keys are Grafana's property ids."""
    return name, [DynamicConfigValue(id_val=key, value=value) for key, value in properties.items()]


class Overridable(Protocol):
    """A panel builder: each has its own `override_by_name`."""

    def override_by_name(self, name: str, properties: list[DynamicConfigValue]) -> Self: ...


Panel = TypeVar("Panel", bound=Overridable)


def columns_named(
    panel: Panel,
    columns: Mapping[str, str],
    properties: Mapping[str, dict[str, object]] | None = None,
) -> Panel:
    """Each field (a column of a query's answer, a series) shown by its name in the board's
    language, with any other `properties` of its own in the same override (matched by the name
    the query gives it). The SQL names its columns in plain identifiers, the same in every
    language."""
    extra = dict(properties or {})
    unknown = set(extra) - set(columns)
    if unknown:
        raise ValueError(f"properties for columns without a name: {sorted(unknown)}")
    for column, name in columns.items():
        panel = panel.override_by_name(
            *override(column, {"displayName": name, **extra.get(column, {})})
        )
    return panel


def a_stat(
    title: str,
    description: str,
    *targets: prometheus.Dataquery,
    unit: str = "none",
    steps: board.ThresholdsConfig | None = None,
    width: int = 4,
    height: int = 4,
    decimals: int | None = None,
) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .targets(list(targets))
        .unit(unit)
        .span(width)
        .height(height)
        .reduce_options(last_value())
        .color_mode(common.BigValueColorMode.VALUE)
        .graph_mode(common.BigValueGraphMode.NONE)
        .text_mode(common.BigValueTextMode.AUTO)
        .thresholds(steps or thresholds(TEXT))
    )
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def a_gauge(
    title: str,
    description: str,
    target: prometheus.Dataquery,
    *,
    steps: board.ThresholdsConfig,
    unit: str = RATIO,
    minimum: float = 0,
    maximum: float = 1,
    width: int = 4,
    height: int = 4,
) -> gauge.Panel:
    return (
        gauge.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .with_target(target)
        .unit(unit)
        .min(minimum)
        .max(maximum)
        .thresholds(steps)
        .reduce_options(last_value())
        .span(width)
        .height(height)
    )


def bars(
    title: str,
    description: str,
    *targets: prometheus.Dataquery,
    unit: str = "none",
    steps: board.ThresholdsConfig | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    width: int = 8,
    height: int = 8,
    decimals: int | None = None,
    names: Mapping[str, str] | None = None,
) -> bargauge.Panel:
    """A bar per series (per line, municipality, goal, ...), the last value of each. `names`
    shows a series named by a code (a state, a dimension) by its name in the board's language
    (`named`)."""
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .targets(list(targets))
        .unit(unit)
        .thresholds(steps or thresholds(BLUE))
        .display_mode(common.BarGaugeDisplayMode.BASIC)
        .orientation(common.VizOrientation.HORIZONTAL)
        .show_unfilled(True)
        .reduce_options(last_value())
        .span(width)
        .height(height)
    )
    if minimum is not None:
        panel = panel.min(minimum)
    if maximum is not None:
        panel = panel.max(maximum)
    if decimals is not None:
        panel = panel.decimals(decimals)
    return columns_named(panel, names or {})


def compare(
    title: str,
    description: str,
    x: tuple[str, str],
    series: Sequence[tuple[str, str, str]],
    *,
    unit: str,
    maximum: float | None = None,
    width: int = 12,
    height: int = 8,
) -> barchart.Panel:
    """Grouped bars side by side per label `x` (label, its name) (budget against booked per
    line, ...): one instant table query per series (ref id, legend, expression), merged on the
    label, each renamed to its legend. The ref ids, like the queries, are the same in every
    language."""
    label, label_name = x
    panel = (
        barchart.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .targets([promql(expr, ref=ref, table=True) for ref, _, expr in series])
        .with_transformation(MERGE)
        .with_transformation(
            organize({f"Value #{ref}": name for ref, name, _ in series}),
        )
        .x_field(label)
        .override_by_name(*override(label, {"displayName": label_name}))
        .unit(unit)
        .orientation(common.VizOrientation.HORIZONTAL)
        .stacking(common.StackingMode.NONE)
        .show_value(common.VisibilityMode.AUTO)
        .legend(legend())
        .span(width)
        .height(height)
    )
    if maximum is not None:
        panel = panel.max(maximum)
    return panel


def trend(
    title: str,
    description: str,
    *targets: prometheus.Dataquery,
    unit: str,
    steps: board.ThresholdsConfig | None = None,
    width: int = 8,
    height: int = 8,
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .targets(list(targets))
        .unit(unit)
        .line_width(1)
        .fill_opacity(10)
        .show_points(common.VisibilityMode.NEVER)
        .legend(legend())
        .span(width)
        .height(height)
    )
    if steps is not None:
        panel = panel.thresholds(steps).thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(
                common.GraphThresholdsStyleMode.DASHED
            )
        )
    return panel


def sql_table(
    title: str,
    description: str,
    query: str,
    columns: Mapping[str, str],
    *,
    width: int,
    height: int,
    properties: Mapping[str, dict[str, object]] | None = None,
) -> table.Panel:
    panel = (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(POSTGRES)
        .with_target(Sql(query))
        .span(width)
        .height(height)
    )
    return columns_named(panel, columns, properties)


def sql_bars(
    title: str,
    description: str,
    query: str,
    columns: Mapping[str, str],
    *,
    unit: str,
    x: str | None,
    stacked: bool = False,
    pivot: DataTransformerConfig | None = None,
    width: int = 12,
    height: int = 9,
) -> barchart.Panel:
    """Bars per month from SQL. A bar chart rather than a time series: its x axis is the rows the
    query returns, so a project from 2010 shows whatever time range the picker is on."""
    panel = (
        barchart.Panel()
        .title(title)
        .description(description)
        .datasource(POSTGRES)
        .with_target(Sql(query))
        .unit(unit)
        .stacking(common.StackingMode.NORMAL if stacked else common.StackingMode.NONE)
        .show_value(common.VisibilityMode.NEVER)
        .x_tick_label_rotation(-45)
        .legend(legend())
        .span(width)
        .height(height)
    )
    if x is not None:
        panel = panel.x_field(x)
    if pivot is not None:
        # The pivoted frame's first column (the months) is the x axis.
        panel = panel.with_transformation(pivot)
    return columns_named(panel, columns)


def project_variable(lang: Language) -> board.QueryVariable:
    _ = lang.gettext
    # ptrack_plan_baseline exists for every project whose plan is loaded, whatever else has
    # been recorded for it yet.
    return (
        board.QueryVariable("project")
        .label(_("Project"))
        .description(_("A project with a loaded plan"))
        .datasource(PROMETHEUS)
        .query("label_values(ptrack_plan_baseline, project)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )


def new_board(lang: Language, title: str, uid: str, description: str) -> board.Dashboard:
    """A board in `lang`: its uid made unique to the language, tagged `ptrack` and the
    language's code, with a menu of the other boards in the same language."""
    _ = lang.gettext
    tags = ["ptrack", lang.code]
    return (
        board.Dashboard(title)
        .uid(lang.uid(uid))
        .description(description)
        .tags(tags)
        .readonly()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .annotation(
            board.AnnotationQuery()
            # Translators: Grafana's built-in annotations (alerts and notes on the board).
            .name(_("Annotations & Alerts"))
            .datasource(DataSourceRef(type_val="grafana", uid="-- Grafana --"))
            .enable(True)
            .hide(True)
            .icon_color("rgba(0, 211, 255, 1)")
            .type("dashboard")
            .built_in(1)
        )
        # The board's language, for a query that picks the plan's names in it
        # (`lang="$lang"`): the queries stay the same in every language.
        .with_variable(board.ConstantVariable("lang").value(lang.code))
        .link(
            # Translators: the menu of the other boards, at the top of each board.
            board.DashboardLink(_("ptrack boards"))
            .type(DashboardLinkType.DASHBOARDS)
            .tags(tags)
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )


def business_board(lang: Language, title: str, uid: str, description: str) -> board.Dashboard:
    # Business figures change when a fact is recorded or the day turns, so a slow refresh is
    # enough; the dates on these boards are business dates at midnight UTC, hence UTC.
    return (
        new_board(lang, title, uid, description)
        .timezone("utc")
        .time("now-30d", "now")
        .refresh("5m")
        .with_variable(project_variable(lang))
    )
