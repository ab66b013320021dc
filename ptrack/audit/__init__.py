"""What an auditor does: verify the logs, checkpoints and read models, keep signed checkpoints,
and export logs and the finance documentation to check on their own."""
