"""The terminal board and the HTML report from a fixed status: the reporting service's answer for
the default project on 30 June 2010 (a history of bookings, in-kind hours, milestones, decisions,
networks and surveys; the plan in bokmål with its English titles), saved as JSON so these tests
need no services, and the plan's history beside it (two baselines, the second in force only
from September; one budget revision, counted by the finance service).

Bokmål is the default; the tests that read English ask for it."""

from __future__ import annotations

import base64
import copy
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib import image as mpimg

from ptrack.present.board import board_text
from ptrack.present.report import build_report
from shared.i18n import DEFAULT_LANGUAGE

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GENERATED_AT = datetime(2010, 7, 1, 8, 30, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def status() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "status-2010-06-30.json").read_text())
    return loaded


@pytest.fixture
def series() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "series-2010-06-30.json").read_text())
    return loaded


@pytest.fixture
def history() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "history-2010-06-30.json").read_text())
    return loaded


def plain(text: str) -> str:
    """No-break spaces (Babel's thousands separator in bokmål, and before `%` and `kr`) read as
    spaces, and runs of white space as one."""
    return re.sub(r"\s+", " ", text.replace("\N{NO-BREAK SPACE}", " "))


def row(text: str, first_cell: str) -> str:
    """The board line whose first cell is `first_cell` (tables are framed by `│`)."""
    for line in text.splitlines():
        cells = line.strip("│ ").split()
        if cells and cells[0] == first_cell:
            return line
    raise AssertionError(f"no row starting with {first_cell!r} in:\n{text}")


def line_with(text: str, needle: str) -> str:
    """The board line holding `needle` anywhere (tables side by side share lines)."""
    for line in text.splitlines():
        if needle in line:
            return line
    raise AssertionError(f"no line with {needle!r} in:\n{text}")


def squeeze(line: str) -> str:
    return plain(line)


# --- the board ---------------------------------------------------------------------------------


def test_board_shows_the_read_models_figures_in_english(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    text = board_text(status, series, lang="en")
    assert "\x1b[" not in text, "no colour codes in the plain text"
    assert all(len(line) <= 120 for line in text.splitlines())

    assert "Nettverk som arbeidsform i Kongsbergregionen (kongsbergregionen-2010)" in text
    assert "status date 30 Jun 2010 · baseline 1" in text
    assert "frame NOK 440,000.00" in squeeze(text)

    # M3 was due 1 May, is forecast for 15 July and not reached: overdue, at least 75 days late.
    m3 = squeeze(row(text, "M3"))
    assert "1 May 2010 15 Jul 2010 – +75 d overdue" in m3
    assert "Networks as a way of working assessed" in m3, "the plan's English title"
    assert "+5 d reached late" in squeeze(row(text, "M2"))
    assert "worst slip +75 d (M3)" in text
    assert "1 overdue, 1 reached on time, 1 reached late" in text

    hm2 = squeeze(row(text, "HM2"))
    assert "80.0% at risk 15 Jun 2010 overdue Two focus areas remain" in hm2
    assert "deferred deferred 10 Jun 2010" in squeeze(row(text, "BP2"))
    assert "100.0% 80.0% ████████░░ -20.0 pp" in squeeze(row(text, "assess-ways"))

    # Lines at their share, the one above 90 % first.
    expertise = squeeze(row(text, "external-expertise"))
    assert "External expertise" in expertise
    assert "50,000.00 46,500.00 3,500.00 93.0%" in expertise
    assert "25,800.50 24,199.50 51.6%" in squeeze(row(text, "process-costs"))
    assert "240,000.00 131,600.50 108,399.50 54.8%" in squeeze(row(text, "money"))
    assert "440,000.00 255,800.50 184,199.50 58.1%" in squeeze(row(text, "total"))
    assert "60,000.00" in row(text, "Kongsberg")
    assert "grant 240,000.00 120,000.00 50.0%" in squeeze(line_with(text, "discretionary-grant"))
    assert "documented 124,200.00" in squeeze(row(text, "documented"))
    assert "pledged 200,000.00" in squeeze(row(text, "pledged"))
    assert "share of the pledge 62.1%" in squeeze(line_with(text, "share of the pledge"))

    # Earned value, both scopes, as the read model rounds them, and what each means.
    assert "CPI 0.6953 0.7252" in squeeze(row(text, "CPI"))
    assert "SPI(t) 0.9415 0.9021" in squeeze(row(text, "SPI(t)"))
    assert "EAC = BAC / CPI 345,181.64 606,750.51" in squeeze(text)
    assert "VAC = BAC − EAC -105,181.64 -166,750.51" in squeeze(text)
    assert "TCPI 1.3699 1.3817" in squeeze(row(text, "TCPI"))
    assert "What the measures mean" in text
    assert "Cost performance index (CPI): Value earned for each krone spent" in squeeze(text)
    # The S-curve beside it: EV and AC end at the status date.
    assert "30 Jun 2010 97,500.00 91,500.00 131,600.50" in squeeze(text)
    assert "31 Jul 2010 118,000.00 – –" in squeeze(text)

    assert "Coverage: 8 mapped, 6 assessed (75.0%), 8 active, 0 retired" in text
    assert "Pilot: 2 of 3–5 networks (1 short of the target): helse, oppvekst" in text
    assert "use of collaboration tools 2.17 1 4 6" in squeeze(line_with(text, "collaboration"))
    assert "8 of 12 66.7% closed" in squeeze(row(text, "kickoff-2010-06"))
    assert "anchoring 0.25" in squeeze(row(text, "anchoring"))
    suppressed = squeeze(line_with(text, "small visible successes"))
    assert "suppressed (fewer than 5 respondents)" in suppressed


def test_board_in_bokmal_by_default(status: dict[str, Any], series: dict[str, Any]) -> None:
    assert DEFAULT_LANGUAGE == "nb"
    text = board_text(status, series)
    assert all(len(line) <= 120 for line in text.splitlines())
    flat = squeeze(text)

    assert "ptrack statustavle" in text
    assert "statusdato 30.06.2010 · basisplan 1 · periode 01.02.2010 – 31.12.2010" in flat
    assert "ramme 440 000,00 kr" in flat
    assert "Opptjent verdi" in text
    assert "Kostnadsbudsjett Med egeninnsats" in flat

    # Numbers as bokmål writes them: a space between thousands, a decimal comma.
    assert "50 000,00 46 500,00 3 500,00 93,0 %" in squeeze(row(text, "external-expertise"))
    assert "Kjøp av ekstern kompetanse" in row(text, "external-expertise")
    assert "440 000,00 255 800,50 184 199,50 58,1 %" in squeeze(row(text, "totalt"))
    assert "CPI 0,6953 0,7252" in squeeze(row(text, "CPI"))
    assert "VAC = BAC − EAC -105 181,64 -166 750,51" in flat
    assert "Kostnadsindeks (CPI): Opptjent verdi for hver krone som er brukt" in flat
    assert "30.06.2010 97 500,00 91 500,00 131 600,50" in flat

    # State names and the plan's own titles in bokmål.
    m3 = squeeze(row(text, "M3"))
    assert "01.05.2010 15.07.2010 – +75 d forsinket" in m3
    assert "Nettverk som arbeidsform innenfor" in m3
    assert "nådd for sent" in row(text, "M2")
    assert "nådd i tide" in row(text, "M1")
    assert "1 forsinket, 1 nådd i tide, 1 nådd for sent; største forsinkelse +75 d" in flat
    assert "80,0 % i risikosonen 15.06.2010 forsinket" in squeeze(row(text, "HM2"))
    assert "ikke startet" in row(text, "HM7")
    assert "utsatt utsatt 10.06.2010" in squeeze(row(text, "BP2"))
    assert "avventer vedtak" in row(text, "BP3")
    assert "100,0 % 80,0 % ████████░░ -20,0 pp" in squeeze(row(text, "assess-ways"))
    assert "Egeninnsats: dokumentert mot tilsagn" in text
    assert "tilsagn 200 000,00" in squeeze(row(text, "tilsagn"))
    assert "andel av tilsagnet 62,1 %" in squeeze(line_with(text, "andel av tilsagnet"))
    assert "tilskudd 240 000,00 120 000,00 50,0 %" in squeeze(line_with(text, "discretionary"))
    assert "bruk av samhandlingsverktøy 2,17 1 4 6" in squeeze(line_with(text, "samhandling"))
    assert "forankring 0,25" in squeeze(row(text, "forankring"))
    assert "skjult (færre enn 5 respondenter)" in squeeze(line_with(text, "synlige"))
    assert "Pilot: 2 av 3–5 nettverk (1 under målet): helse, oppvekst" in text

    # Nothing of the English board is left.
    for english in ("status date", "Milestones", "reached late", "overdue", "What the measures"):
        assert english not in text, english


def test_the_plan_decides_the_language_unless_told(status: dict[str, Any]) -> None:
    english_plan = {**status, "language": "en"}
    assert "status date 30 Jun 2010" in board_text(english_plan, None)
    assert "statusdato 30.06.2010" in board_text(english_plan, None, lang="nb")
    unknown = {key: value for key, value in status.items() if key != "language"}
    assert "statusdato 30.06.2010" in board_text(unknown, None), "no language: bokmål"
    assert "statusdato" in board_text({**status, "language": "sv"}, None)


def test_board_shows_undefined_measures_with_their_reason(status: dict[str, Any]) -> None:
    early = copy.deepcopy(status)
    money = early["evm"]["money"]
    for name in ("cpi", "eac_cpi", "etc", "vac"):
        money[name] = None
    money["undefined"] = {
        "cpi": "AC is 0: nothing booked by the status date",
        "eac_cpi": "CPI is undefined: AC is 0",
    }
    text = board_text(early, None, lang="en")
    assert "CPI – 0.7252" in squeeze(row(text, "CPI"))
    assert "CPI (cost budget): AC is 0: nothing booked by the status date" in text
    assert "EAC (cost budget): CPI is undefined: AC is 0" in text
    assert "S-curve" not in text, "no series given, none drawn"
    bokmal = board_text(early, None)
    assert "CPI (kostnadsbudsjett): AC er 0: ingenting er bokført per statusdato" in bokmal


def test_board_of_a_project_known_only_to_finance(status: dict[str, Any]) -> None:
    bare = {**status, "schedule": None, "evm": {}, "period_start": None, "period_end": None}
    bare["networks"] = {"coverage": None, "pilot": None, "scores": []}
    bare["surveys"] = {"surveys": [], "success_factors": []}
    text = board_text(bare, None, lang="en")
    assert "no plan baseline" in text
    assert "Schedule" not in text
    assert "Earned value" not in text
    assert "Coverage: no networks mapped yet" in text
    assert "46,500.00" in row(text, "external-expertise")


# --- the report -------------------------------------------------------------------------------


class Page(HTMLParser):
    """Collects what the checks need and fails on tags closed out of order."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "source", "wbr"})
    INLINE = frozenset({"span", "strong", "em", "b", "i", "a", "small", "code"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[dict[str, str]] = []
        self.open: list[str] = []
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.append(tag)
        if tag == "img":
            self.images.append(values)
        self.urls += [values[name] for name in ("src", "href") if name in values]
        if tag not in self.VOID:
            self.open.append(tag)
        if tag not in self.INLINE:
            self.text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1:] == [tag], f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()
        if tag not in self.INLINE:
            self.text.append(" ")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(document: str) -> Page:
    page = Page()
    page.feed(document)
    page.close()
    assert page.open == [], f"unclosed tags: {page.open}"
    return page


def decode_png(src: str) -> np.ndarray[Any, Any]:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    data = base64.b64decode(src.removeprefix(prefix), validate=True)
    assert data.startswith(PNG_SIGNATURE)
    pixels: np.ndarray[Any, Any] = mpimg.imread(io.BytesIO(data), format="png")
    return pixels


def report_text(document: str) -> str:
    return plain("".join(parse(document).text))


def test_report_is_one_self_contained_page_with_the_headline_figures(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    document = build_report(status, series, generated_at=GENERATED_AT, lang="en")
    page = parse(document)
    text = plain("".join(page.text))

    assert document.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in document
    assert "script" not in page.tags
    assert "link" not in page.tags
    assert all(url.startswith("data:") for url in page.urls), "nothing loaded from elsewhere"
    assert "http://" not in document
    assert "https://" not in document

    # Headline: money against the frame, CPI, SPI(t), milestones, worst slip.
    assert "Status report for the steering group · status date 30 Jun 2010" in text
    assert "NOK 131,600.50" in text
    assert "54.8% of the 240,000.00 cost budget" in text
    assert "255,800.50 of the 440,000.00 frame (58.1%)" in text
    assert "CPI, cost budget 0.6953" in text
    assert "SPI(t), cost budget 0.9415" in text
    assert "2 reached, 1 overdue" in text
    assert "Worst slip +75 days M3 Networks as a way of working" in text
    # Open decisions: the deferred and the pending one, not the approved one.
    assert "BP2 deferred, BP3 pending" in text
    assert "Wait for the network school design" in text
    # Risks: the low factor and the suppressed one.
    assert "anchoring: low score 0.25 (n = 11)" in text
    assert "small visible successes: suppressed (fewer than 5 respondents)" in text
    assert "Pilot: 2 networks against the plan's 3–5 (outside the target)" in text
    assert "as of the status date 30 Jun 2010" in text
    assert "Generated 01/07/2010, 08:30" in text

    assert len(page.images) >= 3
    for image in page.images:
        assert image.get("alt"), "every picture says what it shows"
        pixels = decode_png(image["src"])
        height, width = pixels.shape[:2]
        assert height > 100
        assert width > 500
        assert float(pixels[..., :3].std()) > 0.02, f"blank picture: {image['alt']}"
    alts = plain(" | ".join(image["alt"] for image in page.images))
    assert "PV NOK 97,500.00, EV NOK 91,500.00, AC NOK 131,600.50" in alts
    assert "external-expertise 93.0%" in alts
    assert "M3 +75 d (overdue)" in alts


def test_report_explains_every_earned_value_measure(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    english = report_text(build_report(status, series, generated_at=GENERATED_AT, lang="en"))
    assert (
        "Cost performance index (CPI) 0.6953 0.7252 Value earned for each krone spent "
        "(EV / AC); below 1 means over cost." in english
    )
    assert "Earned value (EV) 91,500.00 185,500.00 The budgeted worth of the work" in english
    assert "Variance at completion (VAC) VAC = BAC − EAC -105,181.64 -166,750.51" in english
    assert "To-complete performance index (TCPI) 1.3699 1.3817 How efficiently" in english
    bokmal = report_text(build_report(status, series, generated_at=GENERATED_AT))
    for words in (
        "Planlagt verdi (PV) 97 500,00 197 500,00 Budsjettert verdi av arbeidet planen sa",
        "Opptjent verdi (EV) 91 500,00 185 500,00",
        "Faktisk kostnad (AC) 131 600,50 255 800,50 Det som faktisk er brukt per statusdato.",
        "Kostnadsindeks (CPI) 0,6953 0,7252 Opptjent verdi for hver krone",
        "Fremdriftsindeks (SPI) 0,9385 0,9392",
        "Fremdriftsindeks i tid (SPI(t)) 0,9415 0,9021",
        "Prognose ved slutt (EAC) EAC = BAC / CPI 345 181,64 606 750,51",
        "Kostnadsavvik (CV) CV = EV − AC -40 100,50",
        "Avvik ved slutt (VAC) VAC = BAC − EAC -105 181,64",
        "Opptjent tid (ES) 141,22",
    ):
        assert words in bokmal, words


def test_report_in_bokmal(
    status: dict[str, Any], series: dict[str, Any], history: dict[str, Any]
) -> None:
    document = build_report(status, series, generated_at=GENERATED_AT, history=history)
    page = parse(document)
    text = plain("".join(page.text))
    assert '<html lang="nb">' in document
    assert "<title>Statusrapport: Nettverk som arbeidsform i Kongsbergregionen, 30.06.2010" in (
        document
    )
    assert "Statusrapport til styringsgruppen · statusdato 30.06.2010 · basisplan 1" in text
    assert "prosjektperiode 01.02.2010 – 31.12.2010" in text
    for heading in (
        "Hovedtall", "Opptjent verdi: S-kurven", "Handlingsmål", "Milepæler",
        "Aktiviteter: planlagt mot rapportert", "Beslutningspunkter", "Vedtak", "Basisplaner",
        "Budsjettposter", "Budsjettrevisjoner", "Egeninnsats: dokumentert mot tilsagn",
        "Risiko ut fra suksessfaktorene", "Nettverkene i korte trekk",
    ):  # fmt: skip
        assert f"<h2>{heading}</h2>" in document, heading

    # Figures as bokmål writes them.
    assert "Pengeforbruk 131 600,50 kr 54,8 % av kostnadsbudsjettet på 240 000,00" in text
    assert "med egeninnsats 255 800,50 av rammen på 440 000,00 (58,1 %)" in text
    assert "ramme 440 000,00 255 800,50 184 199,50 58,1 %" in text
    assert "Største forsinkelse +75 dager M3 Nettverk som arbeidsform innenfor" in text
    assert "BP2 utsatt, BP3 avventer vedtak" in text
    # State names in bokmål, the plan's titles as it writes them.
    assert "M2 Eksisterende informasjonsnettverk kartlagt og vurdert 01.04.2010 06.04.2010" in text
    assert "+5 d nådd for sent" in text
    assert "+75 d forsinket" in text
    assert "0 d nådd i tide" in text
    assert "M8 Prosjektet avsluttet med sluttrapportering 31.12.2010 – 0 d planlagt" in text
    assert "forankring: lavt resultat 0,25 (n = 11): en risiko for piloten." in text
    assert "små synlige suksesser: skjult (færre enn 5 respondenter)" in text
    assert "svakest bruk av samhandlingsverktøy 2,17" in text
    alts = plain(" | ".join(image["alt"] for image in page.images))
    assert "PV 97 500,00 kr, EV 91 500,00 kr, AC 131 600,50 kr av BAC 240 000,00 kr" in alts
    assert "M3 +75 d (forsinket)" in alts
    assert "external-expertise 93,0 %" in alts
    assert "Laget 01.07.2010, 08:30" in text
    for english in ("Status report", "status date", "Milestones", "reached late", "Headline"):
        assert english not in text, english


def test_report_states_the_main_goal_and_its_targets(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    text = report_text(build_report(status, series, generated_at=GENERATED_AT))
    assert "Hovedmål En felles regional plattform for effektiv og målrettet" in squeeze(text)
    assert "Innen 31.12.2011: Plattformen er i størst mulig grad tatt i bruk" in squeeze(text)
    english = report_text(build_report(status, series, generated_at=GENERATED_AT, lang="en"))
    assert "By 1 Sept 2010: A shared regional platform" in squeeze(english)


def test_report_shows_the_action_goals_and_their_state(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    text = report_text(build_report(status, series, generated_at=GENERATED_AT))
    section = text.split("Handlingsmål ID Handlingsmål")[1].split("Milepæler")[0]
    for goal in ("HM1", "HM2", "HM3", "HM4", "HM5", "HM6", "HM7"):
        assert f" {goal} " in f" {section}", goal
    assert (
        "HM1 Eksisterende informasjonsnettverk i regionen kartlagt og vurdert 01.04.2010 "
        "100,0 % fullført fullført 06.04.2010" in section
    )
    assert "01.05.2010 80,0 % forsinket i risikosonen 15.06.2010 Two focus areas remain" in section
    assert "20.12.2010 0,0 % ikke startet" in section
    english = report_text(build_report(status, series, generated_at=GENERATED_AT, lang="en"))
    assert "HM3 The network school designed 1 Sept 2010 35.0% on track on track on 25 Jun" in (
        english
    )


def test_report_shows_activities_planned_against_reported(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    text = report_text(build_report(status, series, generated_at=GENERATED_AT))
    section = text.split("Aktiviteter: planlagt mot rapportert")[1].split("Beslutningspunkter")[0]
    assert "Planlagt Rapportert Avvik Rapporteringsdato" in section
    assert (
        "rollout-plan Forslag til plan for utrullingsfasen juni 2010–aug. 2010 33,3 % 10,0 % "
        "-23,3 pp 25.06.2010" in section
    )
    assert "mapping Kartlegge og vurdere nettverk feb. 2010–mars 2010 100,0 % 100,0 % 0 pp" in (
        section
    )
    assert "roles Vurdere og avklare roller og arbeidsdeling aug. 2010–sep. 2010 0,0 % 0,0 %" in (
        section
    )


def test_report_shows_the_decision_log_with_minutes(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    revised = copy.deepcopy(status)
    (bp1,) = [p for p in revised["schedule"]["decision_points"] if p["id"] == "BP1"]
    bp1["decisions"].append(
        {"decided_on": "2010-06-10", "outcome": "rejected", "minutes_ref": "SG-2010-03",
         "revision": True, "note": None}
    )  # fmt: skip
    text = report_text(build_report(revised, series, generated_at=GENERATED_AT))
    log = text.split("Vedtak Beslutningspunkt Vedtaksdato Utfall Møtebokreferanse Merknad")[1]
    log = log.split("Basisplaner")[0]
    assert "BP1 01.02.2010 godkjent SG-2010-01" in log
    assert "BP1 10.06.2010 avslått (omgjør et tidligere vedtak) SG-2010-03" in log
    assert "BP2 10.06.2010 utsatt SG-2010-03 Wait for the network school design" in log
    assert "Ikke behandlet ennå: BP3." in log
    points = text.split("Beslutningspunkter ID Beslutningspunkt")[1].split("Vedtak Beslutnings")[0]
    assert "BP2 Beslutning om innhold og rammer" in points
    assert "september 2010 steering-group utsatt utsatt 10.06.2010 (SG-2010-03)" in points
    english = report_text(build_report(revised, series, generated_at=GENERATED_AT, lang="en"))
    assert "Decision point Decided on Outcome Minutes reference Note" in english
    assert "BP1 10 Jun 2010 rejected (changes an earlier decision) SG-2010-03" in english


def test_report_shows_the_baselines_in_force_and_the_budget_revisions(
    status: dict[str, Any], series: dict[str, Any], history: dict[str, Any]
) -> None:
    text = report_text(
        build_report(status, series, generated_at=GENERATED_AT, lang="en", history=history)
    )
    baselines = text.split("Plan baselines")[1].split("Budget lines")[0]
    assert "Baseline In force from Reason Decision" in baselines
    assert "1 (in force) 1 Feb 2010 the plan as approved –" in baselines
    assert "RU 22/2010" not in baselines, "baseline 2 takes effect after the status date"
    # Today's finance service counts its revisions; it does not say when each was made.
    assert "The finance service has recorded 1 budget revision by now" in text
    assert "from the milestones service and budget revisions from the finance service" in text

    # On the day baseline 2 takes effect it is the one in force.
    later = copy.deepcopy(status)
    later["status_date"] = "2010-09-30"
    later["schedule"]["baseline"] = 2
    text = report_text(
        build_report(later, series, generated_at=GENERATED_AT, lang="en", history=history)
    )
    assert "1 1 Feb 2010 the plan as approved – 2 (in force) 6 Sept 2010 Ekstern" in text
    assert "RU 22/2010" in text

    # Where the finance service lists its revisions, each shows with its decision.
    listed = {
        **history,
        "budget_revisions": [
            {"revised_on": "2010-06-15", "decision_ref": "SG-2010-03", "reason": "Seminar",
             "changes": [{"line": "contingency", "delta": "-5000.00"},
                         {"line": "process-costs", "delta": "5000.00"}],
             "in_kind_delta": "0.00", "frame_delta": "0.00"},
            {"revised_on": "2010-09-06", "decision_ref": "RU 22/2010", "reason": "Later",
             "changes": [], "in_kind_delta": "0.00", "frame_delta": "30000.00"},
        ],
    }  # fmt: skip
    text = report_text(build_report(status, series, generated_at=GENERATED_AT, history=listed))
    revisions = text.split("Budsjettrevisjoner")[1].split("Egeninnsats")[0]
    assert "Revisjonsdato Vedtak Begrunnelse Endringer (kr)" in revisions
    assert "15.06.2010 SG-2010-03 Seminar contingency -5 000,00 process-costs +5 000,00" in (
        revisions
    )
    assert "RU 22/2010" not in revisions, "made after the status date"
    none_yet = {**history, "budget_revisions": 0}
    text = report_text(build_report(status, series, generated_at=GENERATED_AT, history=none_yet))
    assert "Ingen budsjettrevisjoner: budsjettet som ble vedtatt ved oppstart, gjelder." in text

    # Without the history the report says what it lacks.
    text = report_text(build_report(status, series, generated_at=GENERATED_AT))
    assert "Basisplan 1 gjelder. Planens historikk ble ikke hentet til denne rapporten." in text


def test_report_shows_in_kind_work_against_the_pledge(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    text = report_text(build_report(status, series, generated_at=GENERATED_AT))
    section = text.split("Egeninnsats: dokumentert mot tilsagn")[1].split("Risiko")[0]
    assert (
        "124 200,00 kr dokumentert av tilsagnet på 200 000,00 kr (62,1 %); 75 800,00 kr "
        "gjenstår å dokumentere." in section
    )
    assert "Kommune Dokumentert (kr) Andel" in section
    assert "Kongsberg 60 000,00 48,3 %" in section
    assert "Rollag 7 200,00 5,8 %" in section
    assert "dokumentert 124 200,00 100,0 % tilsagn 200 000,00 62,1 %" in section


def test_report_escapes_text_and_copes_without_a_plan(status: dict[str, Any]) -> None:
    odd = {**status, "name": 'Nett & verk <i>"2010"</i>', "schedule": None, "evm": {}}
    empty_series = {"project": status["project"], "scope": "money", "points": []}
    document = build_report(odd, empty_series, generated_at=GENERATED_AT, lang="en")
    page = parse(document)
    assert "Nett &amp; verk &lt;i&gt;&quot;2010&quot;&lt;/i&gt;" in document
    assert "i" not in page.tags
    assert "No time-phased plan: no S-curve to draw." in document
    assert len(page.images) == 2, "budget lines and success factors"
    assert "Ingen tidsfordelt plan" in build_report(odd, empty_series, generated_at=GENERATED_AT)


def test_status_date_inside_a_month_ends_the_curves_there(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    # A status on 15 June: the series has nothing known after 31 May; the status's own EV and
    # AC give the last point, so the picture still ends at the status date.
    mid = copy.deepcopy(status)
    mid["status_date"] = "2010-06-15"
    mid["evm"]["money"].update({"pv": "87250.00", "ev": "80000.00", "ac": "100000.00"})
    cut = copy.deepcopy(series)
    for point in cut["points"]:
        if point["day"] >= "2010-06-30":
            point["ev"] = point["ac"] = None
    page = parse(build_report(mid, cut, generated_at=GENERATED_AT, lang="en"))
    curve = next(image for image in page.images if image["alt"].startswith("S-curve"))
    assert "status date 15 Jun 2010" in curve["alt"]
    assert "EV NOK 80,000.00, AC NOK 100,000.00" in plain(curve["alt"])
