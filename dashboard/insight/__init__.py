"""Supervisors' insight pages: the shift briefing and the closure-quality charts."""
