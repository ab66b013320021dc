"""Contradictions and gaps in a plan file, each reported with the line to fix.

Pure: reads one file and returns findings; the schema is the one `read_plan` validates with.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import jsonschema
import yaml

from ptrack.plan.model import SCHEMA_PATH, _StringDates

Level = Literal["error", "warning"]

IN_KIND = "in-kind"
"""The `planned` key for in-kind work, which has no budget line of its own."""

_ID_LISTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("goals",), "goal"),
    (("milestones",), "milestone"),
    (("decision_points",), "decision point"),
    (("activities",), "activity"),
    (("budget", "lines"), "budget line"),
    (("financing", "sources"), "financing source"),
)
_SOURCED_LISTS = ("goals", "milestones", "decision_points", "activities")
_LANGUAGE_NAMES = {"nb": "bokmål", "en": "English"}
_OTHER_LANGUAGE = {"nb": "en", "en": "nb"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class Finding:
    level: Level
    path: str
    line: int
    message: str
    rule: str


def format_finding(path: Path, finding: Finding) -> str:
    return f"{path}:{finding.line}: {finding.level}: {finding.message} [{finding.rule}]"


def check_plan(path: Path) -> list[Finding]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return [Finding("error", "", line, f"not UTF-8 text: {error.reason}", "yaml")]
    try:
        root = yaml.compose(text, Loader=_StringDates)
        data = yaml.load(text, Loader=_StringDates)
    except yaml.YAMLError as error:
        return [_yaml_finding(error)]
    report = _Report(_Lines(root))
    _check_schema(data, report)
    # Past a schema error the data may lack what the rules index into; fix the shape first.
    if not report.findings:
        _check_semantics(data, report)
    return sorted(report.findings, key=lambda f: (f.line, f.path, f.rule))


def _pointer(*parts: str | int) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class _Lines:
    """The 1-based line of every location in the composed YAML."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.values: dict[str, int] = {}
        self.keys: dict[str, int] = {}
        if root is not None:
            self._walk(root, "")

    def _walk(self, node: yaml.Node, pointer: str) -> None:
        self.values[pointer] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = pointer + _pointer(key.value)
                self.keys[child] = key.start_mark.line + 1
                self._walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, pointer + _pointer(index))

    def line(self, pointer: str, *, key: bool = False) -> int:
        # A key is the culprit when the finding is about a name (a month, a line id), and a
        # block value may start lines below its key.
        if key and pointer in self.keys:
            return self.keys[pointer]
        while pointer and pointer not in self.values:
            pointer = pointer.rsplit("/", 1)[0]
        return self.values.get(pointer, 1)


@dataclass
class _Report:
    lines: _Lines
    findings: list[Finding] = field(default_factory=list)

    def add(
        self, level: Level, pointer: str, rule: str, message: str, *, key: bool = False
    ) -> None:
        line = self.lines.line(pointer, key=key)
        self.findings.append(Finding(level, pointer, line, message, rule))

    def error(self, pointer: str, rule: str, message: str, *, key: bool = False) -> None:
        self.add("error", pointer, rule, message, key=key)


def _yaml_finding(error: yaml.YAMLError) -> Finding:
    line, problem = 1, str(error)
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        problem = ", ".join(p for p in (error.context, error.problem) if p) or problem
    return Finding("error", "", line, f"not valid YAML: {problem}", "yaml")


def _check_schema(data: Any, report: _Report) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for error in validator.iter_errors(data):
        pointer = _pointer(*error.absolute_path)
        report.error(pointer, "schema", f"{error.message} (at {pointer or 'the top level'})")


def _check_semantics(data: dict[str, Any], report: _Report) -> None:
    period = data["project"]["period"]
    if period["start"] > period["end"]:
        report.error(
            "/project/period/end",
            "period_order",
            f"the project period ends on {period['end']}, before it starts on {period['start']}",
        )
    else:
        _check_dates(data, report, period["start"], period["end"])
    _check_ids(data, report)
    _check_references(data, report)
    _check_budget(data, report)
    _check_activities(data, report)
    _check_time_phasing(data, report)
    _check_sources(data, report, period["start"], period["end"])
    _check_translations(data, report)
    _check_register_and_survey_rules(data, report)
    _check_carry_over(data, report)
    _check_in_kind_rules(data, report)
    _check_project_group(data, report)
    _check_saft_mapping(data, report)


def _outside(value: object, start: str, end: str) -> bool:
    """Whether a date, or the whole of a month, falls outside start..end."""
    if isinstance(value, str) and _DATE.match(value):
        return not start <= value <= end
    if isinstance(value, str) and _MONTH.match(value):
        return not start[:7] <= value <= end[:7]
    return False


def _check_dates(data: dict[str, Any], report: _Report, start: str, end: str) -> None:
    period = f"the project period {start}..{end}"

    def check(pointer: str, value: str, what: str, *, key: bool = False) -> None:
        if _outside(value, start, end):
            report.error(pointer, "outside_period", f"{what} {value} is outside {period}", key=key)

    for i, goal in enumerate(data["goals"]):
        check(_pointer("goals", i, "deadline"), goal["deadline"], f"goal {goal['id']}: deadline")
    for i, milestone in enumerate(data["milestones"]):
        check(
            _pointer("milestones", i, "due"), milestone["due"], f"milestone {milestone['id']}: due"
        )
    for i, point in enumerate(data["decision_points"]):
        where = _pointer("decision_points", i, "due_month")
        check(where, point["due_month"], f"decision point {point['id']}: due month")
    for i, activity in enumerate(data["activities"]):
        name = f"activity {activity['id']}"
        for j, month in enumerate(activity["months"]):
            check(_pointer("activities", i, "months", j), month, f"{name}: month")
        for line_id, months in activity.get("planned", {}).items():
            for month in months:
                where = _pointer("activities", i, "planned", line_id, month)
                check(where, month, f"{name}: {line_id} planned in month", key=True)
    # Approving and financing ahead of the start is normal; after the end it cannot be.
    for pointer, value, what in (
        ("/budget/approved_on", data["budget"]["approved_on"], "the budget is approved on"),
        ("/financing/planned_on", data["financing"]["planned_on"], "the financing is planned on"),
    ):
        if value > end:
            report.error(pointer, "outside_period", f"{what} {value}, after {period} ends")


def _items(data: dict[str, Any], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    node: Any = data
    for key in keys:
        node = node[key]
    return list(node)


def _check_ids(data: dict[str, Any], report: _Report) -> None:
    for keys, kind in _ID_LISTS:
        first: dict[str, int] = {}
        for i, item in enumerate(_items(data, keys)):
            pointer = _pointer(*keys, i, "id")
            if item["id"] in first:
                message = (
                    f"{kind} id {item['id']} is used twice (first on line {first[item['id']]})"
                )
                report.error(pointer, "duplicate_id", message)
            else:
                first[item["id"]] = report.lines.line(pointer)


def _check_references(data: dict[str, Any], report: _Report) -> None:
    deadlines = {goal["id"]: goal["deadline"] for goal in data["goals"]}
    line_ids = {line["id"] for line in data["budget"]["lines"]}
    for i, milestone in enumerate(data["milestones"]):
        for j, goal in enumerate(milestone.get("proves", [])):
            if goal not in deadlines:
                message = f"milestone {milestone['id']} proves goal {goal}, which the plan lacks"
                report.error(_pointer("milestones", i, "proves", j), "unknown_reference", message)
            elif milestone["due"] > deadlines[goal]:
                message = (
                    f"milestone {milestone['id']} is due {milestone['due']}, after the deadline "
                    f"{deadlines[goal]} of goal {goal}, which it proves"
                )
                report.error(_pointer("milestones", i, "due"), "milestone_after_goal", message)
    for i, activity in enumerate(data["activities"]):
        for j, goal in enumerate(activity.get("goals", [])):
            if goal not in deadlines:
                message = f"activity {activity['id']} serves goal {goal}, which the plan lacks"
                report.error(_pointer("activities", i, "goals", j), "unknown_reference", message)
        for line_id in activity.get("planned", {}):
            if line_id not in line_ids and line_id != IN_KIND:
                message = (
                    f"activity {activity['id']} plans costs on {line_id}, which is neither a "
                    f"budget line ({', '.join(sorted(line_ids))}) nor {IN_KIND}"
                )
                where = _pointer("activities", i, "planned", line_id)
                report.error(where, "unknown_reference", message, key=True)


def _sum(amounts: list[str]) -> Decimal:
    return sum((Decimal(amount) for amount in amounts), Decimal(0))


def _check_budget(data: dict[str, Any], report: _Report) -> None:
    budget, sources = data["budget"], data["financing"]["sources"]
    money, in_kind, frame = (Decimal(budget[k]) for k in ("money_total", "in_kind", "frame"))
    lines = _sum([line["amount"] for line in budget["lines"]])
    if lines != money:
        message = f"the budget lines add up to {lines:.2f}, but money_total is {money:.2f}"
        report.error("/budget/money_total", "lines_total", message)
    if money + in_kind != frame:
        message = (
            f"money_total {money:.2f} plus in_kind {in_kind:.2f} is {money + in_kind:.2f}, "
            f"but the frame is {frame:.2f}"
        )
        report.error("/budget/frame", "frame_total", message)
    financed = _sum([source["amount"] for source in sources])
    if financed != frame:
        message = f"the financing sources add up to {financed:.2f}, but the frame is {frame:.2f}"
        report.error("/financing/sources", "financing_total", message)


def _check_activities(data: dict[str, Any], report: _Report) -> None:
    for i, activity in enumerate(data["activities"]):
        months = activity["months"]
        if not months:
            message = f"activity {activity['id']} has no months, so it is never scheduled"
            report.error(_pointer("activities", i, "months"), "no_months", message)
        for line_id, planned in activity.get("planned", {}).items():
            for month, amount in planned.items():
                if month not in months:
                    message = (
                        f"activity {activity['id']} plans {amount} of {line_id} in {month}, a "
                        f"month it does not run (its months: {', '.join(months) or 'none'})"
                    )
                    where = _pointer("activities", i, "planned", line_id, month)
                    report.error(where, "planned_outside_activity", message, key=True)


def _check_time_phasing(data: dict[str, Any], report: _Report) -> None:
    activities, budget = data["activities"], data["budget"]
    if not any(activity.get("planned") for activity in activities):
        message = "no activity plans its costs by month, so the budget is not time-phased"
        report.add("warning", "/activities", "not_time_phased", message)
        return
    planned: defaultdict[str, Decimal] = defaultdict(Decimal)
    for activity in activities:
        for line_id, months in activity.get("planned", {}).items():
            planned[line_id] += _sum(list(months.values()))
    budgeted: defaultdict[str, Decimal] = defaultdict(Decimal)
    where: dict[str, tuple[str, str]] = {}
    for i, line in enumerate(budget["lines"]):
        budgeted[line["id"]] += Decimal(line["amount"])
        where.setdefault(line["id"], (_pointer("budget", "lines", i, "amount"), "its amount"))
    budgeted[IN_KIND] += Decimal(budget["in_kind"])
    where.setdefault(IN_KIND, ("/budget/in_kind", "the budget's in_kind"))
    for line_id, amount in budgeted.items():
        if planned[line_id] != amount:
            pointer, what = where[line_id]
            message = (
                f"the activities plan {planned[line_id]:.2f} of {line_id} month by month, "
                f"but {what} is {amount:.2f}"
            )
            report.error(pointer, "planned_total", message)


def _check_sources(data: dict[str, Any], report: _Report, start: str, end: str) -> None:
    for list_name in _SOURCED_LISTS:
        for i, item in enumerate(data[list_name]):
            source = item.get("source") or {}
            note = " ".join(str(source.get("note", "")).split())
            for name, said in source.items():
                if name == "note" or name not in item or item[name] == said:
                    continue
                outside = (
                    f", outside the project period {start}..{end}"
                    if _outside(said, start, end)
                    else ""
                )
                message = (
                    f"{item['id']}: the source gives the {name.replace('_', ' ')} as {said}"
                    f"{outside}; the plan uses {item[name]}" + (f" ({note})" if note else "")
                )
                report.add(
                    "warning",
                    _pointer(list_name, i, "source", name),
                    "source_contradiction",
                    message,
                )


def _check_translations(data: dict[str, Any], report: _Report) -> None:
    """A plan in one language should give every title and name in the other too: a reader
    choosing it otherwise meets that item in the plan's language."""
    language = data.get("language")
    if language not in _OTHER_LANGUAGE:
        return
    other = _OTHER_LANGUAGE[language]
    for keys, kind in _ID_LISTS:
        key = "name" if keys[0] in ("budget", "financing") else "title"
        for i, item in enumerate(_items(data, keys)):
            if (item.get(f"{key}s") or {}).get(other):
                continue
            message = (
                f"{kind} {item['id']} has no {_LANGUAGE_NAMES[other]} {key} ({key}s: "
                f"{{{other}: ...}}), so {_LANGUAGE_NAMES[other]} readers see its "
                f"{_LANGUAGE_NAMES[language]} one"
            )
            report.add("warning", _pointer(*keys, i, key), "missing_translation", message)
    goal = data.get("main_goal") or {}
    texts: list[tuple[tuple[str | int, ...], Any, str]] = (
        [(("main_goal", "title"), goal.get("titles"), "the main goal's title")] if goal else []
    )
    texts += [
        (("main_goal", "targets", i, "text"), target.get("texts"), f"main goal target {i + 1}")
        for i, target in enumerate(goal.get("targets", []))
    ]
    for pointer, translations, what in texts:
        if not (translations or {}).get(other):
            message = (
                f"{what} has no {_LANGUAGE_NAMES[other]} text, so {_LANGUAGE_NAMES[other]} "
                f"readers see the {_LANGUAGE_NAMES[language]} one"
            )
            report.add("warning", _pointer(*pointer), "missing_translation", message)


_RULE_LISTS = (
    ("assessment_dimensions", "assessment dimension"),
    ("focus_areas", "focus area"),
    ("success_factors", "success factor"),
)


def _check_register_and_survey_rules(data: dict[str, Any], report: _Report) -> None:
    """A pilot whose least is no more than its most, each dimension, focus area and success
    factor once, and (as warnings) each named in the other language too."""
    pilot = data.get("pilot")
    if pilot and pilot["min"] > pilot["max"]:
        message = f"the pilot takes at least {pilot['min']} networks but at most {pilot['max']}"
        report.error("/pilot/min", "pilot_bounds", message)
    language = data.get("language")
    other = _OTHER_LANGUAGE.get(language or "")
    for key, kind in _RULE_LISTS:
        first: dict[str, int] = {}
        for i, item in enumerate(data.get(key, [])):
            pointer = _pointer(key, i, "id")
            if item["id"] in first:
                message = (
                    f"{kind} id {item['id']} is used twice (first on line {first[item['id']]})"
                )
                report.error(pointer, "duplicate_id", message)
            else:
                first[item["id"]] = report.lines.line(pointer)
            if other and not (item.get("names") or {}).get(other):
                message = (
                    f"{kind} {item['id']} has no {_LANGUAGE_NAMES[other]} name (names: "
                    f"{{{other}: ...}}), so {_LANGUAGE_NAMES[other]} readers see its "
                    f"{_LANGUAGE_NAMES[str(language)]} one"
                )
                report.add("warning", _pointer(key, i, "name"), "missing_translation", message)


def _check_carry_over(data: dict[str, Any], report: _Report) -> None:
    """A project builds on another project's register, not its own."""
    section = data.get("networks_carried_over")
    if section and section["from_project"] == data["project"]["id"]:
        message = (
            f"the networks are carried over from {section['from_project']}, this project itself; "
            "a project carries networks over from another project's register"
        )
        report.error("/networks_carried_over/from_project", "other_project", message)


def _check_in_kind_rules(data: dict[str, Any], report: _Report) -> None:
    """The `in_kind` section names activities of the plan, a municipality to work in, and a
    plausible working day."""
    rules = data.get("in_kind")
    if not rules:
        return
    activity_ids = [activity["id"] for activity in data["activities"]]
    for i, activity in enumerate(rules["activities"]):
        if activity not in activity_ids:
            message = (
                f"in-kind work is allowed on activity {activity}, which the plan lacks "
                f"(activities: {', '.join(activity_ids)})"
            )
            report.error(_pointer("in_kind", "activities", i), "unknown_reference", message)
    if not data.get("municipalities"):
        message = "the plan has in-kind rules but no municipalities to record in-kind work"
        report.error("/in_kind", "no_municipalities", message, key=True)
    hours = Decimal(rules["max_hours_per_day"])
    if not 0 < hours <= 24:
        message = f"max_hours_per_day is {rules['max_hours_per_day']}; a day has 0 to 24 hours"
        report.error("/in_kind/max_hours_per_day", "hours_per_day", message)


def _check_project_group(data: dict[str, Any], report: _Report) -> None:
    """One member per municipality of the plan: each attests its municipality's in-kind work."""
    group = data.get("organisation", {}).get("project_group", [])
    municipalities = list(data.get("municipalities", []))
    if not municipalities:  # reported once, as what is missing, not once per member
        return
    seen: set[str] = set()
    for i, member in enumerate(group):
        pointer = _pointer("organisation", "project_group", i, "municipality")
        municipality = member["municipality"]
        if municipality not in municipalities:
            message = (
                f"{member['name']} sits for {municipality}, which is not one of the plan's "
                f"municipalities ({', '.join(municipalities) or 'none'})"
            )
            report.error(pointer, "unknown_reference", message)
        elif municipality in seen:
            report.error(pointer, "duplicate_id", f"{municipality} has two members")
        seen.add(municipality)
    missing = [m for m in municipalities if m not in seen]
    if group and missing:
        message = f"no member for {', '.join(missing)}: anyone may attest their in-kind work"
        report.add("warning", "/organisation/project_group", "project_group", message, key=True)


def _check_saft_mapping(data: dict[str, Any], report: _Report) -> None:
    """The default SAF-T mapping books only to the plan's budget lines."""
    mapping = data.get("imports", {}).get("saft")
    if mapping is None:
        return
    line_ids = {line["id"] for line in data["budget"]["lines"]}
    for line_id in mapping["accounts"]:
        if line_id not in line_ids:
            message = (
                f"the SAF-T mapping books accounts to {line_id}, which is not a budget line "
                f"({', '.join(sorted(line_ids))})"
            )
            where = _pointer("imports", "saft", "accounts", line_id)
            report.error(where, "unknown_reference", message, key=True)
