"""Fixtures every suite shares. See tests/README.md for what each one gives."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support import infra as infra_support
from tests.support import isolation
from tests.support.smtp import start_smtp_sink

# Intake fixtures (shared by the intake, projections and e2e suites), the IMAP server of the mail-in tests, and
# the whole desk for the browser tests.
pytest_plugins = ["tests.support.intake", "tests.support.imap", "tests.support.desk"]

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="session")
def infra(pytestconfig):
    """The real Kafka and PostgreSQL for this run (environment, testcontainers or local stack)."""
    # Starting the stack can take a while the first time (jar download): let its progress show.
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        found = infra_support.discover()
        print(f"\n[soporte] tests use Kafka {found.kafka_bootstrap} and PostgreSQL from the {found.source}", flush=True)
    yield found
    with capture.global_and_fixture_disabled():
        found.stop()


@pytest.fixture
async def pg_dsn(infra) -> str:
    """A DSN to a fresh, empty database, dropped after the test."""
    dsn = await isolation.create_database(infra.database_url)
    yield dsn
    await isolation.drop_database(infra.database_url, dsn)


@pytest.fixture
def kafka_bootstrap(infra) -> str:
    return infra.kafka_bootstrap


@pytest.fixture
async def topic_prefix(infra) -> str:
    """A unique prefix with every contract topic created under it (``prefix + spec.base_name``)."""
    prefix = isolation.new_topic_prefix()
    await isolation.create_topics(infra.kafka_bootstrap, prefix)
    yield prefix
    await isolation.delete_topics(infra.kafka_bootstrap, prefix)


@pytest.fixture
def smtp_sink(tmp_path):
    """A real SMTP server (aiosmtpd) on a free port; ``smtp_sink.messages()`` reads what it got."""
    sink = start_smtp_sink(tmp_path / "mail")
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium (installed by `make test`); its absence is a failure, not a skip."""
    path = os.environ.get("SOPORTE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("chromium is not installed: run `make deps` (apt-get install chromium)")
    return path


@pytest.fixture
async def browser(chromium_path):
    """A headless Playwright browser on Debian's chromium (never Playwright's own download)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path, headless=True, args=["--no-sandbox"])
        yield browser
        await browser.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests leave screenshots and logs for people (ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
