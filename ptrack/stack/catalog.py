"""The processes ptrack runs, their app factories and default ports: the services that keep a
log (`SERVICES`), and the office, the web app people use, which keeps none."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI

from shared.service import ServiceSpec
from shared.settings import Settings


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    factory: str
    """`module:function` returning the FastAPI app for given settings."""
    port: int

    def spec(self) -> ServiceSpec:
        module, _, _ = self.factory.partition(":")
        spec: ServiceSpec = importlib.import_module(module).SPEC
        return spec

    def build(self, settings: Settings) -> FastAPI:
        module, _, function = self.factory.partition(":")
        build: Callable[[Settings], FastAPI] = getattr(importlib.import_module(module), function)
        return build(settings)


SERVICES: dict[str, ServiceEntry] = {
    entry.name: entry
    for entry in [
        ServiceEntry("registry", "services.registry.app:build", 8101),
        ServiceEntry("milestones", "services.milestones.app:build", 8102),
        ServiceEntry("finance", "services.finance.app:build", 8103),
        ServiceEntry("surveys", "services.surveys.app:build", 8104),
        ServiceEntry("reporting", "services.reporting.app:build", 8105),
    ]
}

OFFICE = ServiceEntry("office", "services.office.app:build", 8100)
"""The web app: no log, no spec; it calls the services above over HTTP."""
PROCESSES: dict[str, ServiceEntry] = {**SERVICES, OFFICE.name: OFFICE}
