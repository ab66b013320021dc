"""No route of any service runs code in FastAPI's thread pool: a plain `def` endpoint or
dependency costs a thread hand-off per request, which under load is more than the work."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant

from ptrack.stack.catalog import SERVICES
from shared.settings import Settings
from tests.integration.test_access_matrix import api_routes


def _sync_calls(dependant: Dependant) -> Iterator[str]:
    call: Any = dependant.call
    if call is not None:
        # A class instance (HTTPBearer) is called through its __call__ method.
        target = call if inspect.isroutine(call) else type(call).__call__
        if not inspect.iscoroutinefunction(target):
            yield getattr(call, "__qualname__", repr(call))
    for sub in dependant.dependencies:
        yield from _sync_calls(sub)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_endpoint_and_dependency_is_async(name: str) -> None:
    settings = Settings(database_url="postgresql://unused", nats_url="nats://unused:4222")
    app = SERVICES[name].build(settings)
    found = {
        f"{sorted(route.methods or ())} {route.path}: {call}"
        for route in api_routes(app.routes)
        for call in _sync_calls(route.dependant)
    }
    assert not found, "\n".join(sorted(found))
