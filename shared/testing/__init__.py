"""Test support: real servers for tests, given/when/then for deciders."""
