"""Reasoning about a whole form: the paths it can take and what its rules can never do."""
