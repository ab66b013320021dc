"""Finance: the cost budget, bookings and reversals, documented in-kind work, funding."""
