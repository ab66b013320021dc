"""`ptrack accounts`: the finance service's project accounts written into a folder."""
