"""Reads of the registry. ``asof`` answers point-in-time questions; ``browse`` feeds the web pages."""
