"""The mapping an import follows: the file given, else the plan's `imports` section."""

from __future__ import annotations

import argparse
from typing import Any

import yaml


class NoMapping(SystemExit):
    pass


def mapping_for(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    if args.mapping is not None:
        data = yaml.safe_load(args.mapping.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise NoMapping(f"{args.mapping}: a mapping is a YAML mapping")
        return data
    from ptrack.demo.story import DEFAULT_PLAN
    from ptrack.plan.model import read_plan

    plan = read_plan(args.plan or DEFAULT_PLAN)
    found = plan.imports(kind)
    if found is None:
        raise NoMapping(f"{plan.path}: no imports.{kind} section; give --mapping")
    if plan.project_id != args.project:
        raise NoMapping(
            f"{plan.path} is the plan of {plan.project_id}, not {args.project}; give --plan "
            "or --mapping"
        )
    return found
