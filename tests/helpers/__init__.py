"""Helpers shared by test modules: the real command, instants, ports, SMTP, domain builders.

Fixtures stay in ``conftest.py`` files; they build on these plain functions and classes.
"""
