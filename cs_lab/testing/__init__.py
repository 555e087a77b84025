"""Reusable test suites shipped with the package (contract tests every model / loader passes)."""
