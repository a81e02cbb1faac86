"""The operational domain: areas, incidents and their timeline, concerns, patrols, follow-ups."""
