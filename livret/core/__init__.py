"""The pure domain of livret: offers, calendars and every rule that computes something.

Nothing under this package imports Django (a test enforces it); it is typed under
``mypy --strict``. Django apps load data, call these functions and store the results.
"""
