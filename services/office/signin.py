"""Signing in with a personal key, signing out, and choosing a language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.office.i18n import LANGUAGES, known
from services.office.session import (
    COOKIE,
    LANG_COOKIE,
    SIGN_IN_COOKIE,
    SIGN_IN_ROLES,
    Session,
    new_token,
    tokens_match,
)
from services.office.web import (
    MaybeSession,
    OfficeDep,
    check_token,
    is_secure,
    language_of,
    render,
)

router = APIRouter(tags=["office"])
Text = Annotated[str, Form(max_length=500)]


def _local(path: str | None) -> str:
    """Where to go after signing in: a path of the office itself, never another site."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/projects"
    return path


@router.get("/", include_in_schema=False)
async def home() -> Response:
    return RedirectResponse("/projects", status_code=303)


@router.get("/signin", summary="The sign-in page")
async def sign_in_page(
    request: Request,
    office: OfficeDep,
    session: MaybeSession,
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    if session is not None:
        return RedirectResponse(_local(next), status_code=303)
    return _sign_in_form(request, office, _local(next), None, 200)


def _sign_in_form(
    request: Request, office: OfficeDep, next_path: str, error: str | None, status: int
) -> Response:
    token = new_token()
    response = render(
        request,
        office,
        "signin.html",
        None,
        status_code=status,
        form_token=token,
        next_path=next_path,
        error=error,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
    )
    return response


@router.post("/signin", summary="Sign in with a personal key")
async def sign_in(
    request: Request,
    office: OfficeDep,
    key: Text,
    csrf: Text,
    next: Annotated[str, Form(max_length=500)] = "/projects",
) -> Response:
    gettext = office.gettext(language_of(request, None))
    if not tokens_match(csrf, request.cookies.get(SIGN_IN_COOKIE) or new_token()):
        return _sign_in_form(
            request, office, _local(next), gettext("The page had expired; please try again."), 403
        )
    owner = await office.gateway.whoami(key.strip())
    if owner is None:
        error = gettext("That key is not valid, or it has expired or been revoked.")
        return _sign_in_form(request, office, _local(next), error, 401)
    if owner["role"] not in SIGN_IN_ROLES:
        error = gettext(
            "That is a key for a system (an integration). Ask your administrator for a "
            "personal key."
        )
        return _sign_in_form(request, office, _local(next), error, 403)
    session = Session(
        key=key.strip(),
        key_id=owner["key_id"],
        name=owner["name"],
        role=owner["role"],
        csrf=new_token(),
        lang=language_of(request, None),
    )
    response = RedirectResponse(_local(next), status_code=303)
    set_session(request, office, response, session)
    response.delete_cookie(SIGN_IN_COOKIE)
    return response


def set_session(request: Request, office: OfficeDep, response: Response, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        office.sealer.seal(session),
        max_age=office.sealer.max_age_seconds,
        httponly=True,
        samesite="lax",  # sent when a person follows a link to the office; never with a post
        secure=is_secure(request),
    )


@router.post("/signout", summary="Sign out")
async def sign_out(session: MaybeSession, csrf: Text) -> Response:
    response = RedirectResponse("/signin", status_code=303)
    if session is not None:
        check_token(session, csrf)
        response.delete_cookie(COOKIE)
    return response


@router.post("/language", summary="Choose the language of the pages")
async def language(
    request: Request,
    office: OfficeDep,
    session: MaybeSession,
    lang: Annotated[str, Form(max_length=10)],
    back: Annotated[str, Form(max_length=500)] = "/projects",
    csrf: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    chosen = known(lang) if lang in LANGUAGES else language_of(request, session)
    response = RedirectResponse(_local(back), status_code=303)
    if session is not None:
        check_token(session, csrf)
        set_session(request, office, response, session.with_lang(chosen))
    response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="lax")
    return response
