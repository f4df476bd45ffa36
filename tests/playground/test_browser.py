"""End-to-end: the playground in Debian's headless Chromium, driven by Selenium.

The server runs as ``python -m plainnet playground --port 0`` in a subprocess; the browser uses
/usr/bin/chromium and /usr/bin/chromedriver (never a downloaded driver or browser).
Screenshots go to a temporary folder; with PLAINNET_SCREENSHOTS=docs they go to docs/ for the
README.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from PIL import Image  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1000"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                       reason="needs Debian's chromium and chromium-driver (apt-get install -y "
                              "chromium chromium-driver)"),
]


@pytest.fixture(scope="module")
def server():
    """The playground's URL, served by the real command in a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "plainnet", "playground", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if "http://" in line:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert found.wait(60), "the playground printed no URL:\n" + "".join(lines)
        url = re.search(r"http://\S+?/", "".join(lines)).group(0)
        assert url.startswith("http://127.0.0.1:")  # loopback by default
        yield url.rstrip("/")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = os.environ.get("PLAINNET_SCREENSHOTS")
    return ROOT / folder if folder else tmp_path


def text(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def number(driver, element_id: str) -> float:
    try:
        return float(text(driver, element_id))
    except ValueError:
        return float("nan")


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)


def assert_not_blank(path: Path) -> None:
    """A real picture: many colours, and no single colour covering nearly all of it."""
    rgb = pixels(path.read_bytes())
    colours, counts = np.unique(rgb, axis=0, return_counts=True)
    assert len(colours) > 200, f"{path} has only {len(colours)} colours"
    assert counts.max() / len(rgb) < 0.9, f"{path} is mostly one colour"


def share(rgb: np.ndarray, colour: tuple[int, int, int], tol: int = 40) -> float:
    """The fraction of pixels within ``tol`` of ``colour`` in every channel."""
    return float(np.mean(np.all(np.abs(rgb - colour) <= tol, axis=1)))


def test_learn_page_trains_circles_to_090_test_accuracy(server, browser, shots):
    browser.get(server + "/")
    wait = WebDriverWait(browser, 30, poll_frequency=0.2)
    wait.until(lambda d: not np.isnan(number(d, "test-accuracy")))  # the session's first view
    assert browser.find_element(By.NAME, "dataset").get_attribute("value") == "circles"
    assert number(browser, "epoch") == 0

    browser.find_element(By.XPATH, "//button[text()='Start']").click()
    wait.until(lambda d: number(d, "test-accuracy") >= 0.9 and number(d, "epoch") >= 5)
    browser.find_element(By.XPATH, "//button[text()='Pause']").click()
    wait.until(lambda d: d.find_element(By.ID, "start").is_enabled())
    epoch = number(browser, "epoch")
    assert number(browser, "train-accuracy") >= 0.9

    browser.find_element(By.XPATH, "//button[text()='Step']").click()
    wait.until(lambda d: number(d, "epoch") == epoch + 1)
    assert browser.find_element(By.ID, "message").text == ""

    # the decision surface shows both classes' colours, and the unit maps are drawn
    surface = pixels(browser.find_element(By.ID, "surface").screenshot_as_png)
    assert share(surface, (245, 147, 34), 60) > 0.05 and share(surface, (8, 119, 189), 80) > 0.02
    assert len(browser.find_elements(By.CSS_SELECTOR, "#units canvas")) == 8

    path = shots / "playground-learn.png"
    browser.save_screenshot(str(path))
    assert_not_blank(path)

    # another tab has a session of its own, untouched by this one's training
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(server + "/")
    wait.until(lambda d: not np.isnan(number(d, "test-accuracy")))
    assert number(browser, "epoch") == 0
    browser.close()
    browser.switch_to.window(first)
    assert number(browser, "epoch") == epoch + 1

    browser.find_element(By.XPATH, "//button[text()='Reset']").click()
    wait.until(lambda d: number(d, "epoch") == 0)

    # a bad value is refused by the server and its message is shown; the page keeps working
    rate = browser.find_element(By.NAME, "lr")
    rate.clear()
    rate.send_keys("-1\t")
    wait.until(lambda d: "lr must be a number" in text(d, "message"))

    browser.find_element(By.LINK_TEXT, "Draw").click()
    wait.until(lambda d: d.current_url.endswith("/draw"))


def test_draw_page_predicts_a_stroke(server, browser, shots):
    browser.get(server + "/draw")
    wait = WebDriverWait(browser, 30, poll_frequency=0.2)
    startup = "trained on scikit-learn's 8x8 digits at start-up"
    wait.until(lambda d: startup in text(d, "model-info"))
    assert "Prediction:" not in text(browser, "prediction")

    pad = browser.find_element(By.ID, "pad")
    # a 7: a bar across the top, then a stroke down to the bottom left (offsets from the centre)
    (ActionChains(browser).move_to_element_with_offset(pad, -70, -90).click_and_hold()
     .move_by_offset(70, 0).move_by_offset(70, 0)
     .move_by_offset(-30, 60).move_by_offset(-30, 60).move_by_offset(-30, 60)
     .release().perform())
    wait.until(lambda d: "Prediction:" in text(d, "prediction"))
    shown = text(browser, "prediction")
    answer = re.search(r"Prediction: (\S+) \(probability (\d\.\d{3})\)", shown)
    assert answer, shown
    assert answer.group(1) == "7"  # the start-up model reads this 7 with high confidence
    assert 0.5 <= float(answer.group(2)) <= 1.0

    bars = pixels(browser.find_element(By.ID, "bars").screenshot_as_png)
    assert share(bars, (8, 119, 189), 30) > 0.005  # the winning bar is drawn
    path = shots / "playground-draw.png"
    browser.save_screenshot(str(path))
    assert_not_blank(path)

    browser.find_element(By.XPATH, "//button[text()='Clear']").click()
    wait.until(lambda d: "Prediction:" not in text(d, "prediction"))
    browser.find_element(By.LINK_TEXT, "Learn").click()
    wait.until(lambda d: d.find_element(By.ID, "start").is_displayed())
