"""What people see and what the browser talks to: pages, the REST API, the live feed."""
