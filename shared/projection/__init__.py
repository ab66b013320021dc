"""Read models: what a projection is (`protocol`), how its model is written and rebuilt from
the log (`writer`), how two copies of a model are compared (`compare`). How JetStream feeds a
writer is `shared.projection.consumer`, imported by the runtime alone: nothing else here needs
NATS (a replay or a time-travel view runs without it)."""

from shared.projection.compare import TableDiff, compare_schemas
from shared.projection.protocol import Projection, Statement, StatementProjection
from shared.projection.writer import (
    FAILURES_SQL,
    LogBehind,
    ReadModel,
    ReadModelWriter,
    rebuild_into,
)

__all__ = [
    "FAILURES_SQL",
    "LogBehind",
    "Projection",
    "ReadModel",
    "ReadModelWriter",
    "Statement",
    "StatementProjection",
    "TableDiff",
    "compare_schemas",
    "rebuild_into",
]
