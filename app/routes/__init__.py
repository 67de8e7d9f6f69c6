"""Thin routers, one per concern."""
