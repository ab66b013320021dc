"""Registry: the region's information networks, their members, assessments and the pilot."""
