"""A demo history of the 2010 pre-project, posted through the services' public HTTP APIs.

`run_demo` tells February to December 2010 of `kongsbergregionen-2010` the way its integrations
would have reported it: the accounting system's bookings and the grant, the time sheets' in-kind
hours, the project office's milestones, progress reports and steering-group decisions, the
project group's register of information networks, and the survey tool's pilot and seminar
surveys (part of the seminar answers through the Formbricks webhook). The default plan must be
loaded first (`ptrack plan load plans/kongsbergregionen-2010.yaml`).

The story, as of 31 December 2010: twelve networks mapped and assessed by 1 April, four of them
in the pilot of the network school from August, one retired in October; M1-M6 and M8 reached
(M2 after Easter, M5 after a moved forecast), M7 (test and evaluation) missed and overdue;
BP2 deferred in early September and approved at the end of it, BP3 approved in December; 10 000
moved from contingency to external expertise (RU 22/2010); process costs end over budget while
the money as a whole stays within the frame.

Every event names its system (`urn:ptrack:demo:<system>`) and has a uuid5 id made from the seed
and a key naming what it records, so running the demo again records nothing new. One seed tells
one story: a history told with another seed clashes with it (its booking ids repeat with other
content), so use one seed per database.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ptrack.client import ApiError
from ptrack.plan import Plan, read_plan
from services.registry.events import DIMENSIONS
from shared.http.events import CLOUDEVENT_BATCH
from shared.money import format_ore, parse_ore

DEFAULT_PLAN = Path(__file__).resolve().parent.parent / "plans" / "kongsbergregionen-2010.yaml"
STATUS_DATE = date(2010, 12, 31)
"""The day to look at the demo: the end of the project period."""
_SEMINAR = date(2010, 11, 18)
"""The regional inspiration seminar (HM6)."""
SERVICES = ("registry", "milestones", "finance", "surveys")
MAX_BATCH = 500

_NAMESPACE = uuid.UUID("5b7e0c3a-9d41-4f6a-8c2e-1a0d7e6f4b29")
_KRONE = 100
"""Øre per krone: amounts are integer øre, as in the finance service."""


class DemoError(RuntimeError):
    """The demo cannot start: a service is missing or the plan is not loaded."""


class DemoRefused(ApiError):
    """A service refused part of the demo; the message names the step, the problem's detail
    and each broken rule."""

    def __init__(self, step: str, response: httpx.Response) -> None:
        super().__init__(response)
        self.step = step
        self.args = (f"{step}: {self.args[0]}",)


@dataclass(frozen=True)
class ServiceCounts:
    posted: int
    recorded: int
    """Events the service recorded now; 0 when it had every one already."""
    position: int | None
    """The highest log position in the service's receipts: read with `?min_position=` to see
    the whole demo."""


@dataclass(frozen=True)
class DemoSummary:
    project: str
    status_date: date
    services: Mapping[str, ServiceCounts]

    @property
    def posted(self) -> int:
        return sum(counts.posted for counts in self.services.values())

    @property
    def recorded(self) -> int:
        return sum(counts.recorded for counts in self.services.values())

    def report(self) -> str:
        per_service = ", ".join(
            f"{name} {counts.recorded}/{counts.posted}" for name, counts in self.services.items()
        )
        return (
            f"demo {self.project}: {self.posted} events posted, {self.recorded} newly recorded "
            f"({per_service}); look at it as of status_date={self.status_date}"
        )


def run_demo(
    urls: Mapping[str, str], key: str, *, seed: int = 2010, progress: bool = True
) -> DemoSummary:
    """Post the demo history to the services at `urls` (service name -> base URL) with `key`."""
    missing = [service for service in SERVICES if service not in urls]
    if missing:
        raise DemoError(f"the demo needs the URLs of {', '.join(missing)}")
    plan = read_plan(DEFAULT_PLAN)
    history = _tell(plan, seed)
    steps = _steps(history.posts)
    with _Poster(urls, key) as poster:
        _require_plan(poster, urls, plan.project_id)
        tallies = _post_all(poster, steps, progress)
    return DemoSummary(
        project=plan.project_id,
        status_date=STATUS_DATE,
        services={
            service: ServiceCounts(tally.posted, tally.recorded, tally.position)
            for service, tally in tallies.items()
        },
    )


# -- the calendar ----------------------------------------------------------------------------

# Norwegian public holidays on weekdays in the project period, and Christmas Eve.
_HOLIDAYS = frozenset(
    {
        date(2010, 4, 1),
        date(2010, 4, 2),
        date(2010, 4, 5),
        date(2010, 5, 13),
        date(2010, 5, 17),
        date(2010, 5, 24),
        date(2010, 12, 24),
    }
)
_MONTH_NAMES = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip


def _working(day: date) -> bool:
    return day.weekday() < 5 and day not in _HOLIDAYS


def _workday_from(day: date) -> date:
    while not _working(day):
        day += timedelta(days=1)
    return day


def _workdays(first: date, last: date) -> list[date]:
    return [
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if _working(first + timedelta(days=n))
    ]


def _month_days(month: str) -> list[date]:
    first = date.fromisoformat(f"{month}-01")
    following = (first + timedelta(days=32)).replace(day=1)
    return _workdays(first, following - timedelta(days=1))


def _month(day: date) -> str:
    return day.isoformat()[:7]


def _month_name(month: str) -> str:
    return f"{_MONTH_NAMES[int(month[5:]) - 1]} {month[:4]}"


# -- the history -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _System:
    """An integration of the project: the service it posts to and its name in `source`."""

    service: str
    name: str


_ACCOUNTING = _System("finance", "accounting")
_TIMESHEETS = _System("finance", "timesheets")
_FINANCE_OFFICE = _System("finance", "project-office")
_PROJECT_OFFICE = _System("milestones", "project-office")
_PROJECT_GROUP = _System("registry", "project-group")
_SURVEY_TOOL = _System("surveys", "survey-tool")


@dataclass(frozen=True)
class _Post:
    service: str
    day: date
    body: dict[str, Any]
    webhook: bool = False
    """A Formbricks webhook body for the surveys service, not a CloudEvent."""


class _History:
    """The demo's events in the order they are told, each with an id fixed by seed and key."""

    def __init__(self, seed: int, project: str) -> None:
        self.seed = seed
        self.project = project
        self.posts: list[_Post] = []
        self._keys: set[str] = set()

    def event(
        self,
        system: _System,
        type_: str,
        data: dict[str, Any],
        day: date,
        key: str,
        subject: str | None = None,
    ) -> None:
        name = f"{system.service}/{type_}/{key}"
        if name in self._keys:  # two events under one key would share an id
            raise ValueError(f"demo event key used twice: {name}")
        self._keys.add(name)
        body = {
            "specversion": "1.0",
            "id": str(self.uuid(name)),
            "source": f"urn:ptrack:demo:{system.name}",
            "type": type_,
            "subject": subject or self.project,
            "data": data,
        }
        self.posts.append(_Post(system.service, day, body))

    def webhook(self, day: date, body: dict[str, Any]) -> None:
        self.posts.append(_Post("surveys", day, body, webhook=True))

    def uuid(self, name: str) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, f"{self.seed}/{name}")

    def pseudonym(self, prefix: str, name: str) -> str:
        return f"{prefix}-{self.uuid(name).hex[:12]}"


def _tell(plan: Plan, seed: int) -> _History:
    history = _History(seed, plan.project_id)
    # One generator per part, each seeded from the demo's seed in a fixed order, so a change to
    # one part's story leaves the others' as they were.
    root = random.Random(seed)
    rngs = {
        part: random.Random(root.getrandbits(64))
        for part in ("people", "finance", "in-kind", "milestones", "registry", "surveys")
    }
    register = _register(rngs["people"], plan)
    _finance(history, rngs["finance"], plan)
    _in_kind(history, rngs["in-kind"], plan, register.people)
    _milestones(history, rngs["milestones"], plan)
    _registry(history, rngs["registry"], register)
    _surveys(history, rngs["surveys"], register)
    return history


# -- people and networks ---------------------------------------------------------------------

_FIRST_NAMES = (
    "Kari", "Ola", "Ingrid", "Lars", "Marit", "Per", "Anne", "Knut", "Solveig", "Tor", "Hilde",
    "Bjørn", "Randi", "Svein", "Gunn", "Arne", "Liv", "Geir", "Berit", "Odd", "Tone", "Jon",
    "Eli", "Rune", "Torill", "Halvor", "Astrid", "Nils", "Sigrid", "Trond", "Inger", "Egil",
    "Kristin", "Terje", "Mette", "Øyvind", "Hanne", "Gunnar", "Ragnhild", "Helge",
)  # fmt: skip
_SURNAMES = (
    "Haugen", "Bakke", "Lien", "Nordby", "Sunde", "Kittelsen", "Rustad", "Tveiten", "Myhre",
    "Solberg", "Holm", "Berge", "Aasen", "Dokken", "Gjerde", "Strand", "Moen", "Hovde",
    "Rønning", "Flatin", "Bergan", "Opsahl", "Kolbjørnshus", "Tufte",
)  # fmt: skip
_ROLES = (
    "rådgiver", "konsulent", "enhetsleder", "IKT-rådgiver", "saksbehandler", "kommunalsjef",
    "fagleder", "prosjektmedarbeider",
)  # fmt: skip
_RATES = (450, 475, 500, 525, 550, 575, 600, 650)
"""Hourly rates (kroner) of municipal staff, for valuing their in-kind work."""
_PEOPLE = 42


@dataclass(frozen=True)
class _Person:
    id: str
    name: str
    municipality: str
    role: str
    rate: int
    """Kroner per hour."""


@dataclass(frozen=True)
class _Network:
    id: str
    name: str
    kind: Literal["internal", "external"]
    focus: str
    municipalities: tuple[str, ...]
    """Empty: every municipality of the region."""
    tools: tuple[str, ...]
    state: Literal["active", "passive", "dormant"]
    size: int
    """People in the network when it is mapped."""
    quality: float
    """How well it works, 1-5: the centre of its assessment scores."""
    works_well: str
    works_less_well: str
    pilot: str | None = None
    """Why it was chosen for the pilot; None: not chosen."""
    organisations: tuple[str, ...] = ()


_NUMEDAL = ("Flesberg", "Rollag", "Nore og Uvdal")
_NETWORKS = (
    _Network(
        "ikt-forum", "IKT-forum Kongsbergregionen", "internal", "digitalisering og felles IKT",
        (), ("e-post", "felles nettområde", "telefonmøter"), "active", 10, 3.4,
        "Faste månedlige møter og en tydelig koordinator. Medlemmene deler erfaringer fra "
        "innkjøp og drift.",
        "Lite bruk av felles nettområde; dokumenter sendes fortsatt på e-post. De minste "
        "kommunene deltar sjelden.",
        pilot="Aktivt nettverk med tydelig mandat; godt egnet til å prøve ut samhandlingsverktøy",
    ),
    _Network(
        "helse-omsorg", "Nettverk for helse og omsorg", "internal", "helse og omsorg",
        (), ("e-post", "fysiske møter"), "active", 9, 3.0,
        "Høy faglig nytte; deltakerne kjenner hverandre godt.",
        "Avhengig av én ildsjel; mangler skriftlig mandat og møtereferater.",
        pilot="Stort behov for samhandling mellom kommunene; engasjerte deltakere",
    ),
    _Network(
        "oppvekst", "Oppvekstnettverket", "internal", "oppvekst og utdanning",
        (), ("e-post", "læringsplattform"), "active", 8, 3.2,
        "Felles kompetanseplan for skolene gir nettverket en klar oppgave.",
        "Møtene blir informasjonsmøter; lite arbeid mellom møtene.",
        pilot="Etablert nettverk for skoleledere med felles kompetanseplan",
    ),
    _Network(
        "folkehelse", "Folkehelsenettverket", "internal", "folkehelse",
        ("Kongsberg", *_NUMEDAL), ("e-post",), "active", 7, 2.6,
        "Stor entusiasme og mange ideer.",
        "Uklart formål og svak forankring hos rådmennene; få møter så langt.",
        pilot="Nytt og lite nettverk; viktig å se om nettverksskolen hjelper i oppstarten",
    ),
    _Network(
        "okonomi", "Økonomiforum", "internal", "økonomi og innkjøp",
        (), ("e-post", "fysiske møter"), "active", 4, 3.6,
        "Godt innarbeidet; felles innkjøpsavtaler er et synlig resultat.",
        "Lukket for nye deltakere; lite deling utenfor møtene.",
    ),
    _Network(
        "arkiv", "Arkivnettverket", "internal", "dokumentasjon og arkiv",
        (), ("e-post",), "passive", 3, 2.4,
        "Nyttig ved innføringen av nytt sak- og arkivsystem.",
        "Har ikke møttes siden høsten 2009; ingen koordinator med tid til oppgaven.",
    ),
    _Network(
        "plan-bygg", "Plan- og byggesaksforum", "internal", "areal- og samfunnsplanlegging",
        (), ("e-post", "fysiske møter"), "active", 4, 3.1,
        "Praktisk erfaringsdeling om saksbehandling og lovendringer.",
        "Få deltakere fra de minste kommunene; reiseavstand hindrer fysiske møter.",
    ),
    _Network(
        "landbruk", "Landbruksnettverket i Numedal", "internal", "landbruk og bygdeutvikling",
        _NUMEDAL, ("fysiske møter", "telefonmøter"), "active", 3, 3.3,
        "Tett samarbeid og felles prosjekter mellom Numedalskommunene.",
        "Lite kontakt med resten av regionen.",
    ),
    _Network(
        "naering", "Næringsnettverket Kongsbergregionen", "external", "næringsutvikling",
        (), ("e-post", "fysiske møter", "nyhetsbrev"), "active", 4, 3.5,
        "Godt samarbeid med næringslivet; frokostmøtene er godt besøkt.",
        "Uklar rollefordeling mellom kommunene og næringsforeningen.",
        organisations=("Næringsforeningen i Kongsbergregionen", "Handelsstanden i Kongsberg"),
    ),
    _Network(
        "reiseliv", "Reiselivsforum Numedal", "external", "reiseliv og kultur",
        _NUMEDAL, ("e-post",), "dormant", 3, 1.9,
        "Godt kjennskap til reiselivsaktørene i dalen.",
        "Ingen aktivitet på over et år; oppgavene er i praksis overtatt av destinasjonsselskapet.",
        organisations=("Numedal reiselivsråd",),
    ),
    _Network(
        "personal", "HR-nettverket", "internal", "personal og organisasjon",
        (), ("e-post", "fysiske møter"), "active", 3, 3.0,
        "Felles retningslinjer og maler deles aktivt.",
        "Mangler mål ut over erfaringsdeling.",
    ),
    _Network(
        "kompetanse", "Kompetanseforum Kongsberg", "external", "kompetanse og rekruttering",
        ("Kongsberg", "Notodden"), ("e-post", "fysiske møter"), "active", 4, 2.8,
        "Kobler kommunene med høgskole og industri.",
        "Lav deltakelse fra kommunene; agendaen styres av de største aktørene.",
        organisations=("Høgskolemiljøet i Kongsberg", "Teknologibedriftenes kompetanseråd"),
    ),
)  # fmt: skip
_FEW_AFTER = "folkehelse"
"""The small pilot network whose after survey gets 4 answers, too few to show."""


@dataclass(frozen=True)
class _Register:
    networks: tuple[_Network, ...]
    municipalities: tuple[str, ...]
    people: tuple[_Person, ...]
    members: Mapping[str, tuple[_Person, ...]]
    """Each network's people when it is mapped."""
    registered: Mapping[str, date]


def _register(rng: random.Random, plan: Plan) -> _Register:
    municipalities: list[str] = list(plan.data["municipalities"])
    networks = tuple(
        replace(n, municipalities=tuple(m for m in n.municipalities if m in municipalities))
        for n in _NETWORKS
    )
    people = _people(rng, municipalities)
    members = _assign_members(rng, networks, people, municipalities)
    days = _workdays(date(2010, 2, 15), date(2010, 3, 12))
    registered = {network.id: rng.choice(days) for network in networks}
    return _Register(networks, tuple(municipalities), people, members, registered)


def _people(rng: random.Random, municipalities: Sequence[str]) -> tuple[_Person, ...]:
    # Two in every municipality so each one documents in-kind work; the rest weighted towards
    # the first (Kongsberg, the largest).
    homes = [m for m in municipalities for _ in range(2)]
    weights = [4.0 if index == 0 else 1.0 for index in range(len(municipalities))]
    homes += rng.choices(municipalities, weights=weights, k=_PEOPLE - len(homes))
    names: list[str] = []
    while len(names) < len(homes):
        name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_SURNAMES)}"
        if name not in names:
            names.append(name)
    return tuple(
        _Person(f"person-{n + 1:02d}", name, home, rng.choice(_ROLES), rng.choice(_RATES))
        for n, (name, home) in enumerate(zip(names, homes, strict=True))
    )


def _assign_members(
    rng: random.Random,
    networks: Sequence[_Network],
    people: Sequence[_Person],
    municipalities: Sequence[str],
) -> dict[str, tuple[_Person, ...]]:
    """Everyone in one network first, taken in turns by the networks from their own
    municipalities; the places left go to people already in one or two (the bridges)."""
    members: dict[str, list[_Person]] = {network.id: [] for network in networks}
    count: Counter[str] = Counter()

    def local(network: _Network, person: _Person) -> bool:
        return person.municipality in (network.municipalities or municipalities)

    unassigned = rng.sample(list(people), len(people))
    while unassigned and any(len(members[n.id]) < n.size for n in networks):
        for network in networks:
            if unassigned and len(members[network.id]) < network.size:
                pick = next((p for p in unassigned if local(network, p)), unassigned[0])
                unassigned.remove(pick)
                members[network.id].append(pick)
                count[pick.id] += 1
    for network in networks:
        while len(members[network.id]) < network.size:
            candidates = [p for p in people if p not in members[network.id] and count[p.id] < 3]
            pick = min(candidates, key=lambda p: (not local(network, p), count[p.id], rng.random()))
            members[network.id].append(pick)
            count[pick.id] += 1
    return {network: tuple(found) for network, found in members.items()}


# -- finance ---------------------------------------------------------------------------------

_REVISION = {"contingency": -10_000 * _KRONE, "external-expertise": 10_000 * _KRONE}
_REVISED_ON = date(2010, 9, 6)
_REVISION_REF = "RU 22/2010"


@dataclass(frozen=True)
class _Line:
    """How the accounting system books on one budget line."""

    id: str
    target: tuple[float, float]
    """Booked by year end as a share of the line's budget after the revision (low, high)."""
    noise: float
    """How far a month may stray from the plan's time-phased cost, before scaling to target."""
    items: tuple[tuple[str, str], ...]
    """Suppliers and texts; `{month}` is the month's name."""
    regular: tuple[str, str, int] | None = None
    """Booked on every month's last working day: supplier, text, kroner."""
    special: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """The month's largest booking, by month."""
    months: int | None = None
    """Book in only this many of the planned months (contingency is used now and then)."""
    extra: Mapping[str, int] = field(default_factory=dict)
    """Kroner per month beyond the plan (what the revision pays for)."""


_LINES = (
    _Line(
        "project-management", (0.94, 0.98), 0.04,
        items=(
            ("Reiseregning prosjektleder", "Kjøregodtgjørelse, møter i Numedal og Notodden"),
            ("Kongsberg kommune", "Telefon og bredbånd prosjektleder, {month}"),
        ),
        regular=("Kongsberg kommune", "Internfakturering prosjektleder 20 % stilling, {month}",
                 8_500),
    ),
    _Line(
        "process-costs", (1.04, 1.08), 0.25,
        items=(
            ("Lågen Konferansesenter AS", "Møterom og servering, prosjektgruppemøte"),
            ("Kongsberg Catering AS", "Lunsj, arbeidsmøte i nettverkene"),
            ("Buskerud Trykk AS", "Trykking av rapport og invitasjoner"),
            ("Reiseregning prosjektgruppen", "Kjøregodtgjørelse, samlinger i regionen"),
            ("Numedal Vertshus AS", "Dagpakke, samling for nettverkene"),
            ("Kontorrekvisita Kongsberg AS", "Kontorrekvisita og kopiering, {month}"),
        ),
        special={
            "2010-04": ("Reiseregning prosjektgruppen",
                        "Reise og opphold, erfaringssamling hos Difi i Oslo"),
            "2010-11": ("Lågen Konferansesenter AS",
                        "Inspirasjonsseminaret 18. november: lokale, servering og teknikk"),
        },
    ),
    _Line(
        "external-expertise", (0.92, 0.97), 0.15,
        items=(
            ("Nettverkskompetanse AS", "Workshop om nettverkslogikk, {month}"),
            ("Samhandling Rådgivning AS", "Prosessveiledning, nettverksskolen"),
            ("Kunnskapsbyen Konsult AS", "Faglig bidrag, design av nettverksskolen"),
        ),
        special={
            "2010-10": ("Samhandling Rådgivning AS",
                        f"Ekstern prosessveileder, evaluering av piloten ({_REVISION_REF})"),
            "2010-11": ("Nettverkskompetanse AS",
                        "Foredrag og fasilitering, inspirasjonsseminaret 18. november"),
            "2010-12": ("Samhandling Rådgivning AS",
                        f"Ekstern prosessveileder, evaluering av piloten ({_REVISION_REF})"),
        },
        extra={"2010-10": 5_000, "2010-12": 5_000},
    ),
    _Line(
        "contingency", (0.55, 0.72), 0.3,
        items=(
            ("Samvirke Programvare AS", "Lisens samhandlingsverktøy, prøveperiode"),
            ("Språktjenesten AS", "Korrektur av kartleggingsrapporten"),
            ("Lågen Konferansesenter AS", "Ekstra møterom, flyttet samling"),
            ("Posten Norge AS", "Porto og utsendelser, {month}"),
        ),
        months=4,
    ),
)  # fmt: skip
_MISPOSTED = ("2010-04", "process-costs", "external-expertise")
"""The month, line and wrong line of the booking the accountant posts wrongly, then corrects."""


@dataclass(frozen=True)
class _Booking:
    day: date
    line: str
    amount: int
    supplier: str
    text: str
    booking_id: str = ""
    voucher: str = ""
    kind: Literal["normal", "wrong", "rebook"] = "normal"


def _finance(history: _History, rng: random.Random, plan: Plan) -> None:
    bookings = _numbered(rng, _correction(rng, _bookings(rng, plan)))
    wrong = next(b for b in bookings if b.kind == "wrong")
    for booking in bookings:
        if booking.kind == "rebook":
            _reversal(history, wrong, booking)
        data = {
            "booking_id": booking.booking_id,
            "line": booking.line,
            "amount": format_ore(booking.amount),
            "booking_date": booking.day.isoformat(),
            "voucher": booking.voucher,
            "supplier": booking.supplier,
            "text": booking.text,
        }
        history.event(_ACCOUNTING, "CostBooked", data, booking.day, booking.booking_id)
    _funding(history, plan)
    _budget_revision(history)


def _planned_costs(plan: Plan) -> dict[str, dict[str, int]]:
    """Each budget line's time-phased cost in the plan, in øre per month."""
    planned: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for activity in plan.data["activities"]:
        for line, months in activity.get("planned", {}).items():
            for month, amount in months.items():
                planned[line][month] += parse_ore(amount)
    return {line: dict(months) for line, months in planned.items()}


def _bookings(rng: random.Random, plan: Plan) -> list[_Booking]:
    budgets = {line["id"]: parse_ore(line["amount"]) for line in plan.data["budget"]["lines"]}
    planned = _planned_costs(plan)
    bookings: list[_Booking] = []
    for line in _LINES:
        if line.id not in budgets:
            continue
        weights = dict(planned.get(line.id, {}))
        for month, kroner in line.extra.items():
            weights[month] = weights.get(month, 0) + kroner * _KRONE
        if line.months is not None:
            chosen = set(rng.sample(sorted(weights), line.months))
            weights = {m: w for m, w in weights.items() if m in chosen}
        budget = budgets[line.id] + _REVISION.get(line.id, 0)
        total = round(budget * rng.uniform(*line.target) / _KRONE) * _KRONE
        for month, amount in _spread(rng, weights, total, line.noise).items():
            bookings += _month_bookings(rng, line, month, amount)
    return bookings


def _spread(
    rng: random.Random, weights: Mapping[str, int], total: int, noise: float
) -> dict[str, int]:
    """`total` over the months in proportion to the plan, each month off by up to `noise`;
    whole kroner, the last month taking the rounding."""
    noisy = {m: w * rng.uniform(1 - noise, 1 + noise) for m, w in sorted(weights.items()) if w}
    scale = total / sum(noisy.values())
    amounts = {m: int(value * scale) // _KRONE * _KRONE for m, value in noisy.items()}
    amounts[max(amounts)] += total - sum(amounts.values())
    return amounts


def _split(rng: random.Random, amount: int, parts: int) -> list[int]:
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    pieces = [int(amount * w / sum(weights)) // _KRONE * _KRONE for w in weights[:-1]]
    return sorted([*pieces, amount - sum(pieces)], reverse=True)


def _month_bookings(rng: random.Random, line: _Line, month: str, amount: int) -> list[_Booking]:
    days = _month_days(month)
    name = _month_name(month)
    found: list[_Booking] = []
    if line.regular is not None:
        supplier, text, kroner = line.regular
        fixed = min(amount, kroner * _KRONE)
        found.append(_Booking(days[-1], line.id, fixed, supplier, text.format(month=name)))
        amount -= fixed
    if amount <= 0:
        return found
    parts = 1 if amount < 3_000 * _KRONE else rng.randint(2, min(3, len(line.items)))
    items = rng.sample(line.items, parts)
    if month in line.special:
        items[0] = line.special[month]
    for piece, (supplier, text) in zip(_split(rng, amount, parts), items, strict=True):
        found.append(_Booking(rng.choice(days), line.id, piece, supplier, text.format(month=name)))
    return found


def _correction(rng: random.Random, bookings: list[_Booking]) -> list[_Booking]:
    """The month's largest booking on the line is posted on the wrong line; two to three weeks
    later the accountant reverses it and books it again where it belongs."""
    month, line, wrong_line = _MISPOSTED
    chosen = max(
        (b for b in bookings if b.line == line and _month(b.day) == month), key=lambda b: b.amount
    )
    corrected_on = _workday_from(chosen.day + timedelta(days=rng.randint(14, 21)))
    others = [b for b in bookings if b is not chosen]
    return [
        *others,
        replace(chosen, line=wrong_line, kind="wrong"),
        replace(chosen, day=corrected_on, text=f"Ompostering: {chosen.text}", kind="rebook"),
    ]


def _numbered(rng: random.Random, bookings: list[_Booking]) -> list[_Booking]:
    """Ledger and voucher numbers in date order, with the gaps the rest of the municipality's
    accounts leave between this project's entries."""
    ledger, voucher = rng.randint(120, 180), rng.randint(300, 420)
    numbered = []
    for booking in sorted(bookings, key=lambda b: b.day):
        ledger += rng.randint(1, 9)
        voucher += rng.randint(1, 14)
        numbered.append(
            replace(booking, booking_id=f"GL-2010-{ledger:04d}", voucher=f"V-2010-{voucher:04d}")
        )
    return numbered


def _reversal(history: _History, wrong: _Booking, rebook: _Booking) -> None:
    reason = (
        f"Feilført på {wrong.line}; hører til {rebook.line}. Ompostert som {rebook.booking_id}."
    )
    data = {
        "booking_id": wrong.booking_id,
        "amount": format_ore(wrong.amount),
        "reversal_date": rebook.day.isoformat(),
        "reason": reason,
        "voucher": rebook.voucher,
    }
    history.event(_ACCOUNTING, "CostReversed", data, rebook.day, wrong.booking_id)


def _funding(history: _History, plan: Plan) -> None:
    """The grant arrives in two parts: on the start decision and after the progress report."""
    grant = next(s for s in plan.data["financing"]["sources"] if s["kind"] == "grant")
    first = parse_ore(grant["amount"]) // 2
    parts = (
        (date(2010, 3, 12), first, "Fylkesmannen i Buskerud, skjønnsmidler 2010, 1. utbetaling"),
        (
            date(2010, 10, 15),
            parse_ore(grant["amount"]) - first,
            "Fylkesmannen i Buskerud, skjønnsmidler 2010, 2. utbetaling etter framdriftsrapport",
        ),
    )
    for number, (day, amount, reference) in enumerate(parts, start=1):
        data = {
            "source": grant["id"],
            "amount": format_ore(amount),
            "received_date": day.isoformat(),
            "reference": reference,
        }
        history.event(_ACCOUNTING, "FundingReceived", data, day, f"{grant['id']}/{number}")


def _budget_revision(history: _History) -> None:
    changes = [{"line": line, "delta": format_ore(delta)} for line, delta in _REVISION.items()]
    data = {
        "decision_ref": _REVISION_REF,
        "reason": "Ekstern prosessveileder til piloten og evalueringen av nettverksskolen, "
        "dekket av uforutsette kostnader",
        "revised_on": _REVISED_ON.isoformat(),
        "changes": changes,
        "in_kind_delta": "0.00",
        "frame_delta": format_ore(sum(_REVISION.values())),
    }
    history.event(_FINANCE_OFFICE, "BudgetRevised", data, _REVISED_ON, _REVISION_REF)


# -- in-kind work ----------------------------------------------------------------------------

_IN_KIND_WORK = {
    "mapping": "Kartlegging av nettverk i kommunen: intervjuer og skjema",
    "assess-ways": "Vurdering av nettverk som arbeidsform i satsingsområdet",
    "test-school": "Deltakelse i piloten av nettverksskolen",
    "follow-up": "Prosjektgruppemøte og rapportering",
}
_SHORT_HOURS = ("1.5", "2", "2.5", "3")
_LONG_HOURS = ("2", "3", "3.5", "4", "5", "6", "7.5")


def _in_kind(history: _History, rng: random.Random, plan: Plan, people: Sequence[_Person]) -> None:
    """Time sheets per municipality, each activity's month close to its planned in-kind
    value; the municipalities take turns, so every one of them documents work."""
    by_municipality: dict[str, list[_Person]] = defaultdict(list)
    for person in people:
        by_municipality[person.municipality].append(person)
    municipalities = sorted(by_municipality)
    for activity in plan.data["activities"]:
        for month, planned in sorted(activity.get("planned", {}).get("in-kind", {}).items()):
            target = int(parse_ore(planned) * rng.uniform(0.9, 1.05))
            turns = rng.sample(municipalities, len(municipalities))
            value, number = 0, 0
            while True:
                person = rng.choice(by_municipality[turns[number % len(turns)]])
                hours = _hours_within(rng, activity["id"], person.rate, target - value)
                if hours is None:
                    break
                number += 1
                value += int(hours * person.rate * _KRONE)
                _in_kind_entry(history, rng, person, activity["id"], month, hours, number)


def _hours_within(rng: random.Random, activity: str, rate: int, room: int) -> Decimal | None:
    """Hours worth at most `room` øre, in half hours; None when not even one hour fits."""
    hours = Decimal(rng.choice(_SHORT_HOURS if activity == "follow-up" else _LONG_HOURS))
    fitting = Decimal(room // (rate * _KRONE // 2)) / 2
    hours = min(hours, fitting)
    return hours if hours >= 1 else None


def _in_kind_entry(
    history: _History,
    rng: random.Random,
    person: _Person,
    activity: str,
    month: str,
    hours: Decimal,
    number: int,
) -> None:
    day = rng.choice(_month_days(month))
    data = {
        "municipality": person.municipality,
        "person": person.name,
        "role": person.role,
        "activity": activity,
        "work_date": day.isoformat(),
        "hours": str(hours),
        "hourly_rate": format_ore(person.rate * _KRONE),
        "description": _IN_KIND_WORK.get(activity, "Arbeid i forprosjektet"),
    }
    history.event(_TIMESHEETS, "InKindHoursRecorded", data, day, f"{activity}/{month}/{number}")


# -- milestones ------------------------------------------------------------------------------

_REACHED = {
    # milestone: (days after its due date, evidence); M7 is missing on purpose: never reached.
    "M1": (0, "Møtebok RU 3/2010: oppstartsvedtak"),
    "M2": (5, "Kartleggingsrapport v1.0: 12 nettverk kartlagt og vurdert"),
    "M3": (-1, "Notat: nettverk som arbeidsform i satsingsområdene"),
    "M4": (2, "Nettverksskolen: innhold og opplegg v1.0"),
    "M5": (22, "Forslag til plan og finansiering av utrullingsfasen 2011"),
    "M6": (-1, "Notat: roller og arbeidsdeling mellom kommunene og regionsekretariatet"),
    "M8": (-11, "Sluttrapport for forprosjektet, sendt Fylkesmannen i Buskerud"),
}
_FORECAST = (
    "M5",
    date(2010, 8, 25),
    date(2010, 9, 24),
    "Finansieringen av utrullingsfasen avklares først i regionrådets budsjettmøte i september",
)
_GOAL_REPORTS: Mapping[str, tuple[tuple[str, float, str, str], ...]] = {
    # goal: (month, share, status, comment) in the month-end status reports
    "HM1": (
        ("2010-02", 0.55, "on_track", "Sju nettverk registrert, intervjuer pågår"),
        ("2010-03", 0.9, "at_risk", "Alle nettverk vurdert; rapporten ferdigstilles etter påske"),
    ),
    "HM2": (("2010-03", 0.3, "on_track", "Vurdering per satsingsområde startet"),),
    "HM3": (
        ("2010-05", 0.15, "on_track", "Innholdet i nettverksskolen skisseres"),
        ("2010-06", 0.4, "on_track", "Moduler om nettverkslogikk og delingskultur på plass"),
        ("2010-07", 0.55, "on_track", "Lite framdrift i fellesferien"),
        ("2010-08", 0.85, "on_track", "Opplegget testet på prosjektgruppen"),
    ),
    "HM4": (
        ("2010-06", 0.2, "on_track", "Skisse til utrullingsfasen"),
        ("2010-07", 0.3, "on_track", "Budsjettskisse til utrullingsfasen"),
        ("2010-08", 0.6, "at_risk", "Finansieringen av 2011 er uavklart"),
    ),
    "HM5": (("2010-08", 0.3, "on_track", "Drøftet med rådmannsgruppen"),),
    "HM6": (("2010-10", 0.5, "on_track", "Program og foredragsholdere klare"),),
    "HM7": (
        ("2010-09", 0.1, "on_track", "Før-undersøkelser gjennomført i fire pilotnettverk"),
        ("2010-10", 0.3, "on_track", "Nettverksskolen prøves ut i pilotnettverkene"),
        ("2010-11", 0.5, "at_risk", "Oppfølgingen i pilotnettverkene tar lengre tid enn planlagt"),
        ("2010-12", 0.75, "at_risk", "Etter-undersøkelser gjennomført; evalueringen fullføres i "
         "januar 2011"),
    ),
}  # fmt: skip
_GOALS_DONE_WITHOUT_MILESTONE = {"HM6": _SEMINAR}
_BEHIND: Mapping[str, tuple[float, str]] = {
    # activity: (share of the planned progress reported, why)
    "difi": (0.6, "Samarbeidet med Difi er forsinket på Difis side"),
    "test-school": (0.8, "Evalueringen av piloten er ikke ferdig"),
}
_DECISIONS = (
    ("BP1", "approved", "RU 3/2010", date(2010, 2, 1), "Forprosjektet startes med ramme 440 000."),
    ("BP2", "deferred", "RU 21/2010", date(2010, 9, 6),
     "Utsatt til finansieringen av utrullingsfasen er avklart."),
    ("BP2", "approved", "RU 24/2010", date(2010, 9, 28),
     "Nettverksskolen og plan og budsjett for utrullingsfasen 2011 godkjent."),
    ("BP3", "approved", "RU 31/2010", date(2010, 12, 16),
     "Forprosjektet avsluttes; evalueringen av piloten fullføres i utrullingsfasen."),
)  # fmt: skip


def _milestones(history: _History, rng: random.Random, plan: Plan) -> None:
    reached = _reached_milestones(history, plan)
    _forecast(history)
    _goal_reports(history, rng, plan, reached)
    _activity_reports(history, rng, plan)
    _decisions(history)


def _reached_milestones(history: _History, plan: Plan) -> dict[str, date]:
    reached: dict[str, date] = {}
    for milestone in plan.data["milestones"]:
        if milestone["id"] not in _REACHED:
            continue
        slip, evidence = _REACHED[milestone["id"]]
        day = _workday_from(date.fromisoformat(milestone["due"]) + timedelta(days=slip))
        reached[milestone["id"]] = day
        data = {
            "milestone": milestone["id"],
            "reached_on": day.isoformat(),
            "evidence": evidence,
            "reported_by": "prosjektleder",
        }
        history.event(_PROJECT_OFFICE, "MilestoneReached", data, day, milestone["id"])
    return reached


def _forecast(history: _History) -> None:
    milestone, changed_on, expected_on, reason = _FORECAST
    data = {
        "milestone": milestone,
        "expected_on": expected_on.isoformat(),
        "reason": reason,
        "changed_on": changed_on.isoformat(),
    }
    history.event(
        _PROJECT_OFFICE, "MilestoneForecastChanged", data, changed_on, f"{milestone}/{changed_on}"
    )


def _goal_reports(
    history: _History, rng: random.Random, plan: Plan, reached: Mapping[str, date]
) -> None:
    done_on = dict(_GOALS_DONE_WITHOUT_MILESTONE)
    for milestone in plan.data["milestones"]:
        for goal in milestone["proves"]:
            if milestone["id"] in reached:
                done_on[goal] = reached[milestone["id"]]
    for goal in plan.data["goals"]:
        for month, share, status, comment in _GOAL_REPORTS.get(goal["id"], ()):
            noisy = min(max(share + rng.choice((-0.05, 0.0, 0.05)), 0.05), 0.95)
            # December's report comes before Christmas, with the final report.
            day = _month_days(month)[-1] if month != "2010-12" else date(2010, 12, 17)
            _goal_report(history, goal["id"], f"{noisy:.2f}", status, comment, day)
        if goal["id"] in done_on:
            _goal_report(history, goal["id"], "1", "done", "Fullført", done_on[goal["id"]])


def _goal_report(
    history: _History, goal: str, share: str, status: str, comment: str, day: date
) -> None:
    data = {
        "goal": goal,
        "share_complete": share,
        "status": status,
        "comment": comment,
        "reported_on": day.isoformat(),
    }
    history.event(_PROJECT_OFFICE, "GoalProgressReported", data, day, f"{goal}/{day}")


def _activity_reports(history: _History, rng: random.Random, plan: Plan) -> None:
    """A month-end report per activity in each of its months: on plan or a little behind,
    two activities well behind."""
    for activity in plan.data["activities"]:
        months = sorted(activity["months"])
        factor, comment = _BEHIND.get(activity["id"], (1.0, None))
        for number, month in enumerate(months, start=1):
            planned = number / len(months)
            share = planned * factor
            if number < len(months) and factor == 1.0:
                share -= rng.choice((0.0, 0.05, 0.1))
            day = _month_days(month)[-1] if month != "2010-12" else date(2010, 12, 17)
            data: dict[str, Any] = {
                "activity": activity["id"],
                "share_complete": f"{max(share, 0.05):.2f}",
                "reported_on": day.isoformat(),
            }
            if comment is not None:
                data["comment"] = comment
            history.event(
                _PROJECT_OFFICE, "ActivityProgressReported", data, day, f"{activity['id']}/{month}"
            )


def _decisions(history: _History) -> None:
    for point, outcome, minutes, day, note in _DECISIONS:
        data = {
            "decision_point": point,
            "outcome": outcome,
            "minutes_ref": minutes,
            "decided_on": day.isoformat(),
            "note": note,
        }
        history.event(_PROJECT_OFFICE, "DecisionRecorded", data, day, f"{point}/{minutes}")


# -- registry --------------------------------------------------------------------------------

_TOOL_USE_OFFSET = -0.6
"""Collaboration tools are what the networks use least well: the network school's reason."""
_PILOT_CHOSEN = (date(2010, 8, 17), "RU 19/2010")
_REASSESSED = {
    # pilot network: (day, what works well now, what still works less well)
    "ikt-forum": (date(2010, 11, 24), "Felles nettområde tatt i bruk etter nettverksskolen; "
                  "referater og dokumenter deles der.", "Fortsatt ujevn deltakelse fra de "
                  "minste kommunene."),
    "helse-omsorg": (date(2010, 11, 25), "Skriftlig mandat vedtatt; to koordinatorer deler "
                     "ansvaret.", "Lite tid til arbeid mellom møtene."),
}  # fmt: skip
_RETIRED = (
    "reiseliv",
    date(2010, 10, 14),
    "Lagt inn under destinasjonsselskapets nye reiselivsnettverk",
)
_REVIVED = ("arkiv", date(2010, 10, 4))
"""A passive network that a new coordinator brings back to life."""


def _registry(history: _History, rng: random.Random, register: _Register) -> None:
    for network in register.networks:
        _map_network(history, register, network)
        _assess(history, rng, network, _assessment_day(rng, register.registered[network.id]))
    _pilot(history, register)
    _autumn_changes(history, rng, register)
    for network in register.networks:
        if network.id in _REASSESSED:
            day, works_well, works_less_well = _REASSESSED[network.id]
            _assess(history, rng, network, day, lift=1.0, texts=(works_well, works_less_well))


def _registry_event(
    history: _History, type_: str, data: dict[str, Any], day: date, key: str
) -> None:
    history.event(_PROJECT_GROUP, type_, data, day, key)


def _map_network(history: _History, register: _Register, network: _Network) -> None:
    day = register.registered[network.id]
    people = register.members[network.id]
    data = {
        "network": network.id,
        "name": network.name,
        "kind": network.kind,
        "focus_area": network.focus,
        "municipalities": list(network.municipalities or register.municipalities),
        "coordinator": people[0].name,
        "tools": list(network.tools),
        "state": network.state,
        "registered_on": day.isoformat(),
    }
    _registry_event(history, "NetworkRegistered", data, day, network.id)
    for person in people:
        _joined(history, network.id, _person_member(person), day)
    for number, organisation in enumerate(network.organisations, start=1):
        member = {"id": f"{network.id}-org-{number}", "name": organisation, "kind": "organisation"}
        _joined(history, network.id, member, day)


def _joined(history: _History, network: str, member: dict[str, Any], day: date) -> None:
    data = {"network": network, "member": member, "joined_on": day.isoformat()}
    _registry_event(history, "MemberJoined", data, day, f"{network}/{member['id']}/{day}")


def _assessment_day(rng: random.Random, registered: date) -> date:
    """A few working days after the network is mapped, and by 31 March: HM1 is due 1 April."""
    days = _workdays(registered + timedelta(days=3), date(2010, 3, 31))
    return rng.choice(days[:12]) if days else registered


def _assess(
    history: _History,
    rng: random.Random,
    network: _Network,
    day: date,
    lift: float = 0.0,
    texts: tuple[str, str] | None = None,
) -> None:
    """Scores around the network's quality (raised by `lift` in a reassessment), tools lower."""
    works_well, works_less_well = texts or (network.works_well, network.works_less_well)
    centre = network.quality + lift
    scores = {
        dimension: _scale(rng, centre + (_TOOL_USE_OFFSET if dimension == "tool_use" else 0), 1, 5)
        for dimension in DIMENSIONS
    }
    data = {
        "network": network.id,
        "assessor": "prosjektgruppen",
        "assessed_on": day.isoformat(),
        "scores": scores,
        "works_well": works_well,
        "works_less_well": works_less_well,
    }
    _registry_event(history, "NetworkAssessed", data, day, f"{network.id}/{day}")


def _pilot(history: _History, register: _Register) -> None:
    day, decision = _PILOT_CHOSEN
    for network in register.networks:
        if network.pilot is not None:
            data = {
                "network": network.id,
                "chosen_on": day.isoformat(),
                "reason": network.pilot,
                "decision_ref": decision,
            }
            _registry_event(history, "NetworkChosenForPilot", data, day, network.id)


def _autumn_changes(history: _History, rng: random.Random, register: _Register) -> None:
    """A revived network, two people joining networks, one leaving, one network retired."""
    revived, revived_on = _REVIVED
    newcomer = rng.choice([p for p in register.people if p not in register.members[revived]])
    data = {
        "network": revived,
        "state": "active",
        "coordinator": newcomer.name,
        "updated_on": revived_on.isoformat(),
    }
    _registry_event(history, "NetworkUpdated", data, revived_on, f"{revived}/{revived_on}")
    _joined(history, revived, _person_member(newcomer), revived_on)
    quiet = [n for n in register.networks if n.pilot is None and n.id not in (revived, _RETIRED[0])]
    joining = rng.sample(quiet, 2)
    for network, day in zip(joining, (date(2010, 9, 14), date(2010, 10, 19)), strict=True):
        outsiders = [p for p in register.people if p not in register.members[network.id]]
        _joined(history, network.id, _person_member(rng.choice(outsiders)), day)
    leaving = rng.choice([n for n in quiet if n not in joining])
    left_on = date(2010, 11, 15)
    data = {
        "network": leaving.id,
        "member": register.members[leaving.id][-1].id,
        "left_on": left_on.isoformat(),
    }
    _registry_event(history, "MemberLeft", data, left_on, f"{leaving.id}/{left_on}")
    retired, retired_on, reason = _RETIRED
    data = {"network": retired, "retired_on": retired_on.isoformat(), "reason": reason}
    _registry_event(history, "NetworkRetired", data, retired_on, retired)


def _person_member(person: _Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "kind": "person",
        "municipality": person.municipality,
        "organisation": f"{person.municipality} kommune",
    }


# -- surveys ---------------------------------------------------------------------------------

_CHANNELS = ["E-post", "Felles nettområde", "Videomøter", "Fysiske møter"]
_PILOT_QUESTIONS: list[dict[str, Any]] = [
    {"id": "q1", "kind": "likert", "required": True, "factor": "understanding",
     "text": "Jeg forstår hva nettverket skal oppnå og hvordan det arbeider."},
    {"id": "q2", "kind": "likert", "required": True, "factor": "anchoring",
     "text": "Ledelsen i min kommune støtter at jeg bruker tid på nettverket."},
    {"id": "q3", "kind": "likert", "required": True, "factor": "commitment",
     "text": "Jeg bidrar aktivt og prioriterer nettverkets arbeid."},
    {"id": "q4", "kind": "likert", "required": True, "factor": "small_visible_successes",
     "text": "Nettverket har fått til konkrete resultater som er synlige for andre."},
    {"id": "q5", "kind": "nps", "required": True, "factor": "commitment",
     "text": "Hvor sannsynlig er det at du vil anbefale en kollega å delta i nettverket?"},
    {"id": "q6", "kind": "single_choice", "required": True, "options": _CHANNELS,
     "text": "Hvilken samhandlingsform bruker nettverket mest?"},
    {"id": "q7", "kind": "free_text", "required": False,
     "text": "Hva bør nettverket gjøre annerledes?"},
]  # fmt: skip
_PILOT_BASE = {
    # question: (before, after) centre of the answers
    "q1": (2.8, 3.8), "q2": (2.4, 3.1), "q3": (3.0, 3.7), "q4": (2.2, 3.5), "q5": (5.5, 7.8),
}  # fmt: skip
_CHANNEL_WEIGHTS = {"before": (5, 1, 1, 3), "after": (2, 5, 2, 2)}
_PILOT_TEXTS = {
    "before": (
        "Vi trenger et tydeligere mandat fra rådmennene.",
        "Mer arbeid mellom møtene, ikke bare informasjon.",
        "Bedre verktøy for å dele dokumenter.",
        "Det er vanskelig å prioritere nettverket i en travel hverdag.",
        "Flere konkrete oppgaver vi kan løse sammen.",
        "Møtene bør gå på omgang mellom kommunene.",
    ),
    "after": (
        "Felles nettområde har gjort det lettere å følge med.",
        "Nettverksskolen ga oss et felles språk.",
        "Vi bør fortsette med korte videomøter.",
        "Ledelsen må følge opp det vi har fått til.",
        "Vi har fått til mer på et halvt år enn på flere år før.",
        "Fortsatt for lite tid satt av til nettverksarbeid.",
    ),
}
_PHASES: dict[Literal["before", "after"], tuple[date, date, date]] = {
    # phase: (published, last answer, closed)
    "before": (date(2010, 8, 23), date(2010, 9, 3), date(2010, 9, 6)),
    "after": (date(2010, 12, 1), date(2010, 12, 14), date(2010, 12, 17)),
}
_SEMINAR_QUESTIONS: list[dict[str, Any]] = [
    {"id": "s1", "kind": "likert", "required": True, "factor": "understanding",
     "text": "Seminaret ga meg en bedre forståelse av nettverk som arbeidsform."},
    {"id": "s2", "kind": "likert", "required": True, "factor": "small_visible_successes",
     "text": "Jeg har fått eksempler på resultater jeg kan vise til i min kommune."},
    {"id": "s3", "kind": "likert", "required": True, "factor": "anchoring",
     "text": "Min leder er opptatt av at vi samarbeider i nettverk."},
    {"id": "s4", "kind": "nps", "required": True,
     "text": "Hvor sannsynlig er det at du vil anbefale et slikt seminar til en kollega?"},
    {"id": "s5", "kind": "multiple_choice", "required": False,
     "text": "Hvilke deler av programmet var mest nyttige?",
     "options": ["Foredrag om nettverkslogikk", "Erfaringer fra andre regioner", "Gruppearbeid",
                 "Presentasjon av pilotnettverkene"]},
    {"id": "s6", "kind": "single_choice", "required": True, "text": "Hvilken rolle har du?",
     "options": ["Leder", "Nettverksrepresentant", "Folkevalgt", "Annet"]},
    {"id": "s7", "kind": "free_text", "required": False, "text": "Andre kommentarer"},
]  # fmt: skip
_SEMINAR_TEXTS = (
    "Inspirerende foredrag, men for lite tid til gruppearbeid.",
    "Nyttig å møte kolleger fra de andre kommunene.",
    "Gjerne et nytt seminar neste høst.",
    "Eksemplene fra andre regioner var det beste.",
    "Lokalet ble for lite.",
)
_SEMINAR_INVITED = 52
_SEMINAR_CLOSED = date(2010, 12, 3)
_BY_FORMBRICKS = 3
"""Every third seminar answer comes through the Formbricks webhook."""


@dataclass(frozen=True)
class _Survey:
    id: str
    title: str
    target: dict[str, Any]
    phase: Literal["before", "after", "single"]
    invited: int
    published_on: date
    questions: list[dict[str, Any]]


def _surveys(history: _History, rng: random.Random, register: _Register) -> None:
    for network in register.networks:
        if network.pilot is not None:
            _pilot_surveys(history, rng, network, register.members[network.id])
    _seminar(history, rng)


def _survey_event(
    history: _History, survey: str, type_: str, data: dict[str, Any], day: date, key: str
) -> None:
    history.event(_SURVEY_TOOL, type_, data, day, f"{survey}/{key}", subject=survey)


def _pilot_surveys(
    history: _History, rng: random.Random, network: _Network, people: Sequence[_Person]
) -> None:
    """A before and an after survey of the network; the same people answer both more or less
    as they feel (their attitude), and better after the pilot."""
    attitude = {person.id: rng.gauss(0, 0.5) for person in people}
    for phase, (published, last, closed) in _PHASES.items():
        survey = _Survey(
            id=f"{network.id}-{phase}-2010",
            title=f"{'Før' if phase == 'before' else 'Etter'} piloten: {network.name}",
            target={"kind": "network", "network": network.id},
            phase=phase,
            invited=len(people),
            published_on=published,
            questions=_PILOT_QUESTIONS,
        )
        _publish(history, survey)
        count = rng.randint(5, min(9, len(people)))
        if phase == "after" and network.id == _FEW_AFTER:
            count = 4
        for number, person in enumerate(rng.sample(list(people), count), start=1):
            respondent = history.pseudonym("resp", f"respondent/{person.id}")
            answers = _pilot_answers(rng, phase, attitude[person.id])
            day = rng.choice(_workdays(published, last))
            _respond(history, survey, number, respondent, day, answers, network.id)
        _close(history, survey, closed)


def _publish(history: _History, survey: _Survey) -> None:
    data = {
        "project_id": history.project,
        "title": survey.title,
        "target": survey.target,
        "phase": survey.phase,
        "invited": survey.invited,
        "published_on": survey.published_on.isoformat(),
        "questions": survey.questions,
    }
    _survey_event(history, survey.id, "SurveyPublished", data, survey.published_on, "published")


def _respond(
    history: _History,
    survey: _Survey,
    number: int,
    respondent: str,
    day: date,
    answers: dict[str, Any],
    network: str | None = None,
) -> None:
    data: dict[str, Any] = {
        "response_id": f"{survey.id}-{number:02d}",
        "respondent": respondent,
        "submitted_on": day.isoformat(),
        "answers": answers,
    }
    if network is not None:
        data["network"] = network
    _survey_event(history, survey.id, "ResponseSubmitted", data, day, f"{number}")


def _close(history: _History, survey: _Survey, day: date) -> None:
    data = {"closed_on": day.isoformat(), "reason": "Svarfristen er ute"}
    _survey_event(history, survey.id, "SurveyClosed", data, day, "closed")


def _scale(rng: random.Random, centre: float, low: int, high: int) -> int:
    return min(high, max(low, round(centre + rng.gauss(0, 0.6))))


def _pilot_answers(rng: random.Random, phase: str, attitude: float) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question, (before, after) in _PILOT_BASE.items():
        centre = before if phase == "before" else after
        if question == "q5":  # nps: on the wider scale a person's attitude weighs double
            answers[question] = _scale(rng, centre + 2 * attitude, 0, 10)
        else:
            answers[question] = _scale(rng, centre + attitude, 1, 5)
    answers["q6"] = rng.choices(_CHANNELS, weights=_CHANNEL_WEIGHTS[phase])[0]
    if rng.random() < 0.6:
        answers["q7"] = rng.choice(_PILOT_TEXTS[phase])
    return answers


def _seminar(history: _History, rng: random.Random) -> None:
    survey = _Survey(
        id=f"seminar-{_SEMINAR.isoformat()}",
        title="Inspirasjonsseminaret 18. november 2010",
        target={"kind": "seminar"},
        phase="single",
        invited=_SEMINAR_INVITED,
        published_on=_SEMINAR,
        questions=_SEMINAR_QUESTIONS,
    )
    _publish(history, survey)
    days = _workdays(_SEMINAR, _SEMINAR + timedelta(days=8))
    for number in range(1, rng.randint(23, 27) + 1):
        # Half answer on the day, the rest after the reminder.
        day = _SEMINAR if rng.random() < 0.5 else rng.choice(days)
        answers = _seminar_answers(rng)
        if number % _BY_FORMBRICKS == 0:
            history.webhook(day, _formbricks(history, rng, survey.id, number, day, answers))
        else:
            respondent = history.pseudonym("resp", f"{survey.id}/{number}")
            _respond(history, survey, number, respondent, day, answers)
    _close(history, survey, _SEMINAR_CLOSED)


def _seminar_answers(rng: random.Random) -> dict[str, Any]:
    options: list[str] = _SEMINAR_QUESTIONS[4]["options"]
    answers: dict[str, Any] = {
        "s1": _scale(rng, 4.1, 1, 5),
        "s2": _scale(rng, 3.6, 1, 5),
        "s3": _scale(rng, 3.2, 1, 5),
        "s4": _scale(rng, 8.2, 0, 10),
        "s5": rng.sample(options, rng.randint(1, 2)),
        "s6": rng.choices(_SEMINAR_QUESTIONS[5]["options"], weights=(4, 6, 2, 1))[0],
    }
    if rng.random() < 0.4:
        answers["s7"] = rng.choice(_SEMINAR_TEXTS)
    return answers


def _formbricks(
    history: _History,
    rng: random.Random,
    survey: str,
    number: int,
    day: date,
    answers: dict[str, Any],
) -> dict[str, Any]:
    """The body Formbricks posts when a response is finished; it sends ratings as numbers
    such as 4.0."""
    started = f"{day.isoformat()}T{rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}"
    data = {k: float(v) if isinstance(v, int) else v for k, v in answers.items()}
    return {
        "webhookId": "demo-formbricks-webhook",
        "event": "responseFinished",
        "data": {
            "id": history.pseudonym("demo-fb", f"{survey}/{number}"),
            "surveyId": survey,
            "finished": True,
            "createdAt": f"{started}:05.000Z",
            "updatedAt": f"{started}:58.000Z",
            "data": data,
            "contact": {"id": history.pseudonym("demo-contact", f"{survey}/{number}")},
            "meta": {"source": "link", "country": "NO"},
            "tags": [],
        },
    }


# -- posting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    label: str
    service: str
    posts: tuple[_Post, ...]
    webhook: bool


def _steps(posts: Sequence[_Post]) -> list[_Step]:
    """A batch per month and service, in date order (stable: events of one day keep the order
    they were told in, so a survey is published before it is answered); each month's webhook
    deliveries after the month's batches."""
    grouped: dict[tuple[str, str, bool], list[_Post]] = defaultdict(list)
    for post in sorted(posts, key=lambda p: p.day):
        grouped[(_month(post.day), post.service, post.webhook)].append(post)
    steps: list[_Step] = []
    for month in sorted({month for month, _, _ in grouped}):
        for service in SERVICES:
            for webhook in (False, True):
                found = grouped.get((month, service, webhook), [])
                # Webhook deliveries go one by one, so a month's are one step.
                size = max(len(found), 1) if webhook else MAX_BATCH
                for start in range(0, len(found), size):
                    chunk = tuple(found[start : start + size])
                    what = "Formbricks" if webhook else service
                    label = f"{_month_name(month)}: {what} ({len(chunk)})"
                    steps.append(_Step(label, service, chunk, webhook))
    return steps


@dataclass
class _Tally:
    posted: int = 0
    recorded: int = 0
    position: int | None = None

    def add(self, receipt: Mapping[str, Any], posted: int) -> None:
        self.posted += posted
        if not receipt["duplicate"]:
            self.recorded += len(receipt["events"])
        if receipt["position"] is not None:
            self.position = max(self.position or 0, receipt["position"])


class _Poster:
    _RETRIES = 5

    def __init__(self, urls: Mapping[str, str], key: str) -> None:
        self.urls = urls
        self.client = httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=60)

    def __enter__(self) -> _Poster:
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()

    def post(self, step: _Step) -> list[dict[str, Any]]:
        base = self.urls[step.service]
        if step.webhook:
            return [
                self._send(step, f"{base}/webhooks/formbricks", post.body, "application/json")
                for post in step.posts
            ]
        bodies = [post.body for post in step.posts]
        return [self._send(step, f"{base}/events", bodies, CLOUDEVENT_BATCH)]

    def _send(self, step: _Step, url: str, payload: Any, content_type: str) -> dict[str, Any]:
        # Every event keeps its id on a retry, so retrying an unavailable store is safe.
        for _ in range(self._RETRIES):
            response = self.client.post(url, json=payload, headers={"Content-Type": content_type})
            if response.status_code != 503:
                break
            time.sleep(float(response.headers.get("Retry-After", "1")))
        if response.status_code not in (200, 201):
            raise DemoRefused(step.label, response)
        receipt: dict[str, Any] = response.json()
        return receipt


def _require_plan(poster: _Poster, urls: Mapping[str, str], project: str) -> None:
    for service, path in (("finance", "/budget"), ("milestones", "/baselines")):
        response = poster.client.get(f"{urls[service]}/projects/{project}{path}")
        if response.status_code == 404:
            raise DemoError(
                f"the plan of {project} is not loaded in {service}; load it first: "
                f"ptrack plan load {DEFAULT_PLAN.relative_to(DEFAULT_PLAN.parents[1])}"
            )
        if response.status_code != 200:
            raise ApiError(response)


def _post_all(poster: _Poster, steps: Sequence[_Step], progress: bool) -> dict[str, _Tally]:
    tallies = {service: _Tally() for service in SERVICES}
    columns = (
        TextColumn("{task.description:<40}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not progress) as bar:
        task = bar.add_task("demo history", total=len(steps))
        for step in steps:
            bar.update(task, description=step.label)
            receipts = poster.post(step)
            posted = len(step.posts) if not step.webhook else 1
            for receipt in receipts:
                tallies[step.service].add(receipt, posted)
            bar.advance(task)
        bar.update(task, description="demo history posted")
    return tallies
