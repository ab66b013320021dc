"""The people and networks of the demo: the twelve information networks the project group maps
in the region, and 42 municipal staff in them (their homes, roles and hourly rates), drawn the
same way for one seed. The in-kind hours, the registry and the surveys all tell of these."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from ptrack.demo.calendar import workdays
from ptrack.plan.model import Plan

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
class Person:
    id: str
    name: str
    municipality: str
    role: str
    rate: int
    """Kroner per hour."""


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    kind: Literal["internal", "external"]
    focus: str
    """The id of one of the plan's focus areas."""
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
    Network(
        "ikt-forum", "IKT-forum Kongsbergregionen", "internal", "digitalisering",
        (), ("e-post", "felles nettområde", "telefonmøter"), "active", 10, 3.4,
        "Faste månedlige møter og en tydelig koordinator. Medlemmene deler erfaringer fra "
        "innkjøp og drift.",
        "Lite bruk av felles nettområde; dokumenter sendes fortsatt på e-post. De minste "
        "kommunene deltar sjelden.",
        pilot="Aktivt nettverk med tydelig mandat; godt egnet til å prøve ut samhandlingsverktøy",
    ),
    Network(
        "helse-omsorg", "Nettverk for helse og omsorg", "internal", "helse-omsorg",
        (), ("e-post", "fysiske møter"), "active", 9, 3.0,
        "Høy faglig nytte; deltakerne kjenner hverandre godt.",
        "Avhengig av én ildsjel; mangler skriftlig mandat og møtereferater.",
        pilot="Stort behov for samhandling mellom kommunene; engasjerte deltakere",
    ),
    Network(
        "oppvekst", "Oppvekstnettverket", "internal", "oppvekst",
        (), ("e-post", "læringsplattform"), "active", 8, 3.2,
        "Felles kompetanseplan for skolene gir nettverket en klar oppgave.",
        "Møtene blir informasjonsmøter; lite arbeid mellom møtene.",
        pilot="Etablert nettverk for skoleledere med felles kompetanseplan",
    ),
    Network(
        "folkehelse", "Folkehelsenettverket", "internal", "folkehelse",
        ("Kongsberg", *_NUMEDAL), ("e-post",), "active", 7, 2.6,
        "Stor entusiasme og mange ideer.",
        "Uklart formål og svak forankring hos rådmennene; få møter så langt.",
        pilot="Nytt og lite nettverk; viktig å se om nettverksskolen hjelper i oppstarten",
    ),
    Network(
        "okonomi", "Økonomiforum", "internal", "okonomi",
        (), ("e-post", "fysiske møter"), "active", 4, 3.6,
        "Godt innarbeidet; felles innkjøpsavtaler er et synlig resultat.",
        "Lukket for nye deltakere; lite deling utenfor møtene.",
    ),
    Network(
        "arkiv", "Arkivnettverket", "internal", "arkiv",
        (), ("e-post",), "passive", 3, 2.4,
        "Nyttig ved innføringen av nytt sak- og arkivsystem.",
        "Har ikke møttes siden høsten 2009; ingen koordinator med tid til oppgaven.",
    ),
    Network(
        "plan-bygg", "Plan- og byggesaksforum", "internal", "plan-bygg",
        (), ("e-post", "fysiske møter"), "active", 4, 3.1,
        "Praktisk erfaringsdeling om saksbehandling og lovendringer.",
        "Få deltakere fra de minste kommunene; reiseavstand hindrer fysiske møter.",
    ),
    Network(
        "landbruk", "Landbruksnettverket i Numedal", "internal", "landbruk",
        _NUMEDAL, ("fysiske møter", "telefonmøter"), "active", 3, 3.3,
        "Tett samarbeid og felles prosjekter mellom Numedalskommunene.",
        "Lite kontakt med resten av regionen.",
    ),
    Network(
        "naering", "Næringsnettverket Kongsbergregionen", "external", "naering",
        (), ("e-post", "fysiske møter", "nyhetsbrev"), "active", 4, 3.5,
        "Godt samarbeid med næringslivet; frokostmøtene er godt besøkt.",
        "Uklar rollefordeling mellom kommunene og næringsforeningen.",
        organisations=("Næringsforeningen i Kongsbergregionen", "Handelsstanden i Kongsberg"),
    ),
    Network(
        "reiseliv", "Reiselivsforum Numedal", "external", "reiseliv-kultur",
        _NUMEDAL, ("e-post",), "dormant", 3, 1.9,
        "Godt kjennskap til reiselivsaktørene i dalen.",
        "Ingen aktivitet på over et år; oppgavene er i praksis overtatt av destinasjonsselskapet.",
        organisations=("Numedal reiselivsråd",),
    ),
    Network(
        "personal", "HR-nettverket", "internal", "personal",
        (), ("e-post", "fysiske møter"), "active", 3, 3.0,
        "Felles retningslinjer og maler deles aktivt.",
        "Mangler mål ut over erfaringsdeling.",
    ),
    Network(
        "kompetanse", "Kompetanseforum Kongsberg", "external", "kompetanse",
        ("Kongsberg", "Notodden"), ("e-post", "fysiske møter"), "active", 4, 2.8,
        "Kobler kommunene med høgskole og industri.",
        "Lav deltakelse fra kommunene; agendaen styres av de største aktørene.",
        organisations=("Høgskolemiljøet i Kongsberg", "Teknologibedriftenes kompetanseråd"),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Register:
    networks: tuple[Network, ...]
    municipalities: tuple[str, ...]
    people: tuple[Person, ...]
    members: Mapping[str, tuple[Person, ...]]
    """Each network's people when it is mapped."""
    registered: Mapping[str, date]


def people_and_networks(rng: random.Random, plan: Plan) -> Register:
    municipalities: list[str] = list(plan.data["municipalities"])
    networks = tuple(
        replace(n, municipalities=tuple(m for m in n.municipalities if m in municipalities))
        for n in _NETWORKS
    )
    people = _people(rng, municipalities)
    members = _assign_members(rng, networks, people, municipalities)
    days = workdays(date(2010, 2, 15), date(2010, 3, 12))
    registered = {network.id: rng.choice(days) for network in networks}
    return Register(networks, tuple(municipalities), people, members, registered)


def _people(rng: random.Random, municipalities: Sequence[str]) -> tuple[Person, ...]:
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
        Person(f"person-{n + 1:02d}", name, home, rng.choice(_ROLES), rng.choice(_RATES))
        for n, (name, home) in enumerate(zip(names, homes, strict=True))
    )


def _assign_members(
    rng: random.Random,
    networks: Sequence[Network],
    people: Sequence[Person],
    municipalities: Sequence[str],
) -> dict[str, tuple[Person, ...]]:
    """Everyone in one network first, taken in turns by the networks from their own
    municipalities; the places left go to people already in one or two (the bridges)."""
    members: dict[str, list[Person]] = {network.id: [] for network in networks}
    count: Counter[str] = Counter()

    def local(network: Network, person: Person) -> bool:
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


def scale(rng: random.Random, centre: float, low: int, high: int) -> int:
    """A whole score from `low` to `high` near `centre`: how someone in the story rates a
    network or answers a survey."""
    return min(high, max(low, round(centre + rng.gauss(0, 0.6))))
