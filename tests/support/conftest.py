"""Fixtures of the support tests: a desk with two teams and requests in its queues."""

from __future__ import annotations

import pytest

from tests.helpers.desk import make_desk


@pytest.fixture
def desk(personas):  # type: ignore[no-untyped-def]
    """Two teams, four open requests (``tests.helpers.desk.make_desk``)."""
    return make_desk(personas)


@pytest.fixture
def small_pages(monkeypatch):  # type: ignore[no-untyped-def]
    """Two rows a page, so that a few requests make several pages."""
    monkeypatch.setattr("livret.web.pagination.PER_PAGE", 2)
