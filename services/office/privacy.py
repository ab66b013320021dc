"""Personal data, for admins: erase a data subject (a person, a registry member, a survey
respondent) and see the erasures recorded. Through a service's `/admin/privacy/erasures`, with
the admin's own key: the office keeps nothing, and the services rebuild their read models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.office.forms import N_, FieldProblem
from services.office.session import Session
from services.office.web import Office, OfficeDep, SessionDep, check_token, render

router = APIRouter(tags=["office"])
ROUTE = "/admin/privacy/erasures"
SERVICE = "registry"
"""Any service answers: they share the keyring and the privacy log."""
KINDS = (
    ("person", N_("A person, by name")),
    ("member", N_("A registry member, by member id")),
    ("respondent", N_("A survey respondent, by pseudonym")),
)
BASES = (
    ("request", N_("The person asked to be erased (GDPR art. 17)")),
    ("retention", N_("The retention time has passed")),
)
LABELS = {
    "kind": N_("Who"),
    "who": N_("Name or id"),
    "basis": N_("Basis"),
    "requested_by": N_("Requested by"),
    "reason": N_("Reason"),
    "confirm": N_("Confirmation"),
}
CODES = (N_("person"), N_("member"), N_("respondent"), N_("request"), N_("retention"))
"""The privacy log's words, as the erasures table shows them."""
FIELDS = {
    "/subjects/0": "who",
    "/subjects": "who",
    "/requested_by": "requested_by",
    "/reason": "reason",
    "/basis": "basis",
}
"""The service's problem pointers, by the field of this form they are about."""


@router.get("/privacy", summary="Personal data: the erasures, and erasing a data subject")
async def privacy_page(
    request: Request,
    office: OfficeDep,
    session: SessionDep,
    erased: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> Response:
    if session.role != "admin":
        return _not_allowed(request, office, session)
    return await _show(request, office, session, {"basis": "request"}, [], erased=erased)


@router.post("/privacy", summary="Erase a data subject")
async def erase(request: Request, office: OfficeDep, session: SessionDep) -> Response:
    submitted = await request.form()
    values = {name: str(value).strip() for name, value in submitted.items()}
    check_token(session, values.get("csrf"))
    if session.role != "admin":
        return _not_allowed(request, office, session)
    problems = _checked(values)
    if problems:
        return await _show(request, office, session, values, problems, status_code=422)
    body = {
        "subjects": [f"{values['kind']}:{values['who']}"],
        "basis": values["basis"],
        "requested_by": values["requested_by"],
        "reason": values["reason"],
    }
    answer = await office.gateway.post(session.key, SERVICE, ROUTE, body)
    if answer.status == 202:
        return RedirectResponse(f"/privacy?erased={len(answer.body['erasures'])}", status_code=303)
    if answer.status == 403:
        return _not_allowed(request, office, session)
    return await _show(
        request, office, session, values, _refused(answer.status, answer.body), status_code=422
    )


def _checked(values: Mapping[str, str]) -> list[FieldProblem]:
    problems = []
    if values.get("kind") not in {kind for kind, _ in KINDS}:
        problems.append(FieldProblem("kind", N_("Choose who is to be erased."), "required"))
    if not values.get("who"):
        problems.append(FieldProblem("who", N_("Write the name or the id."), "required"))
    if values.get("basis") not in {basis for basis, _ in BASES}:
        problems.append(FieldProblem("basis", N_("Choose the basis."), "required"))
    for name in ("requested_by", "reason"):
        if not values.get(name):
            problems.append(FieldProblem(name, N_("This is required."), "required"))
    if values.get("confirm") != "on":
        message = N_("Tick the box: an erasure cannot be undone.")
        problems.append(FieldProblem("confirm", message, "confirm"))
    return problems


def _refused(status: int, problem: Mapping[str, Any]) -> list[FieldProblem]:
    if status == 404:
        message = N_("Nobody is recorded so. Check the spelling, or the kind.")
        return [FieldProblem("who", message, "unknown_subject")]
    errors = problem.get("errors") or []
    found = [
        FieldProblem(FIELDS.get(e.get("pointer", "")), e.get("detail", ""), e.get("rule"))
        for e in errors
    ]
    detail = problem.get("detail") or N_("The services could not erase now; try again later.")
    return found or [FieldProblem(None, str(detail))]


async def _show(
    request: Request,
    office: Office,
    session: Session,
    values: Mapping[str, str],
    problems: list[FieldProblem],
    *,
    erased: int | None = None,
    status_code: int = 200,
) -> Response:
    log = await office.gateway.get(session.key, SERVICE, ROUTE) or {}
    return render(
        request,
        office,
        "privacy.html",
        session,
        status_code=status_code,
        values=values,
        problems=problems,
        at_field={problem.field: problem for problem in problems if problem.field},
        labels=LABELS,
        kinds=KINDS,
        bases=BASES,
        erasures=list(reversed(log.get("erasures", []))),
        read_models=log.get("read_models", {}),
        erased=erased,
    )


def _not_allowed(request: Request, office: Office, session: Session) -> Response:
    return render(request, office, "forbidden.html", session, status_code=403)
