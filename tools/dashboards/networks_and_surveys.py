"""The networks and surveys board: the mapping and assessment of information networks, the
pilot, the surveys and the critical success factors."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.builders import (
    table,
)
from grafana_foundation_sdk.models import common

from tools.dashboards import codes
from tools.dashboards.panels import (
    GREEN,
    ORANGE,
    PROJECT,
    PROMETHEUS,
    RATIO,
    RED,
    Language,
    a_gauge,
    a_stat,
    bars,
    business_board,
    columns_named,
    compare,
    matrix,
    named,
    override,
    promql,
    thresholds,
)


def networks_and_surveys(lang: Language) -> board.Dashboard:
    _ = lang.gettext
    # The plan's own names of its dimensions and factors, in the board's language: the
    # services name them in a series each (always 1), joined to the scores by id.
    in_lang = '{project="$project", lang="$lang"}'
    dimension_names = f"max by (project, dimension, name) (ptrack_assessment_dimension{in_lang})"
    factor_names = f"max by (project, factor, name) (ptrack_success_factor{in_lang})"
    scores = (
        f"max by (network, name) (max by (project, network, dimension) "
        f"(ptrack_network_assessment_score{PROJECT}) * on (project, dimension) "
        f"group_left (name) {dimension_names})"
    )
    factor_scores = (
        f"max by (name) (max by (project, factor) (ptrack_success_factor_score{PROJECT}) "
        f"* on (project, factor) group_left (name) {factor_names})"
    )
    score_steps = thresholds(RED, (2.5, ORANGE), (3.5, GREEN))
    score_table = (
        table.Panel()
        .title(_("Assessment scores per network"))
        .description(_("Each working network's latest assessment, 1-5 per dimension."))
        .datasource(PROMETHEUS)
        .with_target(promql(scores, ref="A", table=True))
        .with_transformation(matrix("network", "name", "Value"))
        .thresholds(score_steps)
        .min(1)
        .max(5)
        .cell_options(
            common.TableColoredBackgroundCellOptions(
                mode=common.TableCellBackgroundDisplayMode.BASIC
            )
        )
        # The network names stay plain; only the scores are coloured.
        .override_by_field_type(*override("string", {"custom.cellOptions": {"type": "auto"}}))
        .span(12)
        .height(9)
    )
    # After the pivot, the first column (the networks) is named after both fields; the others
    # after the dimensions, by the plan's names.
    score_table = columns_named(score_table, {"network\\name": _("Network")})
    return (
        business_board(
            lang,
            _("ptrack: networks and surveys"),
            "ptrack-networks-surveys",
            _(
                "The mapping and assessment of information networks, the pilot, the surveys "
                "and the critical success factors, as of the services' status date."
            ),
        )
        .with_row(board.Row(_("Mapping and the pilot")))
        .with_panel(
            a_stat(
                _("Networks mapped"),
                _("Information networks registered in the region."),
                promql(f"max(ptrack_networks_mapped{PROJECT})"),
            )
        )
        .with_panel(
            a_gauge(
                _("Mapped networks assessed"),
                _("Share of mapped networks with at least one assessment."),
                promql(f"max(ptrack_networks_assessed_ratio{PROJECT})"),
                steps=thresholds(RED, (0.5, ORANGE), (1, GREEN)),
            )
        )
        .with_panel(
            a_stat(
                _("Pilot networks"),
                _("Networks chosen for the pilot; the next panel gives the plan's bounds."),
                promql(f"max(ptrack_pilot_networks{PROJECT})"),
            )
        )
        .with_panel(
            a_stat(
                _("Pilot size in the plan"),
                _("The fewest and the most networks the plan's pilot takes."),
                promql(f"max by (bound) (ptrack_pilot_target_networks{PROJECT})", "{{bound}}"),
            )
        )
        .with_panel(
            bars(
                _("Networks by state"),
                _("How many networks are active, passive, dormant and retired."),
                promql(f"max by (state) (ptrack_networks{PROJECT})", "{{state}}"),
                decimals=0,
                width=12,
                height=4,
                names=named(lang, codes.NETWORK_STATES),
            )
        )
        .with_row(board.Row(_("Assessments")))
        .with_panel(
            bars(
                _("Mean score per dimension"),
                _("The mean over working networks of their latest assessment, 1-5."),
                promql(f"avg by (name) ({scores})", "{{name}}"),
                steps=score_steps,
                minimum=1,
                maximum=5,
                decimals=2,
                width=6,
                height=9,
            )
        )
        .with_panel(score_table)
        .with_panel(
            bars(
                _("Members per network"),
                _("Current members of each network."),
                promql(f"max by (network) (ptrack_network_members{PROJECT})", "{{network}}"),
                decimals=0,
                width=6,
                height=9,
            )
        )
        .with_row(board.Row(_("Surveys")))
        .with_panel(
            bars(
                _("Surveys by state"),
                _("Open surveys take responses; closed ones do not."),
                promql(f"max by (state) (ptrack_surveys{PROJECT})", "{{state}}"),
                decimals=0,
                width=4,
                names=named(lang, codes.SURVEY_STATES),
            )
        )
        .with_panel(
            compare(
                _("Responses against invited"),
                _("Responses recorded for each survey against the people invited."),
                ("survey", _("Survey")),
                [
                    ("Invited", _("Invited"), f"max by (survey) (ptrack_survey_invited{PROJECT})"),
                    (
                        "Responses",
                        _("Responses"),
                        f"max by (survey) (ptrack_survey_responses{PROJECT})",
                    ),
                ],
                unit="none",
                width=10,
            )
        )
        .with_panel(
            bars(
                _("Response rate"),
                _("Responses per person invited."),
                promql(
                    f"max by (survey) (ptrack_survey_response_rate_ratio{PROJECT})", "{{survey}}"
                ),
                unit=RATIO,
                steps=thresholds(RED, (0.5, ORANGE), (0.7, GREEN)),
                minimum=0,
                maximum=1,
                width=10,
            )
        )
        .with_panel(
            bars(
                _("Critical success factors"),
                _(
                    "Each factor's score 0..1 over all surveys: likert answers as (v − 1) / 4, "
                    "nps as v / 10. A factor with fewer respondents than the anonymity threshold "
                    "is left out, not shown as 0."
                ),
                promql(factor_scores, "{{name}}"),
                steps=thresholds(RED, (0.5, ORANGE), (0.75, GREEN)),
                minimum=0,
                maximum=1,
                decimals=2,
                width=24,
                height=6,
            )
        )
    )
