"""`python -m tools.dashboards [--lang nb|en] [--check] [--out DIR]`: see
`tools.dashboards.generate`."""

from tools.dashboards.generate import main

raise SystemExit(main())
