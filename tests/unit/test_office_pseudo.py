"""No word of the office's pages bypasses its catalogue: every page rendered in the
pseudo-locale (every message wrapped in ⟦ ⟧), from contexts whose data words are marked `§`,
shows no word outside the brackets but data. A word written into a template, or a message
shown without `_()`, fails here with the page and the word."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.dates import get_month_names
from jinja2 import Environment

from services.office.forms import BY_ID, FORMS, GROUPS, FieldProblem
from services.office.i18n import CATALOGUES
from services.office.privacy import BASES, KINDS
from services.office.privacy import LABELS as PRIVACY_LABELS
from services.office.session import Session
from services.office.web import TEMPLATES, _environment
from shared.i18n import LANGUAGES, PSEUDO, translations

WORD = re.compile(r"[^\W\d_]{2,}")
"""A run of two or more letters: what a reader reads as a word."""
ALLOWED = {
    "ptrack",
    "NOK",
    *(word for name in LANGUAGES.values() for word in name.split()),
    *get_month_names("abbreviated", locale="en_GB").values(),
    *get_month_names("wide", locale="en_GB").values(),
}
"""The product's name, the currency code, each language's name in itself (the language
switch names them so a reader finds their own), and month names (the pseudo-locale formats dates as
English does: the months are Babel's, not the office's messages)."""


class _Text(HTMLParser):
    """The text a reader sees: text nodes and the attributes read aloud or shown."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("alt", "title", "aria-label", "placeholder") and value:
                self.found.append(value)
            if tag == "input" and name == "value" and dict(attrs).get("type") == "submit":
                self.found.append(value or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.found.append(data)


def bypassing(html: str) -> list[str]:
    """Words outside ⟦ ⟧ that are not marked data (§...) or allowed."""
    parser = _Text()
    parser.feed(html)
    words = []
    for text in parser.found:
        outside = re.sub(r"⟦[^⟧]*⟧", " ", text)
        outside = re.sub(r"§\S+", " ", outside)
        words += [w for w in WORD.findall(outside) if w not in ALLOWED]
    return words


def marked(value: Any) -> Any:
    """Every string of a context's data marked as data."""
    if isinstance(value, str):
        return value if re.fullmatch(r"[\d\-.:T+Z ]*", value) else f"§{value.replace(' ', '§')}"
    if isinstance(value, list):
        return [marked(item) for item in value]
    if isinstance(value, dict):
        return {key: marked(item) for key, item in value.items()}
    return value


class _Request:
    class url:  # noqa: N801 (what the templates read: request.url.path and .query)
        path = "/projects/§p"
        query = ""


SESSION = Session("ptk_x_y", "x", "§Kari", "manager", "token", PSEUDO)
STATUS = marked(
    {
        "name": "Prosjekt",
        "status_date": "2010-06-30",
        "main_goal": {"title": "Plattform", "titles": {},
                      "targets": [{"by": "2010-09-01", "text": "Etablert", "texts": {}}]},
        "organisation": {"owner": {"name": "Koordinator"}, "manager": {"name": "Leder"},
                         "steering_group": {"name": "Utvalget", "names": {},
                                            "members": [{"name": "Rådmann"}]},
                         "project_group": [{"name": "Kari", "municipality": "Rollag"}]},
        "period_start": "2010-02-01",
        "period_end": "2010-12-31",
        "evm": {"money": {"bac": "240000.00", "pv": "1", "ev": "1", "ac": "1", "cpi": "1",
                          "spi": "1", "eac_cpi": "1"}},
        "schedule": {
            "milestones": [{"id": "M1", "title": "Start", "titles": {}, "due": "2010-02-01",
                            "actual": "2010-02-01", "forecast": None, "slip_days": 0,
                            "state": "reached_on_time"}],
            "goals": [{"id": "HM1", "title": "Kartlagt", "titles": {}, "deadline": "2010-04-01",
                       "share_complete": "1", "state": "done"}],
            "decision_points": [{"id": "BP1", "title": "Start", "titles": {}, "due_month":
                                 "2010-02", "state": "approved", "decisions": [
                                     {"minutes_ref": "SG-1", "decided_on": "2010-02-01"}]}],
            "activities": [{"id": "mapping", "title": "Kartlegge", "titles": {},
                            "planned_share": "1", "reported_share": "1"}],
        },
        "money": {
            "lines": [{"id": "l", "name": "Linje", "names": {}, "budget": "1", "used": "1",
                       "remaining": "0", "share_used": 1.0}],
            "money": {"budget": "1", "used": "1", "remaining": "0", "share_used": 1.0},
            "in_kind": {"budget": "1", "used": "1", "remaining": "0", "share_used": 1.0},
            "in_kind_by_municipality": {"§Kongsberg": "1.00"},
            "funding": [{"id": "g", "name": "Tilskudd", "names": {}, "planned": "1",
                         "received": "1"}],
        },
        "networks": {"coverage": {"mapped": 1, "assessed": 1}, "pilot": {"networks": ["a"]},
                     "scores": [{"dimension": "leadership", "name": "ledelse", "names": {},
                                 "mean": 3.0, "networks": 1}]},
        "surveys": {"success_factors": [{"factor": "anchoring", "name": "forankring",
                                         "names": {}, "suppressed": False, "score": 0.5,
                                         "n": 7}]},
    }
)  # fmt: skip
PRIVACY_PROBLEMS = [
    FieldProblem("who", "Nobody is recorded so. Check the spelling, or the kind."),
    FieldProblem(None, "§refused"),
]
CONTEXTS: dict[str, dict[str, Any]] = {
    "signin.html": {"form_token": "t", "next_path": "/projects", "error": "§wrong"},
    "projects.html": {"projects": marked([{"id": "p", "name": "Prosjekt",
                                           "period_start": "2010-02-01",
                                           "period_end": "2010-12-31"}])},
    "status.html": {"project": "§p", "status": STATUS, "charts": [], "status_date": None,
                    "as_of_recorded": "2010-06-30T12:00:00+00:00", "as_of_input": ""},
    "record.html": {"project": "§p", "recorded": BY_ID["decision"], "position": 3,
                    "duplicate": False,
                    "groups": [(g, t, [f for f in FORMS if f.group == g]) for g, t in GROUPS]},
    "upload.html": {"project": "§p", "error": "§bad"},
    "preview.html": {"project": "§p", "filename": "§timer.csv", "rows": [], "ignored": ["§x"],
                     "good": 0, "carried": "[]"},
    "recorded_rows.html": {"project": "§p", "answer": type("A", (), {"ok": True, "body": {
                           "duplicate": False, "position": 4}})(), "count": 2, "problems": []},
    "decisions.html": {"project": "§p", "found": {"decision_points": STATUS["schedule"][
                       "decision_points"]}},
    "baselines.html": {"project": "§p", "baselines": marked([{"baseline": 1, "effective_on":
                       "2010-02-01", "reason": None, "decision_ref": None}]),
                       "comparison": {"from_baseline": 1, "to_baseline": 2, "changes": [
                           {"kind": "milestone", "id": "§M1", "change": "changed",
                            "before": None, "after": None, "shift_days": 3}]}},
    "refused.html": {"project": "§p", "problem": marked({"detail": "no"})},
    "privacy.html": {
        "values": {"kind": "person", "who": "§Kari", "basis": "request"},
        "problems": PRIVACY_PROBLEMS,
        "at_field": {p.field: p for p in PRIVACY_PROBLEMS if p.field},
        "labels": PRIVACY_LABELS, "kinds": KINDS, "bases": BASES, "erased": 1,
        "erasures": marked([{"recorded_at": "2026-12-07T20:00:00+00:00", "kind": "person",
                             "subject": "0123456789ab", "basis": "request",
                             "requested_by": "sak 1", "reason": "art. 17"}]),
        "read_models": {"§ptrack_finance": {"done": True}, "§ptrack_registry": {"done": False}},
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def pseudo_pages() -> Environment:
    return _environment(PSEUDO, translations(PSEUDO, "office", CATALOGUES))


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_no_page_shows_a_word_the_catalogue_did_not_give(
    pseudo_pages: Environment, template: str
) -> None:
    if template in ("base.html", "form.html"):
        pytest.skip("read through the pages that extend it, and the forms' own test")
    context = CONTEXTS.get(template, {"project": "§p"})
    html = pseudo_pages.get_template(template).render(
        request=_Request(), session=SESSION, **context
    )
    assert "⟦" in html, "the page was not rendered in the pseudo-locale"
    assert bypassing(html) == [], f"{template} shows words outside the catalogue"


@pytest.mark.parametrize("form", [form.id for form in FORMS])
def test_no_form_shows_a_word_the_catalogue_did_not_give(
    pseudo_pages: Environment, form: str
) -> None:
    chosen = BY_ID[form]
    problems = [FieldProblem(chosen.fields[0].name, "Required."), FieldProblem(None, "§refused")]
    html = pseudo_pages.get_template("form.html").render(
        request=_Request(), session=SESSION, project="§p", form=chosen, values={},
        options={}, at_field={p.field: p for p in problems if p.field}, problems=problems,
        event_id="e",
    )  # fmt: skip
    assert bypassing(html) == [], f"the {form} form shows words outside the catalogue"


def test_the_check_catches_a_word_written_into_a_page(pseudo_pages: Environment) -> None:
    page = pseudo_pages.from_string(
        '{% extends "base.html" %}{% block main %}<p>Hello {{ _("world") }}</p>{% endblock %}'
    )
    html = page.render(request=_Request(), session=SESSION, project="§p")
    assert bypassing(html) == ["Hello"]


def test_the_templates_folder_is_the_one_the_app_reads() -> None:
    assert Path(TEMPLATES).is_dir()
    assert (Path(TEMPLATES) / "base.html").exists()
