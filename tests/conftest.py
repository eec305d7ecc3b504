"""Shared pytest fixtures for the fetchall test suite.

Keep this file small: reusable machinery lives in the ``support`` package.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.fault_server import FaultServer


@pytest.fixture(name="fault_server", scope="session")
def _fault_server() -> Iterator[FaultServer]:
    """One FaultServer for the whole session; starting one per test is slow."""
    with FaultServer() as server:
        yield server


@pytest.fixture(name="server")
def _server(fault_server: FaultServer) -> FaultServer:
    """The session's FaultServer, with its counters reset for this test."""
    fault_server.reset()
    return fault_server
