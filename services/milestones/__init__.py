"""Milestones: the plan as baselines, and progress against it (milestones, goals, decisions,
activities)."""
