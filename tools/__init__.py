"""Tools for developing ptrack, run from the source tree (`make dashboards`); not part of the
installed package."""
