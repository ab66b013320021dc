"""Recording facts: the list of forms a person may fill in, each form, and its submission.

A form carries the id its event will have, made when the form was first shown: sent twice (a
double click, a retry after a lost answer) it is recorded once. The service validates; its
problem details come back next to the fields they name, and nothing is recorded."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.office.forms import (
    BY_ID,
    FACTOR_QUESTION,
    FACTOR_QUESTIONS,
    FORMS,
    GROUPS,
    FieldProblem,
    Form,
    for_project,
    initial_values,
    parse,
    problems_from,
    without_empty_rows,
)
from services.office.gateway import cloudevent
from services.office.session import Session
from services.office.web import (
    Office,
    OfficeDep,
    PageNotFound,
    SessionDep,
    check_token,
    render,
)
from shared.present.formatting import title_in

router = APIRouter(prefix="/projects/{project_id}", tags=["office"])
ProjectId = Annotated[str, Path(max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
FormId = Annotated[str, Path(max_length=64, pattern=r"^[a-z-]+$")]


@router.get("/record", summary="The facts a person may record for a project")
async def forms_page(
    request: Request,
    project_id: ProjectId,
    office: OfficeDep,
    session: SessionDep,
    done: Annotated[str | None, Query(max_length=64)] = None,
    position: Annotated[int | None, Query(ge=0)] = None,
    duplicate: Annotated[bool, Query()] = False,
) -> Response:
    recorded = BY_ID.get(done) if done else None
    return render(
        request,
        office,
        "record.html",
        session,
        project=project_id,
        groups=[(group, title, [f for f in FORMS if f.group == group]) for group, title in GROUPS],
        recorded=recorded,
        position=position,
        duplicate=duplicate,
    )


@router.get("/record/{form_id}", summary="A form to record one fact")
async def form_page(
    request: Request, project_id: ProjectId, form_id: FormId, office: OfficeDep, session: SessionDep
) -> Response:
    form = _form(form_id)
    if not session.may_record:
        return _not_allowed(request, office, session, project_id)
    form = await _for_project(office, session, project_id, form)
    values = initial_values(form, session.name, date.today(), office.gettext(session.lang))
    return await _show(request, office, session, project_id, form, values, [], uuid.uuid4())


@router.post("/record/{form_id}", summary="Record one fact")
async def submit(
    request: Request, project_id: ProjectId, form_id: FormId, office: OfficeDep, session: SessionDep
) -> Response:
    form = _form(form_id)
    submitted = await request.form()
    values = {name: str(value) for name, value in submitted.items() if isinstance(value, str)}
    check_token(session, values.get("csrf"))
    if not session.may_record:
        return _not_allowed(request, office, session, project_id)
    form = await _for_project(office, session, project_id, form)
    try:
        event_id = uuid.UUID(values.get("event_id", ""))
    except ValueError:
        event_id = uuid.uuid4()  # a form not made here: a new id, and nothing recorded twice
    parsed = parse(form, values)
    if parsed.problems:
        return await _show(
            request, office, session, project_id, form, values, parsed.problems, event_id, 422
        )
    data = without_empty_rows(parsed.data)
    subject = project_id
    if form.subject == "new-survey":
        subject = f"survey-{event_id.hex[:12]}"  # the same on every retry of this form
        data["project_id"] = project_id
    event = cloudevent(event_id, form.event_type, subject, data)
    answer = await office.gateway.post_events(session.key, form.service, [event])
    if not answer.ok:
        problems = problems_from(form, answer.body)
        status = answer.status if answer.status in (403, 409, 422) else 502
        return await _show(
            request, office, session, project_id, form, values, problems, event_id, status
        )
    position = answer.body.get("position")
    target = f"/projects/{project_id}/record?done={form.id}"
    if position is not None:
        target += f"&position={position}"
    if answer.body.get("duplicate"):
        target += "&duplicate=true"
    return RedirectResponse(target, status_code=303)


def _form(form_id: str) -> Form:
    form = BY_ID.get(form_id)
    if form is None:
        raise PageNotFound
    return form


async def _for_project(office: Office, session: Session, project: str, form: Form) -> Form:
    """The form with the project's own assessment dimensions and success factors, as the
    registry and the surveys service hold its plan's rules, named in the reader's language."""
    gateway, lang = office.gateway, session.lang
    dimensions = factor_questions = None
    if any(item.name.startswith("scores.") for item in form.fields):
        rules = await gateway.get(session.key, "registry", f"/projects/{project}/rules")
        if rules is not None:
            dimensions = [(d["id"], title_in(d, lang, "name")) for d in rules["dimensions"]]
    if form.event_type == "SurveyPublished":
        rules = await gateway.get(session.key, "surveys", f"/projects/{project}/rules")
        if rules is not None:
            written = dict(FACTOR_QUESTIONS)
            ask = office.gettext(lang)(FACTOR_QUESTION)
            factor_questions = [
                (f["id"], written.get(f["id"]) or ask % {"factor": title_in(f, lang, "name")})
                for f in rules["factors"]
            ]
    return for_project(form, dimensions, factor_questions)


def _not_allowed(request: Request, office: Office, session: Session, project: str) -> Response:
    return render(request, office, "forbidden.html", session, status_code=403, project=project)


async def _show(
    request: Request,
    office: Office,
    session: Session,
    project: str,
    form: Form,
    values: Mapping[str, str],
    problems: list[FieldProblem],
    event_id: uuid.UUID,
    status_code: int = 200,
) -> Response:
    options = await choices(office, session, project, form)
    return render(
        request,
        office,
        "form.html",
        session,
        status_code=status_code,
        project=project,
        form=form,
        values=values,
        options=options,
        at_field={p.field: p for p in problems if p.field},
        problems=problems,
        event_id=str(event_id),
    )


async def choices(
    office: Office, session: Session, project: str, form: Form
) -> dict[str, list[tuple[str, str]]]:
    """The lists a form's fields choose from, as the services know the project now."""
    needed = {item.options for item in form.fields if isinstance(item.options, str)}
    found: dict[str, list[tuple[str, str]]] = {}
    gateway, key = office.gateway, session.key
    if needed & {"milestones", "goals", "decision_points", "activities", "budget_lines"}:
        status = await gateway.get(
            key, "reporting", f"/projects/{project}/status", {"wait": "true"}
        )
        schedule: dict[str, Any] = (status or {}).get("schedule") or {}
        money: dict[str, Any] = (status or {}).get("money") or {}
        for name in ("milestones", "goals", "decision_points", "activities"):
            found[name] = [
                (item["id"], f"{item['id']}: {title_in(item, session.lang)}")
                for item in schedule.get(name, [])
            ]
        found["budget_lines"] = [
            (line["id"], title_in(line, session.lang, "name")) for line in money.get("lines", [])
        ]
        found["municipalities"] = [(m, m) for m in sorted(money.get("in_kind_by_municipality", {}))]
    if "networks" in needed or "municipalities" in needed:
        register = await gateway.get(key, "registry", f"/projects/{project}/networks")
        networks = (register or {}).get("networks", [])
        found["networks"] = [(n["id"], n["name"]) for n in networks]
        known = {m for m, _ in found.get("municipalities", [])}
        known |= {m for n in networks for m in n.get("municipalities", [])}
        found["municipalities"] = [(m, m) for m in sorted(known)]
    if "municipalities" in needed:
        budget = await gateway.get(key, "finance", f"/projects/{project}/budget")
        known = {m for m, _ in found.get("municipalities", [])}
        known |= set((budget or {}).get("municipalities", []))
        found["municipalities"] = [(m, m) for m in sorted(known)]
    if "in_kind_entries" in needed:
        page = await gateway.get(
            key, "finance", f"/projects/{project}/in-kind/entries", {"limit": "1000"}
        )
        found["in_kind_entries"] = [
            (
                e["entry"],
                f"{e['work_date']} {e['person']}, {e['municipality']}: {e['hours']} h "
                f"({e['activity']}, {e['value']})",
            )
            for e in (page or {}).get("items", [])
            if not e["withdrawn"]
        ]
    if "funding_sources" in needed:
        funding = await gateway.get(key, "finance", f"/projects/{project}/funding")
        found["funding_sources"] = [
            (s["id"], title_in(s, session.lang, "name"))
            for s in (funding or {}).get("sources", [])
            if s["kind"] != "in_kind"
        ]
    if "bookings" in needed:
        page = await gateway.get(key, "finance", f"/projects/{project}/costs", {"limit": "1000"})
        found["bookings"] = [
            (b["booking_id"], f"{b['booking_id']} ({b['voucher']}, {b['net']})")
            for b in (page or {}).get("items", [])
            if b["net"] not in ("0", "0.00")
        ]
    if "focus_areas" in needed:
        rules = await gateway.get(key, "registry", f"/projects/{project}/rules")
        found["focus_areas"] = [
            (area["id"], title_in(area, session.lang, "name"))
            for area in (rules or {}).get("focus_areas", [])
        ]
    return found
