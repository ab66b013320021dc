"""`ptrack report` and `ptrack status` choose their language: `--lang`, else the setting
(`PTRACK_LANGUAGE`), else the plan's (the status's `language`), else bokmål. The services are
replaced by the fixtures, so this runs without a stack."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from ptrack import cli
from ptrack.present import commands, status
from shared.client import ApiError
from shared.i18n import LANGUAGES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}-2010-06-30.json").read_text())
    return loaded


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The fixtures in place of the reporting, milestones and finance services; what the
    command asked for is kept."""
    answers: dict[str, Any] = {"status": fixture("status"), "asked": []}

    async def fetch_status(
        base_url: str, key: str, project: str, as_of: date | None, **options: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        answers["asked"].append(("status", project, as_of))
        return answers["status"], fixture("series")

    async def fetch_history(
        finance_url: str, milestones_url: str, key: str, project: str
    ) -> dict[str, Any]:
        answers["asked"].append(("history", project))
        return fixture("history")

    monkeypatch.setattr(status, "fetch_status", fetch_status)
    monkeypatch.setattr(status, "fetch_history", fetch_history)
    monkeypatch.setattr(commands, "admin_key", lambda: "key")
    monkeypatch.delenv("PTRACK_LANGUAGE", raising=False)
    return answers


def report(tmp_path: Path, *options: str) -> str:
    out = tmp_path / "report.html"
    assert cli.main(["report", "--as-of", "2010-06-30", "-o", str(out), *options]) == 0
    return out.read_text(encoding="utf-8")


def test_the_choices_are_the_languages_offered() -> None:
    assert set(commands.LANGUAGE_CHOICES) == set(LANGUAGES)
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["status", "--lang", "sv"])
    args = cli.parser().parse_args(["status", "--lang", "en"])
    assert args.lang == "en"


def test_the_report_takes_the_language_from_the_option_the_setting_or_the_plan(
    services: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert '<html lang="nb">' in report(tmp_path), "the plan's language: bokmål"
    assert ("history", "kongsbergregionen-2010") in services["asked"]
    assert '<html lang="en">' in report(tmp_path, "--lang", "en")
    monkeypatch.setenv("PTRACK_LANGUAGE", "en")
    assert '<html lang="en">' in report(tmp_path), "the setting"
    assert '<html lang="nb">' in report(tmp_path, "--lang", "nb"), "the option first"
    monkeypatch.delenv("PTRACK_LANGUAGE")
    services["status"] = {**fixture("status"), "language": "en"}
    assert '<html lang="en">' in report(tmp_path), "an English plan"
    services["status"] = {k: v for k, v in fixture("status").items() if k != "language"}
    document = report(tmp_path)
    assert '<html lang="nb">' in document, "no language anywhere: bokmål"
    assert "Basisplaner" in document
    assert "RU 22/2010" not in document, "the baseline of September is not yet in force"


def test_the_board_takes_the_language_the_same_way(
    services: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["status", "--as-of", "2010-06-30"]) == 0
    assert "ptrack statustavle" in capsys.readouterr().out
    assert cli.main(["status", "--as-of", "2010-06-30", "--lang", "en"]) == 0
    assert "ptrack status board" in capsys.readouterr().out
    monkeypatch.setenv("PTRACK_LANGUAGE", "en")
    assert cli.main(["status", "--as-of", "2010-06-30"]) == 0
    assert "ptrack status board" in capsys.readouterr().out
    assert services["asked"][0] == ("status", "kongsbergregionen-2010", date(2010, 6, 30))


def test_the_report_is_made_without_the_history_when_a_service_fails(
    services: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    async def failing(*_: Any) -> dict[str, Any]:
        raise ApiError(httpx.Response(500, request=httpx.Request("GET", "http://finance/")))

    monkeypatch.setattr(status, "fetch_history", failing)
    document = report(tmp_path)
    assert "Planens historikk ble ikke hentet til denne rapporten." in document
    assert "leaves out the plan's history" in capsys.readouterr().err
