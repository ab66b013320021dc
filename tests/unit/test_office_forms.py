"""The office's forms read what a person types into the event's data, and put a service's
problems back at the fields they name; sessions survive only untouched and unexpired; the
language and the formats follow the reader."""

from __future__ import annotations

import time
from datetime import date

import pytest

from services.finance.events import CostBooked, InKindHoursRecorded
from services.office.forms import BY_ID, FORMS, initial_values, parse, problems_from
from services.office.i18n import Formats, negotiate
from services.office.session import Session, SessionSealer, tokens_match
from services.registry.events import NetworkAssessed
from services.surveys.events import SurveyPublished


def test_numbers_are_read_as_a_norwegian_writes_them() -> None:
    form = BY_ID["cost-booked"]
    values = {
        "line": "external-expertise",
        "amount": "1 250,50 kr",
        "booking_date": "6.4.2010",
        "voucher": "B-17",
        "booking_id": "GL-17",
        "supplier": "",
        "text": "Konsulent\n",
    }
    parsed = parse(form, values)
    assert parsed.problems == []
    assert parsed.data == {
        "line": "external-expertise",
        "amount": "1250.5",
        "booking_date": "2010-04-06",
        "voucher": "B-17",
        "booking_id": "GL-17",
        "text": "Konsulent\n",  # text kept as typed; an empty optional field left out
    }
    CostBooked.model_validate(parsed.data)


@pytest.mark.parametrize(
    ("typed", "sent"), [("1.250,50", "1250.5"), ("7,5", "7.5"), ("450", "450"), ("0,25", "0.25")]
)
def test_decimal_commas_and_thousands(typed: str, sent: str) -> None:
    form = BY_ID["in-kind"]
    parsed = parse(form, {**_in_kind(), "hours": typed})
    assert parsed.data["hours"] == sent


def test_a_share_is_typed_as_a_percentage() -> None:
    form = BY_ID["goal-progress"]
    values = {
        "goal": "HM1",
        "share_complete": "50 %",
        "status": "on_track",
        "reported_on": "2010-03-01",
    }
    assert parse(form, values).data["share_complete"] == "0.5"


def test_what_cannot_be_read_is_named_at_its_field_and_nothing_is_sent() -> None:
    form = BY_ID["in-kind"]
    parsed = parse(form, {**_in_kind(), "hours": "sju", "work_date": "31.02.2010", "person": ""})
    assert {(p.field, p.rule) for p in parsed.problems} == {
        ("hours", "decimal"),
        ("work_date", "date"),
        ("person", "required"),
    }


def test_scores_and_nested_fields_make_the_event_the_service_takes() -> None:
    form = BY_ID["network-assessed"]
    values = {
        "network": "oppvekst",
        "assessor": "Kari",
        "assessed_on": "2010-03-10",
        **{f"scores.{key}": str(n) for n, key in enumerate(_DIMENSIONS, start=1) if n <= 5},
        "scores.member_benefit": "5",
    }
    parsed = parse(form, values)
    assert parsed.problems == []
    assert parsed.data["scores"]["leadership"] == 4
    NetworkAssessed.model_validate(parsed.data)


def test_a_survey_form_makes_a_survey_with_its_factor_questions() -> None:
    form = BY_ID["survey-published"]
    values = initial_values(form, "Kari", date(2010, 6, 1))
    values.update(
        {"title": "Før piloten", "target.kind": "pilot", "phase": "single", "invited": "12"}
    )
    parsed = parse(form, values)
    assert parsed.problems == []
    from services.office.forms import without_empty_rows

    data = without_empty_rows(parsed.data)
    assert [q["factor"] for q in data["questions"]] == [
        "understanding",
        "anchoring",
        "commitment",
        "small_visible_successes",
    ]  # the optional open question, left empty, is not sent
    SurveyPublished.model_validate({**data, "project_id": "p1"})


def test_a_services_problems_land_at_the_fields_their_pointers_name() -> None:
    form = BY_ID["network-assessed"]
    problem = {
        "detail": "2 problems",
        "errors": [
            {"pointer": "/0/data/scores/leadership", "detail": "at most 5", "rule": "le"},
            {"pointer": "/data/scores", "detail": "missing", "rule": "required"},
            {"pointer": "/subject", "detail": "bad", "rule": "pattern"},
        ],
    }
    found = problems_from(form, problem)
    assert [(p.field, p.message) for p in found] == [
        ("scores.leadership", "at most 5"),
        ("scores.activity", "missing"),  # a whole object's rule goes to its first field
        (None, "bad"),
    ]
    refusal = problems_from(form, {"detail": "the network is retired"})
    assert [(p.field, p.message) for p in refusal] == [(None, "the network is retired")]


def test_every_form_names_a_real_event_type_and_unique_fields() -> None:
    assert len({form.id for form in FORMS}) == len(FORMS) == 18
    for form in FORMS:
        names = [item.name for item in form.fields]
        assert len(names) == len(set(names)), form.id


def test_a_session_opens_only_as_it_was_sealed_and_within_its_time() -> None:
    sealer = SessionSealer("one secret", max_age_seconds=60)
    session = Session("ptk_abc_def", "abc", "Kari Nordmann", "manager", "t0k3n", "nb")
    cookie = sealer.seal(session)
    assert sealer.open(cookie) == session
    assert "Kari" not in cookie
    assert "ptk_abc_def" not in cookie
    assert sealer.open(cookie[:-3] + "xyz") is None
    assert SessionSealer("another secret", 60).open(cookie) is None
    assert sealer.open(None) is None
    assert sealer.open("") is None
    expired = SessionSealer("one secret", max_age_seconds=1)
    old = expired.seal(session)
    time.sleep(2.1)  # Fernet's timestamps are whole seconds
    assert expired.open(old) is None


def test_form_tokens_compare_exactly() -> None:
    assert tokens_match("abc", "abc")
    assert not tokens_match("abd", "abc")
    assert not tokens_match(None, "abc")


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "nb"),
        ("en-GB,en;q=0.9", "en"),
        ("nn-NO,nn;q=0.9,en;q=0.5", "nb"),
        ("de-DE,en;q=0.3,nb;q=0.7", "nb"),
        ("fr", "nb"),
        ("no;q=0.2, en;q=0.8", "en"),
    ],
)
def test_the_language_follows_the_browser(header: str | None, lang: str) -> None:
    assert negotiate(header) == lang


def test_figures_in_each_readers_own_way() -> None:
    nb, en = Formats("nb"), Formats("en")
    assert nb.money("440000.00").replace("\u00a0", " ") == "440 000,00 kr"
    assert nb.date("2010-12-31") == "31.12.2010"
    assert nb.percent("0.93").replace("\u00a0", " ") == "93 %"
    assert en.money("440000.00") == "NOK440,000.00"
    assert en.date("2010-12-31") == "31 Dec 2010"
    assert nb.money(None) == "–"


_DIMENSIONS = ("shared_purpose", "activity", "participation", "leadership", "tool_use")


def _in_kind() -> dict[str, str]:
    values = {
        "person": "Kari Nordmann",
        "municipality": "Kongsberg",
        "activity": "mapping",
        "work_date": "2010-03-03",
        "hours": "7,5",
        "hourly_rate": "450",
    }
    InKindHoursRecorded.model_validate(
        {**values, "hours": "7.5"}
    )  # the fixture itself is a valid entry
    return values


def test_codes_read_as_words_in_english_too() -> None:
    from services.office.i18n import translations

    assert translations("en").gettext("reached_on_time") == "reached on time"
    assert translations("en").gettext("small_visible_successes") == "small visible successes"
    assert translations("en").gettext("Sign in") == "Sign in"
