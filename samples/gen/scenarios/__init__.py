"""Scenarios: each module's build() returns a Sample (files to write and its README entry)."""
