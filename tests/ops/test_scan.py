"""The claim-and-defer loop of every worker scan: one bad row never stops the others."""

from __future__ import annotations

import logging

import pytest

from livret.ops.scan import scan

log = logging.getLogger("livret.test.scan")


def test_it_logs_and_defers_a_failing_row_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    deferred: list[int] = []

    def handle(key: int) -> int:
        if key == 2:
            raise RuntimeError("boom")
        return 10 * key

    with caplog.at_level(logging.ERROR, logger=log.name):
        done = scan([1, 2, 3], handle, deferred.append, log=log, failure="row %s failed")

    assert done == 40  # rows 1 and 3
    assert deferred == [2]
    assert [r.getMessage() for r in caplog.records] == ["row 2 failed"]


def test_it_goes_on_when_a_row_cannot_be_deferred(caplog: pytest.LogCaptureFixture) -> None:
    def defer(key: int) -> None:
        raise RuntimeError("database away")

    def handle(key: int) -> int:
        if key == 1:
            raise RuntimeError("boom")
        return 1

    with caplog.at_level(logging.ERROR, logger=log.name):
        assert scan([1, 2], handle, defer, log=log, failure="row %s failed") == 1
    assert [r.getMessage() for r in caplog.records] == [
        "row 1 failed",
        "1 could not be pushed back after its failure",
    ]


def test_it_leaves_a_failing_row_due_without_a_defer() -> None:
    def handle(key: int) -> int:
        raise RuntimeError("boom")

    assert scan([1, 2], handle, None, log=log, failure="row %s failed") == 0
