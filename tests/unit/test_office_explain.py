"""A service's broken rule shown in the reader's language: its meaning from the office's
catalogue on a bokmål page, with the service's own words beside it; in English, the service's
words alone. Every rule explained is one a service answers with."""

from __future__ import annotations

import ast
from pathlib import Path

from services.office.explain import RULES
from services.office.forms import BY_ID, FieldProblem
from services.office.i18n import CATALOGUES
from services.office.session import Session
from services.office.web import _environment
from shared.i18n import translations

ROOT = Path(__file__).resolve().parents[2]
DETAIL = "'Oslo' is not one of the project's municipalities: Flesberg, Kongsberg"


class _Request:
    class url:  # noqa: N801 (what the templates read)
        path = "/projects/p"
        query = ""


def page(lang: str) -> str:
    problem = FieldProblem("municipality", DETAIL, "known_municipality")
    environment = _environment(lang, translations(lang, "office", CATALOGUES))
    return environment.get_template("form.html").render(
        request=_Request(), session=Session("k", "x", "Kari", "manager", "t", lang),
        project="p", form=BY_ID["in-kind"], values={}, options={},
        at_field={"municipality": problem}, problems=[problem], event_id="e",
    )  # fmt: skip


def test_a_bokmal_page_says_what_the_rule_means_and_keeps_the_services_words() -> None:
    html = page("nb")
    assert '<p class="error" id="f-municipality-error">Ikke en av prosjektets kommuner.</p>' in html
    assert f'<span class="detail" lang="en">({DETAIL.replace(chr(39), "&#39;")})</span>' in html


def test_an_english_page_shows_the_services_words_alone() -> None:
    html = page("en")
    assert DETAIL.replace("'", "&#39;") in html
    assert 'class="detail"' not in html


def test_every_rule_explained_is_one_a_service_answers_with() -> None:
    answered: set[str] = set()
    for path in [*ROOT.joinpath("services").rglob("*.py"), *ROOT.joinpath("shared").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None)
            called = getattr(name, "id", getattr(name, "attr", None))
            if isinstance(node, ast.Call) and called in ("Rejected", "Conflict", "_known"):
                answered |= {
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                }
    assert set(RULES) - answered == set()
