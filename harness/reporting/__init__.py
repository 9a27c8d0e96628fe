"""Renderers: they turn stored runs into text, tables or documents; they never print."""
