"""Every fact the office records, as a form: its fields, how a person's input becomes the
event's data, and where a service's answer puts each broken rule.

Pure: no I/O. The services decide what is valid; a form only reads what a person typed (a
decimal comma, `1 250,50 kr`, a date as `6.4.2010`, a share as a percentage) into the form the
event takes, and says so when it cannot."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Kind = Literal[
    "text",
    "textarea",
    "date",
    "money",
    "decimal",
    "percent",
    "integer",
    "select",
    "scale",
    "checkbox",
    "list",
    "hidden",
]
Options = tuple[tuple[str, str], ...]
"""(value, label) pairs; labels are messages to translate."""


def N_(message: str) -> str:  # noqa: N802 (the name gettext tools look for)
    """Marks a message for the catalogue; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Field:
    name: str
    """The path into the event's data, dotted (`scores.leadership`, `questions.0.text`)."""
    label: str
    kind: Kind = "text"
    required: bool = True
    options: Options | str | None = None
    """Fixed choices, or the name of a list the project supplies (`milestones`, `networks`);
    on a text field, suggestions rather than choices."""
    help: str | None = None
    default: str | None = None
    """A fixed value, or `today` / `person` (the signed-in person's name)."""
    number: int | None = None
    """Fills `{number}` in the label (the questions of a survey)."""


@dataclass(frozen=True)
class Form:
    id: str
    title: str
    service: str
    event_type: str
    group: str
    fields: tuple[Field, ...]
    subject: Literal["project", "new-survey"] = "project"
    """The stream the event goes to: the project, or a new survey's own id."""
    intro: str | None = None


@dataclass(frozen=True)
class FieldProblem:
    field: str | None
    """The form field it belongs to; None for the form as a whole."""
    message: str
    rule: str | None = None


@dataclass
class Parsed:
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)


STATUS: Options = (
    ("on_track", N_("On track")),
    ("at_risk", N_("At risk")),
    ("off_track", N_("Off track")),
    ("done", N_("Done")),
)
OUTCOMES: Options = (
    ("approved", N_("Approved")),
    ("rejected", N_("Rejected")),
    ("deferred", N_("Deferred")),
)
NETWORK_KINDS: Options = (
    ("internal", N_("Internal (between the municipalities)")),
    ("external", N_("External (with outside members)")),
)
NETWORK_STATES: Options = (
    ("active", N_("Active")),
    ("passive", N_("Passive")),
    ("dormant", N_("Dormant")),
)
MEMBER_KINDS: Options = (("person", N_("Person")), ("organisation", N_("Organisation")))
TARGETS: Options = (
    ("network", N_("An information network")),
    ("pilot", N_("The pilot")),
    ("seminar", N_("A seminar")),
)
PHASES: Options = (
    ("single", N_("Stands alone")),
    ("before", N_("Before (to compare with after)")),
    ("after", N_("After (compared with before)")),
)
# The dimensions and success factors of a project whose plan names none (every project had
# these before plans held them); `for_project` puts a plan's own in their place.
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("shared_purpose", N_("Shared purpose")),
    ("activity", N_("Activity")),
    ("participation", N_("Participation")),
    ("leadership", N_("Leadership")),
    ("tool_use", N_("Use of collaboration tools")),
    ("member_benefit", N_("Benefit to members")),
)
FACTOR_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("understanding", N_("I understand what the network is for and how it works.")),
    ("anchoring", N_("The network is anchored in my municipality's management.")),
    ("commitment", N_("The members are committed to the network's work.")),
    ("small_visible_successes", N_("The network has had small, visible successes.")),
)
FACTOR_QUESTION = N_("The network does well on: %(factor)s.")
"""The question written in advance for a success factor of a plan's own (fill in its name)."""

_TODAY = "today"
_PERSON = "person"


def _survey_fields(
    factor_questions: Sequence[tuple[str, str]] = FACTOR_QUESTIONS,
) -> tuple[Field, ...]:
    fields = [
        Field("title", N_("Title")),
        Field("target.kind", N_("Who is surveyed"), "select", options=TARGETS),
        Field("target.network", N_("Network"), "select", required=False, options="networks"),
        Field("phase", N_("Phase"), "select", options=PHASES),
        Field("invited", N_("Number invited"), "integer"),
        Field("published_on", N_("Published on"), "date", default=_TODAY),
    ]
    for index, (factor, question) in enumerate(factor_questions):
        fields += [
            Field(f"questions.{index}.id", "", "hidden", default=f"q{index + 1}"),
            Field(f"questions.{index}.kind", "", "hidden", default="likert"),
            Field(f"questions.{index}.factor", "", "hidden", default=factor),
            Field(
                f"questions.{index}.text",
                N_("Question {number} (scale 1–5)"),
                "textarea",
                default=question,
                number=index + 1,
            ),
        ]
    free = len(factor_questions)
    fields += [
        Field(f"questions.{free}.id", "", "hidden", default=f"q{free + 1}"),
        Field(f"questions.{free}.kind", "", "hidden", default="free_text"),
        Field(
            f"questions.{free}.text",
            N_("An open question (optional)"),
            "textarea",
            required=False,
            default="",
        ),
    ]
    return tuple(fields)


FORMS: tuple[Form, ...] = (
    Form(
        "milestone-reached",
        N_("Milestone reached"),
        "milestones",
        "MilestoneReached",
        "schedule",
        (
            Field("milestone", N_("Milestone"), "select", options="milestones"),
            Field("reached_on", N_("Reached on"), "date", default=_TODAY),
            Field("reported_by", N_("Reported by"), default=_PERSON),
            Field(
                "evidence",
                N_("Evidence"),
                "textarea",
                required=False,
                help=N_("What proves it: minutes, a report, a link."),
            ),
        ),
    ),
    Form(
        "milestone-forecast",
        N_("Milestone forecast changed"),
        "milestones",
        "MilestoneForecastChanged",
        "schedule",
        (
            Field("milestone", N_("Milestone"), "select", options="milestones"),
            Field("expected_on", N_("Now expected on"), "date"),
            Field("reason", N_("Reason")),
            Field("changed_on", N_("Changed on"), "date", default=_TODAY),
        ),
    ),
    Form(
        "milestone-reopened",
        N_("Milestone reopened"),
        "milestones",
        "MilestoneReopened",
        "schedule",
        (
            Field("milestone", N_("Milestone"), "select", options="milestones"),
            Field("reason", N_("Reason")),
            Field("reopened_on", N_("Reopened on"), "date", default=_TODAY),
        ),
    ),
    Form(
        "goal-progress",
        N_("Progress on an action goal"),
        "milestones",
        "GoalProgressReported",
        "schedule",
        (
            Field("goal", N_("Action goal"), "select", options="goals"),
            Field("share_complete", N_("Share complete (%)"), "percent"),
            Field("status", N_("Status"), "select", options=STATUS),
            Field("comment", N_("Comment"), "textarea", required=False),
            Field("reported_on", N_("Reported on"), "date", default=_TODAY),
        ),
    ),
    Form(
        "activity-progress",
        N_("Progress on an activity"),
        "milestones",
        "ActivityProgressReported",
        "schedule",
        (
            Field("activity", N_("Activity"), "select", options="activities"),
            Field("share_complete", N_("Share complete (%)"), "percent"),
            Field("comment", N_("Comment"), "textarea", required=False),
            Field("reported_on", N_("Reported on"), "date", default=_TODAY),
        ),
    ),
    Form(
        "decision",
        N_("Steering-group decision"),
        "milestones",
        "DecisionRecorded",
        "decisions",
        (
            Field("decision_point", N_("Decision point"), "select", options="decision_points"),
            Field("outcome", N_("Outcome"), "select", options=OUTCOMES),
            Field(
                "minutes_ref",
                N_("Minutes reference"),
                help=N_("Where the decision is written down, e.g. RU-sak 12/2010."),
            ),
            Field("decided_on", N_("Decided on"), "date", default=_TODAY),
            Field(
                "revision",
                N_("This changes a decision already taken"),
                "checkbox",
                required=False,
            ),
            Field("note", N_("Note"), "textarea", required=False),
        ),
    ),
    Form(
        "network-registered",
        N_("Network registered"),
        "registry",
        "NetworkRegistered",
        "networks",
        (
            Field(
                "network",
                N_("Network id"),
                help=N_("A short, stable id: letters, digits and dashes."),
            ),
            Field("name", N_("Name")),
            Field("kind", N_("Kind"), "select", options=NETWORK_KINDS),
            Field("focus_area", N_("Focus area"), options="focus_areas"),
            Field(
                "municipalities",
                N_("Municipalities"),
                "list",
                required=False,
                help=N_("Separated by commas."),
            ),
            Field("coordinator", N_("Coordinator"), required=False),
            Field("tools", N_("Tools"), "list", required=False, help=N_("Separated by commas.")),
            Field("state", N_("State"), "select", options=NETWORK_STATES, default="active"),
            Field("registered_on", N_("Registered on"), "date", default=_TODAY),
        ),
    ),
    Form(
        "member-joined",
        N_("Member joined a network"),
        "registry",
        "MemberJoined",
        "networks",
        (
            Field("network", N_("Network"), "select", options="networks"),
            Field(
                "member.id",
                N_("Member id"),
                help=N_("A stable pseudonym, the same in every network."),
            ),
            Field("member.name", N_("Name")),
            Field("member.kind", N_("Kind"), "select", options=MEMBER_KINDS),
            Field("member.municipality", N_("Municipality"), required=False),
            Field("member.organisation", N_("Organisation"), required=False),
            Field("joined_on", N_("Joined on"), "date", default=_TODAY),
        ),
    ),
    Form(
        "network-assessed",
        N_("Network assessed"),
        "registry",
        "NetworkAssessed",
        "networks",
        (
            Field("network", N_("Network"), "select", options="networks"),
            Field("assessor", N_("Assessed by"), default=_PERSON),
            Field("assessed_on", N_("Assessed on"), "date", default=_TODAY),
            *(Field(f"scores.{key}", label, "scale") for key, label in DIMENSIONS),
            Field("works_well", N_("What works well"), "textarea", required=False),
            Field("works_less_well", N_("What works less well"), "textarea", required=False),
        ),
        intro=N_("Score each dimension from 1 (poor) to 5 (very good)."),
    ),
    Form(
        "survey-published",
        N_("Survey published"),
        "surveys",
        "SurveyPublished",
        "surveys",
        _survey_fields(),
        subject="new-survey",
        intro=N_(
            "The first questions measure the project's success factors, one each; edit their "
            "wording if you like."
        ),
    ),
    Form(
        "cost-booked",
        N_("Cost booked"),
        "finance",
        "CostBooked",
        "money",
        (
            Field("line", N_("Budget line"), "select", options="budget_lines"),
            Field("amount", N_("Amount excl. VAT (NOK)"), "money"),
            Field("booking_date", N_("Booking date"), "date", default=_TODAY),
            Field("voucher", N_("Voucher")),
            Field(
                "booking_id",
                N_("Booking id"),
                help=N_("The accounting system's id of the booking; a reversal names it."),
            ),
            Field("supplier", N_("Supplier"), required=False),
            Field("text", N_("Text"), "textarea", required=False),
        ),
    ),
    Form(
        "cost-reversed",
        N_("Cost reversed"),
        "finance",
        "CostReversed",
        "money",
        (
            Field("booking_id", N_("Booking id"), "select", options="bookings"),
            Field("amount", N_("Amount reversed (NOK)"), "money"),
            Field("reversal_date", N_("Reversal date"), "date", default=_TODAY),
            Field("reason", N_("Reason")),
            Field("voucher", N_("Voucher"), required=False),
        ),
    ),
    Form(
        "in-kind",
        N_("In-kind hours"),
        "finance",
        "InKindHoursRecorded",
        "money",
        (
            Field("person", N_("Person"), default=_PERSON),
            Field("municipality", N_("Municipality"), options="municipalities"),
            Field("role", N_("Role"), required=False),
            Field("activity", N_("Activity"), "select", options="activities"),
            Field("work_date", N_("Date worked"), "date", default=_TODAY),
            Field("hours", N_("Hours"), "decimal"),
            Field("hourly_rate", N_("Hourly rate (NOK)"), "money"),
            Field("description", N_("Description"), "textarea", required=False),
        ),
    ),
    Form(
        "in-kind-corrected",
        N_("In-kind entry corrected"),
        "finance",
        "InKindCorrected",
        "money",
        (
            Field("entry", N_("Entry"), "select", options="in_kind_entries"),
            Field("hours", N_("Hours"), "decimal", required=False),
            Field("hourly_rate", N_("Hourly rate (NOK)"), "money", required=False),
            Field("activity", N_("Activity"), "select", required=False, options="activities"),
            Field("work_date", N_("Date worked"), "date", required=False),
            Field("reason", N_("Reason")),
            Field("corrected_on", N_("Corrected on"), "date", default=_TODAY),
        ),
        intro=N_(
            "Fill in only what was wrong; the rest of the entry stays. The entry as first "
            "recorded stays in the log, and the correction is shown beside it."
        ),
    ),
    Form(
        "in-kind-withdrawn",
        N_("In-kind entry withdrawn"),
        "finance",
        "InKindWithdrawn",
        "money",
        (
            Field("entry", N_("Entry"), "select", options="in_kind_entries"),
            Field("reason", N_("Reason")),
            Field("withdrawn_on", N_("Withdrawn on"), "date", default=_TODAY),
        ),
    ),
    Form(
        "in-kind-attested",
        N_("In-kind work attested"),
        "finance",
        "InKindAttested",
        "money",
        (
            Field("municipality", N_("Municipality"), "select", options="municipalities"),
            Field("period_start", N_("From"), "date"),
            Field("period_end", N_("To"), "date"),
            Field("attested_by", N_("Attested by"), default=_PERSON),
            Field("attested_on", N_("Attested on"), "date", default=_TODAY),
        ),
        intro=N_(
            "The municipality's member of the project group attests its in-kind work with "
            "dates in the period. An entry corrected afterwards must be attested again."
        ),
    ),
    Form(
        "funding-received",
        N_("Funding received"),
        "finance",
        "FundingReceived",
        "money",
        (
            Field("source", N_("Funding source"), "select", options="funding_sources"),
            Field("amount", N_("Amount received (NOK)"), "money"),
            Field("received_date", N_("Received on"), "date", default=_TODAY),
            Field("reference", N_("Payment reference"), required=False),
        ),
    ),
    Form(
        "funding-repaid",
        N_("Funding paid back"),
        "finance",
        "FundingRepaid",
        "money",
        (
            Field("source", N_("Funding source"), "select", options="funding_sources"),
            Field("amount", N_("Amount paid back (NOK)"), "money"),
            Field("repaid_date", N_("Paid back on"), "date", default=_TODAY),
            Field("reference", N_("Payment reference")),
            Field("reason", N_("Reason")),
        ),
    ),
)
BY_ID: dict[str, Form] = {form.id: form for form in FORMS}
GROUPS: tuple[tuple[str, str], ...] = (
    ("schedule", N_("Schedule and progress")),
    ("decisions", N_("Steering group")),
    ("networks", N_("Information networks")),
    ("surveys", N_("Surveys")),
    ("money", N_("Money and in-kind work")),
)


def for_project(
    form: Form,
    dimensions: Sequence[tuple[str, str]] | None = None,
    factor_questions: Sequence[tuple[str, str]] | None = None,
) -> Form:
    """`form` as a project's plan shapes it: a scale for each of its assessment dimensions (id,
    name in the reader's language) and a question for each of its success factors (id, the
    question written in advance). None keeps the form's own."""
    scores = [i for i, item in enumerate(form.fields) if item.name.startswith("scores.")]
    if dimensions is not None and scores:
        # A plan names dimensions as a sentence uses them ("ledelse"); a label starts upper case.
        scales = tuple(
            Field(f"scores.{key}", label[:1].upper() + label[1:], "scale")
            for key, label in dimensions
        )
        fields = form.fields
        form = replace(form, fields=(*fields[: scores[0]], *scales, *fields[scores[-1] + 1 :]))
    if factor_questions is not None and form.event_type == "SurveyPublished":
        form = replace(form, fields=_survey_fields(factor_questions))
    return form


def initial_values(
    form: Form, person: str, today: date, translate: Callable[[str], str] = str
) -> dict[str, str]:
    """What a new form shows before anyone types; a text written in advance (a survey's
    questions) in the reader's language."""
    values: dict[str, str] = {}
    for item in form.fields:
        if item.default == _TODAY:
            values[item.name] = today.isoformat()
        elif item.default == _PERSON:
            values[item.name] = person
        elif item.default and item.kind == "textarea":
            values[item.name] = translate(item.default)
        elif item.default is not None:
            values[item.name] = item.default
    return values


def parse(form: Form, values: Mapping[str, str]) -> Parsed:
    """The event's data from what was typed, and a problem for each value that cannot be read.
    An empty optional field is left out of the data; an empty required one is left for the
    service to name (it knows the rule), unless the form cannot even tell what was meant."""
    parsed = Parsed()
    for item in form.fields:
        raw = values.get(item.name, "")
        if item.kind == "checkbox":
            _put(parsed.data, item.name, raw in ("on", "true", "1"))
            continue
        text = raw.strip() if item.kind not in ("text", "textarea") else raw
        if not text.strip():
            if item.required:
                parsed.problems.append(FieldProblem(item.name, N_("Required."), "required"))
            continue
        try:
            _put(parsed.data, item.name, _convert(item.kind, text))
        except ValueError as error:
            parsed.problems.append(FieldProblem(item.name, str(error), item.kind))
    return parsed


def _convert(kind: Kind, text: str) -> Any:
    match kind:
        case "money" | "decimal":
            return _decimal_text(text)
        case "percent":
            share = Decimal(_decimal_text(text.rstrip("% ").strip())) / 100
            return _plain(share)
        case "integer" | "scale":
            try:
                return int(text.replace(" ", "").replace("\u00a0", ""))
            except ValueError:
                raise ValueError(N_("A whole number, please.")) from None
        case "date":
            return _date(text).isoformat()
        case "list":
            return [part.strip() for part in re.split(r"[,\n;]", text) if part.strip()]
        case _:
            return text


def _decimal_text(text: str) -> str:
    cleaned = re.sub(r"(?i)\s*(kr\.?|nok)\s*", "", text).replace("\u00a0", "").replace(" ", "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")  # 1.250,50 as a Norwegian writes it
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(N_("A number, please (a decimal comma is fine).")) from None
    if not number.is_finite():
        raise ValueError(N_("A number, please (a decimal comma is fine)."))
    return _plain(number)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise ValueError(N_("A date, please (for example 6.4.2010)."))


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    """Sets `a.b.0.c` in nested dicts and lists."""
    parts = path.split(".")
    here: Any = data
    for part, following in itertools.pairwise(parts):
        container: Any = [] if following.isdigit() else {}
        if isinstance(here, list):
            index = int(part)
            while len(here) <= index:
                here.append(None)
            if here[index] is None:
                here[index] = container
            here = here[index]
        else:
            here = here.setdefault(part, container)
    last = parts[-1]
    if isinstance(here, list):
        index = int(last)
        while len(here) <= index:
            here.append(None)
        here[index] = value
    else:
        here[last] = value


def without_empty_rows(data: dict[str, Any]) -> dict[str, Any]:
    """Drops list items a form left empty (an optional question nobody wrote), which would
    otherwise be sent as half-filled objects."""
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, list):
            value = [
                item
                for item in value
                if item is not None and not (isinstance(item, dict) and "text" not in item)
            ]
        elif isinstance(value, dict):
            value = without_empty_rows(value)
        cleaned[key] = value
    return cleaned


def problems_from(form: Form, problem: Mapping[str, Any]) -> list[FieldProblem]:
    """A service's RFC 9457 answer as problems at the fields its pointers name (`/data/hours`,
    `/0/data/scores/leadership`); what names no field of the form belongs to the form."""
    names = {item.name for item in form.fields if item.kind != "hidden"}
    found: list[FieldProblem] = []
    for error in problem.get("errors") or []:
        pointer = str(error.get("pointer") or "")
        message = str(error.get("detail") or problem.get("detail") or "")
        found.append(FieldProblem(_field_of(pointer, names), message, error.get("rule")))
    if not found:
        found.append(FieldProblem(None, str(problem.get("detail") or problem.get("title"))))
    return found


def _field_of(pointer: str, names: set[str]) -> str | None:
    parts = [part for part in pointer.split("/") if part]
    if parts and parts[0].isdigit():
        parts = parts[1:]  # a batch's event index
    if not parts or parts[0] != "data":
        return None
    path = ".".join(parts[1:])
    while path:
        if path in names:
            return path
        # A rule about a whole object (`/data/scores`) goes to its first field.
        inner = sorted(name for name in names if name.startswith(path + "."))
        if inner:
            return inner[0]
        path = path.rpartition(".")[0]
    return None
