"""Real headless Chromium (Debian's `chromium`, installed by `make test`) driven by
Playwright, against the app served by pytest-django's live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(
    os.environ.get("ASTRAL_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-output")
)
SCREENSHOTS = ARTIFACTS / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package.")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def watch_console(page: Any) -> list[str]:
    """The page's console errors and uncaught exceptions, as they happen (a CSP refusal is
    one): a browser test asserts the list stays empty."""
    errors: list[str] = []
    page.on(
        "console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


OPENED: list[Any] = []  # pages a test opened itself (`watched`), checked when it ends


def watched(page: Any) -> Any:
    """A page the test opened itself, its console checked when the test ends."""
    page.console_errors = watch_console(page)
    OPENED.append(page)
    return page


@pytest.fixture(autouse=True)
def no_console_errors() -> Iterator[None]:
    OPENED.clear()
    yield
    errors = [e for page in OPENED for e in page.console_errors]
    OPENED.clear()
    assert errors == [], f"console errors: {errors}"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = watch_console(page)
    page.console_errors = errors  # a test that means to be refused clears what it expected
    yield page
    context.close()
    assert errors == [], f"console errors: {errors}"


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
