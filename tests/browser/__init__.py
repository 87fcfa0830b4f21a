"""Helpers for the tests that open the built book in a real browser (Debian's Chromium through Playwright)."""
