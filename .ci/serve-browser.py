"""Drives the classroom page in headless Chromium, as a teacher would.

Usage: serve-browser.py URL SCREENSHOT.png [--save COPY.png]

Picks the retry-storm scenario, runs it, pins it as A, moves the retries
knob to 0 with the keyboard on its slider, runs B beside A, and checks that
retry amplification went down (the direction the scenario's lesson names),
that availability did not get worse, and that every chart is a drawn SVG.
Then takes a screenshot and checks it is a PNG of the window's size that is
not blank. Exits non-zero, with the reason, at the first check that fails.
"""

import shutil
import struct
import sys
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

WIDTH, HEIGHT = 1400, 1500
SCENARIO = "retry-storm"
KNOB = "traffic.retries"
FIGURE = "retry_amplification"
RUN_SECONDS = 300


def fail(message):
    print(f"serve-browser: {message}", file=sys.stderr)
    sys.exit(1)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--hide-scrollbars",
                     "--force-device-scale-factor=1", f"--window-size={WIDTH},{HEIGHT}"):
        options.add_argument(argument)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(driver_path), options=options)


def wait_for(driver, what, condition, seconds=60):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda d: condition(d))
    except Exception:
        status = driver.find_element(By.ID, "status").text
        problems = driver.find_element(By.ID, "problems").text
        fail(f"waited {seconds} s for {what}; the page says: {status!r} {problems!r}")


def run_and_wait(driver, runs_before):
    driver.find_element(By.ID, "run").click()
    wait_for(driver, f"run {runs_before + 1}",
             lambda d: d.find_element(By.ID, "results").get_attribute("data-run")
             == str(runs_before + 1), RUN_SECONDS)


def values(driver, path):
    """The raw values of one figure, one per variant, left to right."""
    cells = driver.find_elements(By.CSS_SELECTOR, f'#figures tr[data-path="{path}"] td.value')
    if not cells:
        fail(f"no row for {path} in the figures")
    return [float(c.get_attribute("data-value")) for c in cells]


def check_charts(driver):
    charts = driver.find_elements(By.CSS_SELECTOR, "#charts figure svg")
    if len(charts) < 2:
        fail(f"expected at least two charts, found {len(charts)}")
    for chart in charts:
        shapes = len(chart.find_elements(By.CSS_SELECTOR, "*"))
        size = chart.size
        if shapes < 20 or size["width"] < 100 or size["height"] < 50:
            fail(f"a chart is empty: {shapes} shapes, {size}")
    return len(charts)


def png_pixels(path):
    """Decodes an 8-bit RGB or RGBA PNG without libraries: (width, height, rows)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        fail(f"unexpected PNG format: depth {depth}, colour type {colour}, interlace {interlace}")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = previous[x]
            c = previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows


def check_screenshot(path, width, height):
    got_width, got_height, bpp, rows = png_pixels(path)
    if (got_width, got_height) != (width, height):
        fail(f"screenshot is {got_width}x{got_height}, expected {width}x{height}")
    colours, dark, total = set(), 0, 0
    for row in rows[::4]:
        for x in range(0, len(row), bpp * 4):
            r, g, b = row[x], row[x + 1], row[x + 2]
            colours.add((r, g, b))
            total += 1
            if r + g + b < 384:
                dark += 1
    if len(colours) < 50 or dark < total // 200:
        fail(f"screenshot looks blank: {len(colours)} colours, {dark} dark pixels of {total}")
    print(f"screenshot {got_width}x{got_height}: {len(colours)} colours, "
          f"{100 * dark / total:.1f}% dark pixels")


def main():
    args = sys.argv[1:]
    if len(args) not in (2, 4) or (len(args) == 4 and args[2] != "--save"):
        fail("usage: serve-browser.py URL SCREENSHOT.png [--save COPY.png]")
    url, screenshot = args[0], args[1]
    driver = browser()
    try:
        driver.get(url)
        wait_for(driver, "the page's first scenario",
                 lambda d: d.find_element(By.ID, "title").text not in ("", "…"))
        Select(driver.find_element(By.ID, "scenario")).select_by_value(SCENARIO)
        wait_for(driver, f"the knobs of {SCENARIO}",
                 lambda d: d.find_elements(By.CSS_SELECTOR, f'.knob[data-path="{KNOB}"]'))
        if not driver.find_elements(By.CSS_SELECTOR, "#diagram svg .node"):
            fail("the architecture diagram is missing")

        run_and_wait(driver, 0)
        [before] = values(driver, FIGURE)
        charts = check_charts(driver)
        driver.find_element(By.ID, "pin").click()

        knob = driver.find_element(By.CSS_SELECTOR, f'.knob[data-path="{KNOB}"]')
        slider = knob.find_element(By.CSS_SELECTOR, "input.knob-slider")
        slider.click()
        slider.send_keys(Keys.HOME)
        field = knob.find_element(By.CSS_SELECTOR, "input.knob-value")
        if field.get_attribute("value") != "0":
            fail(f"the slider set {KNOB} to {field.get_attribute('value')!r}, not 0")

        run_and_wait(driver, 1)
        pinned, after = values(driver, FIGURE)
        if pinned != before:
            fail(f"A changed between runs: {before} then {pinned}")
        if not after < before:
            fail(f"{FIGURE} did not go down with {KNOB}=0: {before} then {after}")
        availability = values(driver, "availability")
        if not availability[1] >= availability[0]:
            fail(f"availability fell with {KNOB}=0: {availability}")
        charts = check_charts(driver)
        heads = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#figures thead th")]
        print(f"{FIGURE}: {before} -> {after}; availability {availability}; "
              f"{charts} charts; columns {heads}")

        driver.execute_script("window.scrollTo(0, 0)")
        size = driver.execute_script(
            "return [window.innerWidth * devicePixelRatio, window.innerHeight * devicePixelRatio]")
        driver.save_screenshot(screenshot)
        check_screenshot(screenshot, int(size[0]), int(size[1]))
        if len(args) == 4:
            shutil.copyfile(screenshot, args[3])
            print(f"saved {args[3]}")
    finally:
        driver.quit()
    print("serve-browser: ok")


if __name__ == "__main__":
    main()
