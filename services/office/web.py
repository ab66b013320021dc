"""What every office page needs: its templates in the reader's language, the signed-in
session (or a way to the sign-in page), the form token check, and the security headers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from babel.support import NullTranslations
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from services.office.explain import explained
from services.office.forms import N_
from services.office.gateway import Gateway
from services.office.i18n import LANGUAGES, Formats, known, negotiate, translations
from services.office.session import COOKIE, LANG_COOKIE, Session, SessionSealer, tokens_match
from shared.present.formatting import title_in
from shared.privacy.personal import ERASED_PREFIX, is_erased

TEMPLATES = Path(__file__).parent / "templates"
SECURITY_HEADERS = {
    # Everything the pages load comes from the office itself; charts are inline data: images.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _environment(lang: str, catalogue: NullTranslations) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    env.globals["gettext"] = _gettext(catalogue)  # what `_()` calls
    formats = Formats(lang)
    env.filters.update(
        money=formats.money,
        number=formats.number,
        percent=formats.percent,
        day=formats.date,
        moment=formats.moment,
        # A plan item's title or name in the reader's language, where the plan gives one.
        titled=lambda item: title_in(item, lang),
        named=lambda item: title_in(item, lang, "name"),
        texted=lambda item: title_in(item, lang, "text"),
        personal=lambda value: _personal(catalogue, value),
    )
    env.globals.update(lang=lang, languages=LANGUAGES)
    # A problem as the reader reads it: a rule's meaning from the catalogue on a page not in
    # English, the service's own words otherwise (and for a rule it has no meaning for).
    env.globals["meaning"] = lambda problem: (
        catalogue.gettext(found)
        if lang != "en" and (found := explained(problem.rule)) is not None
        else catalogue.gettext(problem.message)
    )
    return env


ERASED = N_("erased (%(id)s)")
"""What an erased person's name reads as: the same for every field of theirs, so one erased
person is still told from another."""


def _personal(catalogue: NullTranslations, value: Any) -> Any:
    if not is_erased(value):
        return value
    return catalogue.gettext(ERASED) % {"id": str(value).removeprefix(ERASED_PREFIX)}


def _gettext(catalogue: NullTranslations) -> Callable[..., str]:
    """`_()` in the templates: the message in the page's language, filled in with its variables
    when it has any. Jinja's own (newstyle) gettext %-formats every message and marks it safe,
    so a label such as "Share complete (%)" failed to render, and a service's message that
    quotes what a person typed was put into the page as HTML; here it is escaped like any text."""

    @pass_context
    def gettext(_context: Context, message: str, /, **variables: Any) -> str:
        text = catalogue.gettext(message)
        return text % variables if variables else text

    return gettext


@dataclass
class Office:
    """The app's parts, on `app.state.office`."""

    gateway: Gateway
    sealer: SessionSealer
    catalogues: dict[str, NullTranslations]
    environments: dict[str, Environment]

    @classmethod
    def create(cls, gateway: Gateway, sealer: SessionSealer) -> Office:
        catalogues = {lang: translations(lang) for lang in LANGUAGES}
        environments = {lang: _environment(lang, catalogues[lang]) for lang in LANGUAGES}
        return cls(gateway, sealer, catalogues, environments)

    def gettext(self, lang: str) -> Callable[[str], str]:
        """Messages in `lang`, for what Python code shows (templates have their own `_`)."""
        return self.catalogues[known(lang)].gettext


async def get_office(request: Request) -> Office:
    office: Office = request.app.state.office
    return office


OfficeDep = Annotated[Office, Depends(get_office)]


class SignInNeeded(Exception):
    """Raised by a page that needs a session; answered with a way to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


async def optional_session(request: Request, office: OfficeDep) -> Session | None:
    return office.sealer.open(request.cookies.get(COOKIE))


async def signed_in(
    request: Request, session: Annotated[Session | None, Depends(optional_session)]
) -> Session:
    if session is None:
        raise SignInNeeded(request.url.path)
    return session


SessionDep = Annotated[Session, Depends(signed_in)]
MaybeSession = Annotated[Session | None, Depends(optional_session)]


class PageNotFound(Exception):
    """No such page (a form or a project the services do not know)."""


class FormTokenWrong(Exception):
    """A form came without this session's token: not sent from the office's own page."""


def check_token(session: Session, sent: str | None) -> None:
    if not tokens_match(sent, session.csrf):
        raise FormTokenWrong


def language_of(request: Request, session: Session | None) -> str:
    if session is not None:
        return known(session.lang)
    return known(
        request.cookies.get(LANG_COOKIE) or negotiate(request.headers.get("accept-language"))
    )


def render(
    request: Request,
    office: Office,
    template: str,
    session: Session | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = language_of(request, session)
    page = office.environments[lang].get_template(template)
    html = page.render(request=request, session=session, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def to_sign_in(next_path: str) -> Response:
    return RedirectResponse(f"/signin?next={quote(next_path, safe='/')}", status_code=303)


def is_secure(request: Request) -> bool:
    """Whether the browser reached the office over HTTPS (directly or through a proxy that says
    so), in which case its cookies are sent only over HTTPS."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"
