"""Posting the demo's history through the services' public HTTP APIs: a batch per month and
service in date order, each month's Formbricks deliveries one by one after its batches, with a
progress bar and a tally of what each service recorded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ptrack.demo.calendar import month_name, month_of
from ptrack.demo.history import Post
from shared.client import ApiError, ServiceClient

SERVICES = ("registry", "milestones", "finance", "surveys")
MAX_BATCH = 500
ATTEMPTS = 5
"""Every event keeps its id when posted again, so a store that was unavailable is safely asked
again."""


class DemoRefused(ApiError):
    """A service refused part of the demo; the message names the step, the problem's detail
    and each broken rule."""

    def __init__(self, step: str, response: httpx.Response) -> None:
        super().__init__(response)
        self.step = step
        self.args = (f"{step}: {self.args[0]}",)


@dataclass(frozen=True)
class Step:
    label: str
    service: str
    posts: tuple[Post, ...]
    webhook: bool


def steps_of(posts: Sequence[Post]) -> list[Step]:
    """A batch per month and service, in date order (stable: events of one day keep the order
    they were told in, so a survey is published before it is answered); each month's webhook
    deliveries after the month's batches."""
    grouped: dict[tuple[str, str, bool], list[Post]] = defaultdict(list)
    for post in sorted(posts, key=lambda p: p.day):
        grouped[(month_of(post.day), post.service, post.webhook)].append(post)
    steps: list[Step] = []
    for month in sorted({month for month, _, _ in grouped}):
        for service in SERVICES:
            for webhook in (False, True):
                found = grouped.get((month, service, webhook), [])
                # Webhook deliveries go one by one, so a month's are one step.
                size = max(len(found), 1) if webhook else MAX_BATCH
                for start in range(0, len(found), size):
                    chunk = tuple(found[start : start + size])
                    what = "Formbricks" if webhook else service
                    label = f"{month_name(month)}: {what} ({len(chunk)})"
                    steps.append(Step(label, service, chunk, webhook))
    return steps


@dataclass
class Tally:
    posted: int = 0
    recorded: int = 0
    position: int | None = None

    def add(self, receipt: Mapping[str, Any], posted: int) -> None:
        self.posted += posted
        if not receipt["duplicate"]:
            self.recorded += len(receipt["events"])
        if receipt["position"] is not None:
            self.position = max(self.position or 0, receipt["position"])


def post_step(client: ServiceClient, urls: Mapping[str, str], step: Step) -> list[dict[str, Any]]:
    """The step's receipts: one for a batch, one per webhook delivery."""
    base = urls[step.service]
    try:
        if step.webhook:
            return [
                client.post_json(f"{base}/webhooks/formbricks", post.body) for post in step.posts
            ]
        return [client.post_events(base, [post.body for post in step.posts])]
    except ApiError as error:
        raise DemoRefused(step.label, error.response) from None


def post_all(
    client: ServiceClient, urls: Mapping[str, str], steps: Sequence[Step], progress: bool
) -> dict[str, Tally]:
    tallies = {service: Tally() for service in SERVICES}
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
            receipts = post_step(client, urls, step)
            posted = len(step.posts) if not step.webhook else 1
            for receipt in receipts:
                tallies[step.service].add(receipt, posted)
            bar.advance(task)
        bar.update(task, description="demo history posted")
    return tallies
