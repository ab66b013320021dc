"""What a service's rule means, in the reader's language. A service answers a broken rule with
its code (`rule`) and an English detail naming the facts (`'Oslo' is not one of the project's
municipalities: Kongsberg, ...`); a page in another language shows the rule's meaning from the
catalogue instead, and the detail beside it for those who want the facts. A rule not listed
here is shown as the service worded it. Pure."""

from __future__ import annotations

from services.office.forms import N_

RULES: dict[str, str] = {
    # Finance
    "known_municipality": N_("Not one of the project's municipalities."),
    "in_kind_activity": N_("The plan allows no in-kind work on this activity."),
    "within_period": N_("Outside the project period."),
    "rate_ceiling": N_("Above the hourly rate the plan allows."),
    "hours_per_day": N_("More hours in one day than the plan allows one person."),
    "known_line": N_("Not a budget line of the project."),
    "known_booking": N_("No such booking in the project."),
    "known_source": N_("Not a funding source of the project."),
    "within_remaining": N_("More than what remains of the booking."),
    "within_received": N_("More than what was received from this source."),
    "budget_approved": N_("The project has no approved budget yet."),
    "known_entry": N_("No such in-kind entry in the project."),
    "withdrawn": N_("The entry is withdrawn already."),
    "changes_something": N_("Nothing here differs from the entry as it stands."),
    "attester": N_("Only the municipality's member of the project group attests its work."),
    "nothing_to_attest": N_("Nothing of the municipality's stands unattested in that period."),
    # Common
    "required": N_("Required."),
    "positive": N_("Must be greater than zero."),
    "not_negative": N_("Must not be negative."),
    "unique": N_("This is recorded already: it must be unique."),
    "once": N_("This can be recorded only once, and it is recorded already."),
    "after_start": N_("Must not be before the start."),
    "between_0_and_1": N_("Must be between 0 and 100 %."),
    # Schedule
    "baselined": N_("The project has no plan baseline yet."),
    "not_before_start": N_("Before the project starts."),
    "already_reached": N_("The milestone is reached already; reopen it to change the date."),
    "not_reached": N_("The milestone is reached; reopen it first."),
    "reached": N_("The milestone is not reached, so it cannot be reopened."),
    "explicit_revision": N_(
        "The decision point is decided already; tick that this changes a decision to record it."
    ),
    "known_goal": N_("Not an action goal of the plan."),
    # Networks and surveys
    "known_network": N_("No such network in the project's register."),
    "not_retired": N_("The network is retired."),
    "changes": N_("An update must change at least one field."),
    "already_member": N_("Already a member of the network."),
    "is_member": N_("Not a member of the network."),
    "assessed": N_("A network is assessed before it is chosen for the pilot."),
    "pilot_limit": N_("The pilot has as many networks as the plan allows."),
    "known_dimension": N_("Not an assessment dimension of the plan."),
    "known_focus_area": N_("Not one of the plan's focus areas."),
    "known_factor": N_("Not one of the plan's success factors."),
    "published": N_("The survey is not published."),
    "open": N_("The survey is closed."),
    "already_closed": N_("The survey is closed already."),
    "not_before_published": N_("Before the survey was published."),
}


def explained(rule: str | None) -> str | None:
    """The meaning of `rule` as a message to translate; None for a rule not listed."""
    return RULES.get(rule or "")
