"""Surveys: how the pilot of the network school is received, network by network, before and
after, and how the project stands on its critical success factors."""
