"""HTTP pieces every service shares: the app factory, problem details, the events endpoint."""
