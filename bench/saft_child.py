"""One measurement of the SAF-T scenario, in a process of its own so that its peak memory is
its own: `python -m bench.saft_child MODE FILE`, printing one JSON line.

Modes:
- `import`: what `POST /imports/saft` does with the file: `read_ledger` (streaming parse and
  validation against the official schema, records cleared as read) and `booking.plan` (the
  project's lines as events);
- `iterparse`: the floor of streaming: a plain lxml `iterparse` over every element, each
  transaction cleared once read, no schema and no extraction;
- `tree`: what an import that loads the file would do: `etree.parse` and
  `XMLSchema.validate` of the whole tree.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from lxml import etree

from bench.saft_files import MAPPING
from services.finance.saft import booking
from services.finance.saft.mapping import AccountMap, SaftMapping
from services.finance.saft.reader import N, official_schema, read_ledger


def main(mode: str, path: Path) -> dict[str, object]:
    started = time.perf_counter()
    details: dict[str, object] = {}
    if mode == "import":
        mapping = SaftMapping.model_validate(MAPPING)
        ledger = read_ledger(path, mapping.analysis.type, mapping.analysis.id)
        made = booking.plan(
            ledger.header.registration_number or "", ledger.lines, AccountMap(mapping), {}, {}
        )
        details = {
            "transactions": ledger.counted.entries,
            "project_lines": len(ledger.lines),
            "events": len(made.events),
            "totals_agree": (ledger.stated.debit, ledger.stated.credit)
            == (ledger.counted.debit, ledger.counted.credit),
        }
    elif mode == "iterparse":
        transactions = 0
        for _, element in etree.iterparse(str(path), events=("end",)):
            if element.tag == f"{N}Transaction":
                transactions += 1
                element.clear()
                parent = element.getparent()
                while parent is not None and (before := element.getprevious()) is not None:
                    parent.remove(before)
        details = {"transactions": transactions}
    elif mode == "tree":
        tree = etree.parse(str(path))
        schema = official_schema(tree.findtext(f"{N}Header/{N}AuditFileVersion") or "1.30")
        details = {"valid": schema.validate(tree)}
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return {
        "mode": mode,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_mb": _peak_mb(),
        **details,
    }


def _peak_mb() -> float:
    """This process's own high-water mark (VmHWM). Not `ru_maxrss`: Linux carries the forked
    parent's resident set over the exec into it, so a child would never report less than the
    process that started it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)  # the kernel writes kB
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], Path(sys.argv[2]))))
