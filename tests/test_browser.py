"""The built book works in a real browser: headless Chromium, offline, on key pages.

Why: the static checks in test_book.py read the HTML; they cannot see a script that throws,
an image the browser cannot decode, a search that finds nothing or a catalogue filter that
does not filter. Readers meet all of these first. The pages are served from _build/html on
127.0.0.1 (as a reader's browser would open them) and Chromium runs with its network
features off, since CI has no network. A screenshot of the landing page is kept as a CI
artefact in _build/artefacts/.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BUILD, ROOT, toc_files

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTEFACTS = BUILD / "artefacts"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--window-size=1280,900",
)

# Checks every image on the page by loading its source again and waiting for the outcome, so
# lazy images below the fold are checked too. Returns the sources that fail to decode.
BROKEN_IMAGES_JS = """
const done = arguments[arguments.length - 1];
const srcs = Array.from(document.images).map(i => i.currentSrc || i.src).filter(s => s);
Promise.all(srcs.map(src => new Promise(resolve => {
  const img = new Image();
  img.onload = () => resolve(img.naturalWidth > 0 ? null : src);
  img.onerror = () => resolve(src);
  img.src = src;
}))).then(r => done(r.filter(s => s)));
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep the test output readable
        pass


@pytest.fixture(scope="module")
def site(built_book: Path) -> Iterator[str]:
    """The built HTML served on a free port of 127.0.0.1."""
    handler = functools.partial(_Quiet, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(
            f"Chromium or chromedriver missing ({CHROMIUM}, {CHROMEDRIVER}): run make setup"
        )
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not try the network
    profile = tempfile.mkdtemp(prefix="imgshare-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(driver: webdriver.Chrome, url: str) -> list[str]:
    """Open a page, wait until it has loaded, and return its severe console messages."""
    driver.get_log("browser")  # drop messages left from the previous page
    driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]


PAGES = [str(p.relative_to(ROOT).with_suffix(".html")) for p in toc_files()]


def test_landing_page_screenshot(site: str, browser: webdriver.Chrome) -> None:
    errors = _open(browser, f"{site}/index.html")  # redirects to the root page
    WebDriverWait(browser, 30).until(lambda d: d.current_url.endswith("book/intro.html"))
    assert not errors, f"console errors on the landing page: {errors}"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "landing.png"
    assert browser.save_screenshot(str(shot)), "no screenshot taken"
    assert shot.stat().st_size > 10_000, "the screenshot looks empty"


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_console_errors_or_broken_images(
    site: str, browser: webdriver.Chrome, page: str
) -> None:
    errors = _open(browser, f"{site}/{page}")
    assert not errors, f"{page}: console errors: {errors}"
    broken = browser.execute_async_script(BROKEN_IMAGES_JS)
    assert not broken, f"{page}: images that do not load: {broken}"
    launch = browser.find_elements(
        By.CSS_SELECTOR,
        ".dropdown-launch-buttons, a[href*='mybinder'], a[href*='colab'], .thebe-launch-button",
    )
    assert not launch, f"{page}: a launch button is shown, but none works offline"


def test_search_finds_a_known_term(site: str, browser: webdriver.Chrome) -> None:
    errors = _open(browser, f"{site}/search.html?q=pseudonym")
    assert not errors, f"console errors on the search page: {errors}"
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results li")
    )
    hits = [
        a.get_attribute("href")
        for a in browser.find_elements(By.CSS_SELECTOR, "#search-results li a")
    ]
    assert any("glossary.html" in (h or "") for h in hits), (
        f"pseudonym not found in glossary: {hits}"
    )


def test_catalogue_filter_narrows_the_table(site: str, browser: webdriver.Chrome) -> None:
    errors = _open(browser, f"{site}/book/landscape/metadata.html")
    assert not errors, f"console errors on the metadata page: {errors}"
    box = browser.find_element(By.CSS_SELECTOR, "input[type=search][placeholder^='filter']")
    root = box.find_element(By.XPATH, "./ancestor::*[.//tbody][1]")

    def shown() -> int:  # counted in the page: one WebDriver call per row is slow
        return browser.execute_script(
            "return Array.from(arguments[0].querySelectorAll('tbody tr'))"
            ".filter(r => r.offsetParent !== null || r.getClientRects().length > 0).length;",
            root,
        )

    before = shown()
    box.send_keys("Patient's Birth")
    WebDriverWait(browser, 10).until(lambda d: shown() < before)
    after = shown()
    assert 0 < after < before, f"filter left {after} of {before} rows"
    count = root.find_element(By.CSS_SELECTOR, ".count").text
    assert count.startswith(f"{after} of {before}"), f"the row count says {count!r}"


def test_wide_tables_scroll_inside_the_page(site: str, browser: webdriver.Chrome) -> None:
    """A wide table scrolls in its own box: the page itself never scrolls sideways."""
    wide = []
    for page in PAGES:
        _open(browser, f"{site}/{page}")
        overflow = browser.execute_script(
            "const d = document.documentElement; return d.scrollWidth - d.clientWidth;"
        )
        if overflow > 1:
            wide.append(f"{page}: {overflow} px")
    assert not wide, f"pages wider than the window: {wide}"


def test_numbered_lists_show_their_numbers(site: str, browser: webdriver.Chrome) -> None:
    """The gaps page refers to "gap 10": its lists must show numbers, continuing across parts."""
    _open(browser, f"{site}/book/guidance/gaps.html")
    styles = browser.execute_script(
        "return Array.from(document.querySelectorAll('article ol')).map("
        "o => [o.getAttribute('start'), getComputedStyle(o).listStyleType]);"
    )
    assert styles and all(kind == "decimal" for _, kind in styles), styles
    assert ["10", "decimal"] in styles, styles
