"""Brings data in from the city's systems: adapters, sources, sync runs, rejected records."""
