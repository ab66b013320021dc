"""The accounts as a PDF: an HTML page from a Jinja2 template, laid out on A4 by WeasyPrint
(headings, tables whose heads repeat on each page, page numbers, the basis on a page of its
own). `html` is also what the pseudo-locale test reads.

WeasyPrint is imported only when a PDF is made: a service that never makes one does not pay for
loading it, and rendering runs in a thread (`render_pdf` is synchronous, and takes a second or
so for a year's accounts)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from services.finance.accounts.messages import ATTESTATION_NOTE, IN_KIND_NOTE, Writing, writing
from services.finance.accounts.model import Accounts

TEMPLATES = Path(__file__).parent / "templates"


def verify_commands(project_id: str, position: int) -> dict[str, str]:
    """The commands the basis page tells an auditor to run (data, not words to translate)."""
    return {
        "checkpoint_file": f"prosjektregnskap-{project_id}-checkpoint.json",
        "verify": f"ptrack audit verify --service finance --checkpoint "
        f"prosjektregnskap-{project_id}-checkpoint.json",
        "export": "ptrack audit export --service finance -o finance.ndjson",
        "verify_file": "ptrack audit verify --file finance.ndjson",
        "event": f"GET /audit/events?from_position={position}&limit=1",
    }


@functools.cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    words = writing(lang)
    env.install_gettext_translations(words.catalogue, newstyle=True)  # type: ignore[attr-defined]
    env.globals["gettext"] = env.globals["_"] = _gettext(words)
    env.filters.update(
        code=lambda text: Markup("<code>%s</code>") % text,
        amount=words.amount,
        hours=words.hours,
        share=words.share,
        day=words.day,
        moment=words.moment,
        kind=words.kind,
        entry=words.entry,
        personal=words.personal,
    )
    env.globals.update(
        change=words.change,
        changed=words.changed,
        in_kind_note=IN_KIND_NOTE,
        attestation_note=ATTESTATION_NOTE,
    )
    return env


def _gettext(words: Writing) -> Callable[..., str]:
    """`_()` in the template: the message in the page's language, filled in with its variables
    when it has any. The message is escaped like any text, and so is each variable but markup
    made here (a command in `<code>`); Jinja's own newstyle gettext would %-format every
    message and mark the result safe as it stands."""

    def gettext(message: str, /, **variables: Any) -> str:
        text = words.catalogue.gettext(message)
        return Markup(escape(text)) % variables if variables else text

    return gettext


def html(accounts: Accounts, lang: str) -> str:
    """The accounts as one HTML page, in `lang` (or the pseudo-locale)."""
    words = writing(lang)
    return (
        _environment(words.lang)
        .get_template("accounts.html")
        .render(
            a=accounts,
            lang=words.lang,
            page_css=_page_css(words),
            basis_css=_css_string(
                words._("Finance log up to position %(position)s", position=accounts.basis.position)
            ),
            commands=verify_commands(accounts.project.id, accounts.basis.position),
            checkpoint_json=_checkpoint_json(accounts),
        )
    )


def render_pdf(accounts: Accounts, lang: str) -> bytes:
    """The accounts as a PDF in `lang`."""
    import weasyprint  # only here: see the module's docstring

    document = weasyprint.HTML(string=html(accounts, lang), base_url=str(TEMPLATES))
    pdf: bytes = document.write_pdf()
    return pdf


def _page_css(words: Writing) -> str:
    """The page numbers, as CSS generated content: "Side 2 av 9". The translated message is
    split at its placeholders, each side a CSS string (escaped, so no text ends the rule or
    the style element)."""
    text = words._("Page %(page)s of %(pages)s")
    parts: list[str] = []
    rest = text
    while rest:
        cut = min(
            (index for index in (rest.find("%(page)s"), rest.find("%(pages)s")) if index >= 0),
            default=-1,
        )
        if cut < 0:
            parts.append(_css_string(rest))
            break
        if cut:
            parts.append(_css_string(rest[:cut]))
        counter = "pages" if rest.startswith("%(pages)s", cut) else "page"
        parts.append(f"counter({counter})")
        rest = rest[cut + len(f"%({counter})s") :]
    return " ".join(parts)


def _css_string(text: str) -> str:
    escaped = "".join(
        char if char.isalnum() or char in " .,:;-–·⟦⟧()" else f"\\{ord(char):x} " for char in text
    )
    return f'"{escaped}"'


def _checkpoint_json(accounts: Accounts) -> str | None:
    checkpoint = accounts.basis.checkpoint
    return None if checkpoint is None else checkpoint.model_dump_json(indent=2)
