"""Administration: accounts and sessions, API tokens, settings overrides, the unit register, targets, 一票否优, audit,
backups."""
