"""The figures of DOMAIN §5–§7: each project's facts and the counts and rates over them, the update duty, the
assessment, the guidance."""
