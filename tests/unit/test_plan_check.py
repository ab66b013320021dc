from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ptrack.plan.check import Finding, check_plan, format_finding
from ptrack.plan.model import _StringDates, read_plan
from services.finance.events import BudgetApproved

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PLAN = ROOT / "plans" / "kongsbergregionen-2010.yaml"
TEST_PLANS = ROOT / "tests" / "plans"
_EXPECT = re.compile(r"#\s*expect:\s*([a-z_]+(?:\s*,\s*[a-z_]+)*)\s*$")


def line_of(path: Path, text: str) -> int:
    """The one line holding `text`, so the tests follow edits of the plan."""
    lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert len(lines) == 1, f"{text!r} on lines {lines} of {path}"
    return lines[0]


def expected(path: Path) -> list[tuple[int, str]]:
    """(line, rule) for every `# expect: rule, ...` comment in the file."""
    found = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = _EXPECT.search(line)
        if match:
            found += [(number, rule.strip()) for rule in match.group(1).split(",")]
    return sorted(found)


def variant(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The default plan with `change` applied, written to a file of its own."""
    data = yaml.load(DEFAULT_PLAN.read_text(), Loader=_StringDates)
    change(data)
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def test_default_plan_has_only_the_two_source_contradictions() -> None:
    findings = check_plan(DEFAULT_PLAN)
    assert [(f.level, f.rule) for f in findings] == [("warning", "source_contradiction")] * 2
    hm7, bp1 = findings
    assert hm7.line == line_of(DEFAULT_PLAN, "deadline: 2009-12-31")
    assert hm7.path.startswith("/goals/")
    assert hm7.path.endswith("/source/deadline")
    assert hm7.message.startswith(
        "HM7: the source gives the deadline as 2009-12-31, outside the project period "
        "2010-02-01..2010-12-31; the plan uses 2010-12-20 ("
    )
    assert bp1.line == line_of(DEFAULT_PLAN, "due_month: 2009-02")
    assert bp1.path.endswith("/source/due_month")
    assert bp1.message.startswith(
        "BP1: the source gives the due month as 2009-02, outside the project period "
        "2010-02-01..2010-12-31; the plan uses 2010-02 ("
    )


def test_broken_plan_reports_each_rule_on_its_line() -> None:
    path = TEST_PLANS / "broken.yaml"
    findings = check_plan(path)
    assert sorted((f.line, f.rule) for f in findings) == expected(path)
    levels = {f.rule: f.level for f in findings}
    assert levels.pop("source_contradiction") == "warning"
    assert set(levels.values()) == {"error"}
    assert set(levels) == {
        "outside_period",
        "milestone_after_goal",
        "lines_total",
        "frame_total",
        "financing_total",
        "no_months",
        "unknown_reference",
        "duplicate_id",
        "planned_total",
        "planned_outside_activity",
    }


def test_broken_plan_messages_name_ids_and_figures() -> None:
    messages = {f.rule: f.message for f in check_plan(TEST_PLANS / "broken.yaml")}
    assert "3500.00" in messages["lines_total"]
    assert "4000.00" in messages["lines_total"]
    assert "5000.00" in messages["frame_total"]
    assert "5500.00" in messages["frame_total"]
    assert "M1" in messages["milestone_after_goal"]
    assert "G1" in messages["milestone_after_goal"]
    assert "G1" in messages["duplicate_id"]
    assert "idle" in messages["no_months"]
    assert "outside the project period" in messages["source_contradiction"]


def test_findings_are_sorted_by_line() -> None:
    lines = [f.line for f in check_plan(TEST_PLANS / "broken.yaml")]
    assert lines == sorted(lines)


def test_schema_errors_are_reported_on_their_lines() -> None:
    path = TEST_PLANS / "schema-error.yaml"
    findings = check_plan(path)
    assert sorted((f.line, f.rule) for f in findings) == expected(path)
    assert {f.level for f in findings} == {"error"}
    assert any("'title' is a required property" in f.message for f in findings)


def test_a_file_that_is_not_yaml_is_one_error_on_its_line() -> None:
    path = TEST_PLANS / "not-yaml.yaml"
    [finding] = check_plan(path)
    assert (finding.line, finding.rule, finding.level) == (*expected(path)[0], "error")
    assert finding.message.startswith("not valid YAML: ")


def test_a_reversed_period_is_one_error_not_a_date_per_line(tmp_path: Path) -> None:
    def reverse(data: dict[str, Any]) -> None:
        data["project"]["period"]["end"] = "2010-01-31"

    path = variant(tmp_path, reverse)
    rules = [f.rule for f in check_plan(path) if f.level == "error"]
    assert rules == ["period_order"]


def test_a_plan_without_time_phasing_is_a_warning(tmp_path: Path) -> None:
    def unplan(data: dict[str, Any]) -> None:
        for activity in data["activities"]:
            activity.pop("planned", None)

    findings = check_plan(variant(tmp_path, unplan))
    assert ("warning", "not_time_phased") in {(f.level, f.rule) for f in findings}
    assert not [f for f in findings if f.level == "error"]


def test_format_finding() -> None:
    finding = Finding("warning", "/goals/6/source/deadline", 57, "HM7: it differs", "rule_x")
    assert (
        format_finding(Path("plans/x.yaml"), finding)
        == "plans/x.yaml:57: warning: HM7: it differs [rule_x]"
    )


def _item(data: dict[str, Any], list_name: str, item_id: str) -> dict[str, Any]:
    items = data["budget"]["lines"] if list_name == "lines" else data[list_name]
    found: dict[str, Any] = next(item for item in items if item["id"] == item_id)
    return found


def test_the_default_plan_is_bokmal_with_every_title_and_name_in_english() -> None:
    data = yaml.load(DEFAULT_PLAN.read_text(), Loader=_StringDates)
    assert data["language"] == "nb"
    m1 = _item(data, "milestones", "M1")
    assert (m1["title"], m1["titles"]) == (
        "Oppstart av prosjekt besluttet",
        {"en": "Start of the project decided"},
    )
    line = _item(data, "lines", "external-expertise")
    assert (line["name"], line["names"]) == (
        "Kjøp av ekstern kompetanse",
        {"en": "External expertise"},
    )
    lists = ("goals", "milestones", "decision_points", "activities")
    assert all(item["titles"]["en"] for name in lists for item in data[name])
    money = (*data["budget"]["lines"], *data["financing"]["sources"])
    assert all(item["names"]["en"] for item in money)
    # No finding about translations: check_plan's other test sees only the two contradictions.


def test_a_title_or_name_missing_in_the_other_language_is_a_warning_on_its_line(
    tmp_path: Path,
) -> None:
    def untranslate(data: dict[str, Any]) -> None:
        del _item(data, "milestones", "M3")["titles"]
        _item(data, "lines", "process-costs")["names"] = {}

    path = variant(tmp_path, untranslate)
    findings = [f for f in check_plan(path) if f.rule == "missing_translation"]
    assert [(f.level, f.path) for f in findings] == [
        ("warning", "/milestones/2/title"),
        ("warning", "/budget/lines/2/name"),
    ]
    m3, line = findings
    assert m3.line == line_of(path, "Kongsbergregionens satsingsområder vurdert")
    assert m3.message == (
        "milestone M3 has no English title (titles: {en: ...}), so English readers see its "
        "bokmål one"
    )
    assert line.line == line_of(path, "name: Andre prosesskostnader")
    assert line.message.startswith("budget line process-costs has no English name (names: ")
    assert not [f for f in check_plan(path) if f.level == "error"]


def test_a_plan_in_english_wants_every_title_and_name_in_bokmal(tmp_path: Path) -> None:
    def in_english(data: dict[str, Any]) -> None:
        data["language"] = "en"

    data = yaml.load(DEFAULT_PLAN.read_text(), Loader=_StringDates)
    items = sum(
        len(data[name]) for name in ("goals", "milestones", "decision_points", "activities")
    )
    items += len(data["budget"]["lines"]) + len(data["financing"]["sources"])
    items += sum(
        len(data[name]) for name in ("assessment_dimensions", "focus_areas", "success_factors")
    )
    items += 1 + len(data["main_goal"]["targets"])  # its title and each target's text
    findings = [
        f for f in check_plan(variant(tmp_path, in_english)) if f.rule == "missing_translation"
    ]
    assert len(findings) == items
    assert {f.level for f in findings} == {"warning"}
    by_path = {f.path: f.message for f in findings}
    assert by_path["/goals/0/title"] == (
        "goal HM1 has no bokmål title (titles: {nb: ...}), so bokmål readers see its English one"
    )
    assert by_path["/success_factors/1/name"] == (
        "success factor anchoring has no bokmål name (names: {nb: ...}), so bokmål readers see "
        "its English one"
    )


def test_a_plan_without_a_language_is_not_asked_for_translations(tmp_path: Path) -> None:
    def monolingual(data: dict[str, Any]) -> None:
        del data["language"]
        for name in ("goals", "milestones", "decision_points", "activities"):
            for item in data[name]:
                del item["titles"]
        for item in (*data["budget"]["lines"], *data["financing"]["sources"]):
            del item["names"]

    findings = check_plan(variant(tmp_path, monolingual))
    assert [f.rule for f in findings] == ["source_contradiction"] * 2


def test_languages_outside_nb_and_en_are_schema_errors(tmp_path: Path) -> None:
    def german(data: dict[str, Any]) -> None:
        data["language"] = "de"
        _item(data, "goals", "HM1")["titles"] = {"de": "Netzwerke kartiert"}
        _item(data, "lines", "contingency")["names"] = {"en": ""}

    path = variant(tmp_path, german)
    findings = check_plan(path)
    assert {(f.level, f.rule) for f in findings} == {("error", "schema")}
    assert [(f.path, f.line) for f in findings] == [
        ("/language", line_of(path, "language: de")),
        ("/goals/0/titles", line_of(path, "de: Netzwerke kartiert")),
        ("/budget/lines/3/names/en", line_of(path, "en: ''")),
    ]


def test_the_default_plan_allows_in_kind_on_the_activities_that_plan_it() -> None:
    data = yaml.load(DEFAULT_PLAN.read_text(), Loader=_StringDates)
    planned = [a["id"] for a in data["activities"] if "in-kind" in a.get("planned", {})]
    assert data["in_kind"]["activities"] == planned
    assert data["in_kind"]["rate_ceilings"] == {"default": "700.00"}
    assert data["in_kind"]["max_hours_per_day"] == "12"


def test_an_in_kind_activity_the_plan_lacks_is_an_error_on_its_line(tmp_path: Path) -> None:
    def unknown(data: dict[str, Any]) -> None:
        data["in_kind"]["activities"] = ["mapping", "no-such-activity"]

    path = variant(tmp_path, unknown)
    errors = [f for f in check_plan(path) if f.level == "error"]
    assert [(f.rule, f.path) for f in errors] == [("unknown_reference", "/in_kind/activities/1")]
    assert errors[0].line == line_of(path, "- no-such-activity")
    assert "no-such-activity" in errors[0].message


def test_in_kind_rules_need_municipalities_and_a_plausible_day(tmp_path: Path) -> None:
    def broken(data: dict[str, Any]) -> None:
        del data["municipalities"]
        data["in_kind"]["max_hours_per_day"] = "25"

    findings = check_plan(variant(tmp_path, broken))
    assert {(f.rule, f.path) for f in findings if f.level == "error"} == {
        ("no_municipalities", "/in_kind"),
        ("hours_per_day", "/in_kind/max_hours_per_day"),
    }


def test_in_kind_rules_are_checked_against_the_schema(tmp_path: Path) -> None:
    def broken(data: dict[str, Any]) -> None:
        data["in_kind"]["rate_ceilings"] = {"default": "seven hundred", "colour": "red"}

    findings = check_plan(variant(tmp_path, broken))
    assert {f.rule for f in findings} == {"schema"}
    assert {f.path for f in findings} >= {"/in_kind/rate_ceilings/default"}


def test_a_plan_without_in_kind_rules_is_still_valid(tmp_path: Path) -> None:
    def without(data: dict[str, Any]) -> None:
        del data["in_kind"]

    assert not [f for f in check_plan(variant(tmp_path, without)) if f.level == "error"]


def test_the_default_plans_budget_carries_its_in_kind_rules() -> None:
    budget = BudgetApproved.model_validate(read_plan(DEFAULT_PLAN).budget())
    assert budget.municipalities[0] == "Kongsberg"
    assert len(budget.municipalities) == 6
    assert budget.in_kind_rules is not None
    assert budget.in_kind_rules.activities == ["mapping", "assess-ways", "test-school", "follow-up"]
    assert (budget.in_kind_rules.default_rate_ceiling, budget.in_kind_rules.rate_ceilings) == (
        70_000,
        {},
    )
    assert budget.in_kind_rules.max_hours_per_day == 12


def test_the_project_group_has_one_member_per_municipality_of_the_plan(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        group = data["organisation"]["project_group"]
        group[0]["municipality"] = "Oslo"  # not one of the plan's
        group[2]["municipality"] = group[1]["municipality"]  # Flesberg twice, Rollag none

    findings = {(f.level, f.rule, f.path) for f in check_plan(variant(tmp_path, change))}
    assert findings >= {
        ("error", "unknown_reference", "/organisation/project_group/0/municipality"),
        ("error", "duplicate_id", "/organisation/project_group/2/municipality"),
        ("warning", "project_group", "/organisation/project_group"),
    }


def test_the_default_plans_project_group_attests_in_kind_work() -> None:
    plan = read_plan(DEFAULT_PLAN)
    attesters = plan.budget()["in_kind_rules"]["attesters"]
    assert set(attesters) == set(plan.data["municipalities"])
    assert attesters["Rollag"] == "Kontaktperson Rollag"


def test_the_main_goal_travels_with_the_schedule_and_wants_its_translations(
    tmp_path: Path,
) -> None:
    goal = read_plan(DEFAULT_PLAN).schedule()["main_goal"]
    assert [target["by"] for target in goal["targets"]] == [
        "2010-09-01",
        "2010-12-31",
        "2011-12-31",
    ]

    def change(data: dict[str, Any]) -> None:
        del data["main_goal"]["targets"][1]["texts"]

    findings = [(f.rule, f.path) for f in check_plan(variant(tmp_path, change))]
    assert ("missing_translation", "/main_goal/targets/1/text") in findings
