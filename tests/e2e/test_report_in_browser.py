"""The HTML status report as a reader sees it: opened from a file in headless Chromium (Debian's
package, installed by scripts/install-chromium.sh when missing), driven over the DevTools
protocol, in bokmål (the default) and in English. The page must load without console errors or
requests to anywhere, every picture must decode and render, and a screenshot of the whole page
must not be blank. With PTRACK_SCREENSHOTS=1 the bokmål page is photographed into
docs/report/statusrapport-nb.png, and the board drawn as SVG into docs/report/board-nb.svg."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import itertools
import json
import os
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageStat
from websockets.asyncio.client import ClientConnection, connect

from ptrack.present.board import board_svg
from ptrack.present.report import build_report

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
SCREENSHOTS = REPO / "docs" / "report"
MAX_SCREENSHOT_BYTES = 400_000
TITLES = {
    "nb": "Statusrapport: Nettverk som arbeidsform i Kongsbergregionen, 30.06.2010",
    "en": "Status report: Nettverk som arbeidsform i Kongsbergregionen, 30 Jun 2010",
}
CHROMIUM = Path("/usr/bin/chromium")
INSTALL = REPO / "scripts" / "install-chromium.sh"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--window-size=1000,1400",
]


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; installed by the project's script when missing. A failed install
    fails the test with the script's output: a skipped browser test would prove nothing."""
    if not CHROMIUM.exists():
        result = subprocess.run(
            [str(INSTALL)], capture_output=True, text=True, timeout=1800, check=False
        )
        if result.returncode != 0 or not CHROMIUM.exists():
            pytest.fail(
                f"{INSTALL.name} exited {result.returncode}; Chromium is still missing.\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}",
                pytrace=False,
            )
    return CHROMIUM


class DevTools:
    """A minimal DevTools protocol client: commands answered by id, events kept in order.
    One page session (flattened into the browser connection) is all the test needs."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.connection:
            message = json.loads(raw)
            if "id" in message and message["id"] in self.pending:
                self.pending.pop(message["id"]).set_result(message)
            else:
                self.events.append(message)
                self.arrived.set()

    async def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        number = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[number] = future
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        await self.connection.send(json.dumps(message))
        answer = await asyncio.wait_for(future, 30)
        assert "error" not in answer, f"{method}: {answer['error']}"
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def wait_for(self, method: str, session: str, seconds: float = 30) -> dict[str, Any]:
        async with asyncio.timeout(seconds):
            while True:
                for event in self.events:
                    if event.get("method") == method and event.get("sessionId") == session:
                        return event
                self.arrived.clear()
                await self.arrived.wait()

    async def close(self) -> None:
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


@contextlib.contextmanager
def profile() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ptrack-chromium-") as directory:
        yield Path(directory)


@contextlib.asynccontextmanager
async def browser(executable: Path) -> AsyncIterator[DevTools]:
    """Chromium on a free debugging port, in a throwaway profile; closed and reaped after."""
    with profile() as directory:
        log = directory / "chromium.log"
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                str(executable),
                *FLAGS,
                f"--user-data-dir={directory / 'profile'}",
                stdout=sink,
                stderr=sink,
            )
        try:
            # Chromium writes the port it chose and the browser's path here once it listens.
            port_file = directory / "profile" / "DevToolsActivePort"
            async with asyncio.timeout(60):
                while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
                    if process.returncode is not None:
                        raise AssertionError(f"Chromium exited early:\n{log.read_text()}")
                    await asyncio.sleep(0.1)
            port, path = port_file.read_text().splitlines()[:2]
            async with connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as connection:
                tools = DevTools(connection)
                try:
                    yield tools
                    with contextlib.suppress(Exception):
                        await tools.send("Browser.close")
                finally:
                    await tools.close()
        finally:
            # Browser.close ends it; otherwise it is stopped, and reaped either way.
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}-2010-06-30.json").read_text())
    return loaded


@pytest.fixture(params=["nb", "en"])
def lang(request: pytest.FixtureRequest) -> str:
    chosen: str = request.param
    return chosen


@pytest.fixture
def report_file(tmp_path: Path, lang: str) -> Path:
    """The report of the fixtures with the plan's history; bokmål as the command makes it when
    not told (the plan's language), English when asked."""
    path = tmp_path / "status-report.html"
    path.write_text(
        build_report(
            fixture("status"), fixture("series"),
            generated_at=datetime(2010, 7, 1, 8, 30, tzinfo=UTC),
            lang=None if lang == "nb" else lang, history=fixture("history"),
        ),
        encoding="utf-8",
    )  # fmt: skip
    return path


def problems(events: list[dict[str, Any]], session: str) -> list[str]:
    """Console errors, uncaught exceptions and browser log errors (a failed load among them)."""
    found = []
    for event in events:
        if event.get("sessionId") != session:
            continue
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"uncaught: {params.get('exceptionDetails')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            found.append(f"log {entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
    return found


async def test_report_renders_in_chromium(
    chromium: Path, report_file: Path, tmp_path: Path, lang: str
) -> None:
    async with browser(chromium) as tools:
        target = await tools.send("Target.createTarget", url="about:blank")
        attached = await tools.send(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            await tools.send(f"{domain}.enable", session)
        await tools.send(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=1000,
            height=1400,
            deviceScaleFactor=1,
            mobile=False,
        )
        await tools.send("Page.navigate", session, url=report_file.as_uri())
        await tools.wait_for("Page.loadEventFired", session)

        page = await tools.send(
            "Runtime.evaluate",
            session,
            returnByValue=True,
            expression="""({
                title: document.title,
                lang: document.documentElement.lang,
                scripts: document.scripts.length,
                images: Array.from(document.images).map(i => ({
                    alt: i.alt, complete: i.complete,
                    naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight,
                    width: i.getBoundingClientRect().width})),
                height: document.documentElement.scrollHeight,
            })""",
        )
        facts = page["result"]["value"]
        metrics = await tools.send("Page.getLayoutMetrics", session)
        size = metrics["cssContentSize"]
        shot = await tools.send(
            "Page.captureScreenshot",
            session,
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        )
        events = list(tools.events)

    assert problems(events, session) == []
    requested = [
        event["params"]["request"]["url"]
        for event in events
        if event.get("method") == "Network.requestWillBeSent"
    ]
    assert requested, "the page itself is a request"
    assert all(url.startswith(("file:", "data:")) for url in requested), requested

    assert facts["title"] == TITLES[lang]
    assert facts["lang"] == lang
    assert facts["scripts"] == 0, "the report needs no JavaScript"
    assert len(facts["images"]) >= 3
    for image in facts["images"]:
        assert image["complete"], image
        assert image["naturalWidth"] > 0, image
        assert image["naturalHeight"] > 0, image
        assert image["width"] > 300, f"drawn too small: {image}"

    png = base64.b64decode(shot["data"])
    (tmp_path / "screenshot.png").write_bytes(png)
    picture = Image.open(io.BytesIO(png))
    assert picture.height >= facts["height"] * 0.9, "the whole page, not just the viewport"
    spread = ImageStat.Stat(picture.convert("L")).stddev[0]
    assert spread > 10, f"the screenshot looks blank (stddev {spread:.1f})"
    # The top of the page (the headline and the S-curve) is not blank either.
    top = picture.crop((0, 0, picture.width, min(picture.height, 1400))).convert("L")
    assert ImageStat.Stat(top).stddev[0] > 10
    small = _small_png(picture)
    assert len(small) < MAX_SCREENSHOT_BYTES, f"{len(small)} bytes"
    if lang == "nb" and os.environ.get("PTRACK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "statusrapport-nb.png").write_bytes(small)


def test_the_board_as_a_picture(tmp_path: Path) -> None:
    """The board in bokmål as an SVG picture of the terminal, for the documentation."""
    svg = board_svg(fixture("status"), fixture("series"))
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert "ptrack&#160;statustavle" in svg or "ptrack statustavle" in svg
    assert len(svg.encode()) < MAX_SCREENSHOT_BYTES
    (tmp_path / "board-nb.svg").write_text(svg, encoding="utf-8")
    if os.environ.get("PTRACK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "board-nb.svg").write_text(svg, encoding="utf-8")


def _small_png(picture: Image.Image) -> bytes:
    """A palette PNG: the report is flat colours, text and line charts, so 256 colours keep it
    sharp at a fraction of the size."""
    out = io.BytesIO()
    picture.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True
    )
    return out.getvalue()
