"""Audit: prove the log is whole and unaltered, that JetStream and the read models agree with
it, and sign its head so a later wholesale rewrite shows."""
