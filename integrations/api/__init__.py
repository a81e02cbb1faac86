"""REST endpoints for IT staff: sources, runs, rejected records (routes in api_urls.py)."""
