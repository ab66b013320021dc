"""Plan files: reading and validating them, checking them for contradictions and gaps, and
loading them into the running services."""
