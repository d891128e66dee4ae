"""Logging configured again (a service started in-process, a test that configures its own output) reaches every
logger, including those already used and cached under the configuration before (structlog caches a logger on
its first use, holding the processor chain it found then)."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from services.common import logging as holdfast_logging


@pytest.fixture(autouse=True)
def configured_as_the_tests_are():
    yield
    holdfast_logging.configure("tests", level="warning", fmt="json")


def test_a_logger_used_before_logging_is_configured_again_is_captured():
    log = structlog.get_logger("tests.cached_before")
    log.debug("first use: the logger is assembled and cached now")
    holdfast_logging.configure("tests", level="warning", fmt="json")
    with structlog.testing.capture_logs() as logs:
        log.info("after the second configuration")
    assert [entry["event"] for entry in logs] == ["after the second configuration"]


def test_a_logger_used_before_logging_is_configured_again_writes_with_the_new_configuration(monkeypatch):
    log = structlog.get_logger("tests.cached_before_output")
    log.debug("first use")
    buffer = io.StringIO()
    monkeypatch.setattr("sys.stdout", buffer)
    holdfast_logging.configure("demo", level="info", fmt="json")
    log.info("written", password="hunter2")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [(line["event"], line["service"], line["password"]) for line in lines] == [
        ("written", "demo", holdfast_logging.REDACTED)
    ]


def test_configure_keeps_one_processor_chain():
    """Every configuration changes the one chain in place, so references held by cached loggers stay live."""
    chain = structlog.get_config()["processors"]
    holdfast_logging.configure("tests", level="info", fmt="json")
    holdfast_logging.configure("tests", level="warning", fmt="json")
    assert structlog.get_config()["processors"] is chain
    assert structlog.stdlib.filter_by_level in chain
