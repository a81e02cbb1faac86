"""API v1 views: one view per operation, each calling one service; reads through selectors."""
