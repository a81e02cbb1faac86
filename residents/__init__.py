"""Residents told what was done: outcome messages through delivery channels, and their feedback."""
