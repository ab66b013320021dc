"""`make run` from a clean clone, as a newcomer runs it: no PostgreSQL or NATS is configured, so
the stack comes up on embedded servers; the README's curl example posts a booking that shows in
the budget and on /metrics; Ctrl-C stops everything; data survives a restart."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
FINANCE = "http://127.0.0.1:8103"


SURVEYS = "http://127.0.0.1:8104"
SEMINAR_SURVEY = {
    "specversion": "1.0",
    "id": "4b7e2c1a-9d3f-4e6a-8b5c-2f1e0d9c8b03",
    "source": "urn:example:project-office",
    "type": "SurveyPublished",
    "subject": "seminar-2010-11",
    "data": {
        "project_id": "kongsbergregionen-2010",
        "title": "Inspiration seminar",
        "target": {"kind": "seminar"},
        "phase": "single",
        "invited": 40,
        "published_on": "2010-11-01",
        "questions": [
            {"id": "q1", "text": "I understand what the networks are for", "kind": "likert",
             "required": True, "factor": "understanding"},
            {"id": "q2", "text": "Would you recommend the next seminar?", "kind": "nps"},
        ],
    },
}  # fmt: skip


def signed_in_to_the_office(log: str) -> None:
    """`make run` prints the office's address and a key to sign in with; both work."""
    found = re.search(r"The project office: (\S+)/signin\n.*with the key: (ptk_\S+)", log)
    assert found, log[-3000:]
    office, key = found.groups()
    with httpx.Client(base_url=office, timeout=60, follow_redirects=True) as browser:
        page = browser.get("/signin")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token, page.text
        signed = browser.post("/signin", data={"key": key, "csrf": token[1], "next": "/projects"})
        assert signed.status_code == 200, signed.text[:2000]  # followed to the projects page
        assert "Kari Nordmann" in signed.text
        assert 'href="/projects/kongsbergregionen-2010"' in signed.text


def survey_answered_through_the_webhook(headers: dict[str, str]) -> None:
    """A survey tool's webhook, as Formbricks sends it, lands in the results and on /metrics."""
    published = httpx.post(
        f"{SURVEYS}/events",
        json=SEMINAR_SURVEY,
        headers={**headers, "Content-Type": "application/cloudevents+json"},
    )
    assert published.status_code == 201, published.text
    hook = {
        "webhookId": "wh1",
        "event": "responseFinished",
        "data": {
            "id": "resp-1",
            "surveyId": "seminar-2010-11",
            "finished": True,
            "createdAt": "2010-11-03T13:58:10.000Z",
            "updatedAt": "2010-11-03T14:02:41.000Z",
            "data": {"q1": 4, "q2": 9},
            "contact": {"id": "contact-42"},
        },
    }
    answered = httpx.post(f"{SURVEYS}/webhooks/formbricks", json=hook, headers=headers)
    assert answered.status_code == 201, answered.text
    listed = httpx.get(
        f"{SURVEYS}/projects/kongsbergregionen-2010/surveys",
        headers=headers,
        params={"min_position": answered.json()["position"]},
    ).json()
    assert ("seminar-2010-11", 1) in [(s["id"], s["responses"]) for s in listed]
    results = httpx.get(f"{SURVEYS}/surveys/seminar-2010-11/results", headers=headers).json()
    assert results["suppressed"] is True, "one respondent is below the anonymity threshold"
    metrics = httpx.get(f"{SURVEYS}/metrics", headers=headers).text
    responses = 'ptrack_survey_responses{project="kongsbergregionen-2010",survey="seminar-2010-11"}'
    assert f"{responses} 1.0" in metrics


def readme_example() -> str:
    text = (REPO / "README.md").read_text()
    block = re.search(r"<!-- e2e:.*?-->\s*```sh\n(.*?)```\s*<!-- /e2e -->", text, re.S)
    assert block, "the README's e2e example block is missing"
    return block.group(1)


class MakeRun:
    def __init__(self, clone: Path, log: Path) -> None:
        self.clone, self.log = clone, log
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PTRACK_", "VIRTUAL_ENV"))}
        env["PATH"] = ":".join(p for p in env["PATH"].split(":") if ".venv" not in p)
        self.env = env
        self.process = subprocess.Popen(
            ["make", "run"],
            cwd=clone,
            env=env,
            stdout=open(log, "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while "ptrack is up" not in self.log.read_text(errors="replace"):
            assert self.process.poll() is None, self.log.read_text()[-4000:]
            assert time.monotonic() < deadline, self.log.read_text()[-4000:]
            time.sleep(0.5)

    def interrupt(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        return self.process.wait(60)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("clone") / "ptrack"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True)
    return target


def test_make_run_from_a_clean_clone_serves_the_readme_example(clone: Path, tmp_path: Path) -> None:
    first = MakeRun(clone, tmp_path / "first.log")
    try:
        first.wait_up(timeout=900)
        stack = json.loads((clone / ".ptrack" / "stack.json").read_text())
        assert stack["database_url"].endswith(f"host={clone / '.ptrack' / 'pg'}")
        assert stack["nats_url"] != "nats://127.0.0.1:4222"
        log = first.log.read_text()
        assert "budget and financing loaded" in log

        assert "schedule baseline 1 loaded" in log
        assert "demo kongsbergregionen-2010" in log
        result = subprocess.run(
            ["sh", "-ec", readme_example()], cwd=clone, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        booking, budget, reached, milestones, registered, coverage = answers
        assert booking["duplicate"] is False
        assert budget["project"]["id"] == "kongsbergregionen-2010"
        assert 'ptrack_cost_booked_nok{line="external-expertise"' in result.stdout
        assert reached["duplicate"] is False
        m7 = next(m for m in milestones["milestones"] if m["id"] == "M7")
        assert (m7["state"], m7["actual"], m7["slip_days"]) == ("reached_late", "2011-01-10", 21)
        assert 'ptrack_milestone_reached_timestamp_seconds{milestone="M7"' in result.stdout
        assert len(registered["events"]) == 2
        # The demo mapped and assessed 12 networks by 31 March; the example adds a 13th.
        assert (coverage["mapped"], coverage["assessed"], coverage["share_assessed"]) == (
            13,
            13,
            1.0,
        )
        assert (
            'ptrack_networks_assessed_ratio{project="kongsbergregionen-2010"} 1.0' in result.stdout
        )
        key = (clone / ".ptrack" / "admin.key").read_text().strip()
        headers = {"Authorization": f"Bearer {key}"}
        costs = httpx.get(
            f"{FINANCE}/projects/kongsbergregionen-2010/costs",
            headers=headers,
            params={"line": "external-expertise", "from": "2010-03-15", "to": "2010-03-15"},
        ).json()
        booked = [(c["booking_id"], c["net"]) for c in costs["items"]]
        assert ("GL-2010-0042", "12500.00") in booked
        survey_answered_through_the_webhook(headers)
        signed_in_to_the_office(log)
    finally:
        assert first.interrupt() == 0 or first.process.returncode in (0, 2, -2)
    leftovers = subprocess.run(
        ["pgrep", "-f", str(clone / ".ptrack")], capture_output=True, text=True
    ).stdout
    assert leftovers.strip() == "", f"processes left behind: {leftovers}"

    second = MakeRun(clone, tmp_path / "second.log")
    try:
        second.wait_up(timeout=120)
        restarted = second.log.read_text()
        assert ", 0 newly recorded" in restarted, "the demo is idempotent"
        # The demo revised the plan (baseline 2); the file is baseline 1, not loaded again.
        assert "schedule unchanged (baseline 1; revised since: baseline 2" in restarted
        assert "budget and financing already loaded" in restarted
        key = (clone / ".ptrack" / "admin.key").read_text().strip()
        costs = httpx.get(
            f"{FINANCE}/projects/kongsbergregionen-2010/costs",
            headers={"Authorization": f"Bearer {key}"},
            params={"line": "external-expertise", "from": "2010-03-15", "to": "2010-03-15"},
        ).json()
        booked = [(c["booking_id"], c["net"]) for c in costs["items"]]
        assert ("GL-2010-0042", "12500.00") in booked, "data must survive a restart"
    finally:
        second.interrupt()
