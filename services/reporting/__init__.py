"""Reporting: cross-service read models, earned value, the status of a project."""
