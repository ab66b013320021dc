"""ptrack's common library: the event log, its relay and projections, HTTP and metrics helpers.

Nothing in here knows about a particular service; services plug their event types, deciders and
read models into it.
"""
