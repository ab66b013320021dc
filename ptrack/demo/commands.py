"""`ptrack demo`: the demo history of the default project, posted to the running services."""

from __future__ import annotations

import argparse

from ptrack.command import Command
from ptrack.stack.location import admin_key, service_urls


def _demo(args: argparse.Namespace) -> int:
    from ptrack.demo.run import run_demo

    print(run_demo(service_urls(), admin_key()).report())
    return 0


DEMO = Command("demo", "post the demo history of the default project (idempotent)", _demo)
