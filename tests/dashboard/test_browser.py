"""A new user's path through the dashboard, in a real headless Chromium against a real server.

Log in, import the openssl catalog, build the GenRSA command in the builder (the engine refuses
it first, then "add what is missing" fixes it), create a job through its form, run it on a real
Temporal dev server and worker, watch its output arrive, and download the key it made. Each page
is saved as a screenshot: to docs/screenshots/ by `make screenshots`, to a scratch folder otherwise
(a test run leaves the checkout as it found it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Route, async_playwright, expect

from oto.engine import client as engine_client
from oto.engine.devserver import DevServer
from oto.web.server import create_app
from tests.dashboard.conftest import make_key, serving
from tests.support.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("OTO_SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "oto-screenshots")
CHROMIUM = os.environ.get("OTO_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TAG = "openssl - 3.5.3"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or not shutil.which("openssl"),
    reason="needs Debian's chromium (`make test` installs it) and openssl",
)


def catalog(folder: Path) -> Path:
    """data/openssl.json, its executable on the server's default queue (the test worker's)."""
    document = json.loads((ROOT / "data" / "openssl.json").read_text())
    for exe in document["executables"]:
        exe.pop("task_queue", None)
    path = folder / "openssl.json"
    path.write_text(json.dumps(document))
    return path


async def shot(page: Page, name: str, *, full: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


async def nav(page: Page, name: str) -> None:
    await page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


async def launch(playwright_: object) -> Browser:
    chromium = playwright_.chromium  # type: ignore[attr-defined]
    browser: Browser = await chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    return browser


async def test_a_new_user_builds_runs_and_downloads_an_rsa_key(
    engine: Engine, temporal: DevServer, tmp_path: Path
) -> None:
    key = make_key(engine.database, "admin", "alice")
    app = create_app(engine.database, temporal=lambda: engine_client.connect(temporal.address))
    with serving(app) as base:
        async with async_playwright() as playwright_:
            browser = await launch(playwright_)
            context = await browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True,
                                                base_url=base)
            outside: list[str] = []

            async def refuse(route: Route) -> None:  # the browser may reach OTO and nothing else
                outside.append(route.request.url)
                await route.abort()

            await context.route(re.compile(r"^(?!" + re.escape(base) + r")[a-z]+://"), refuse)
            page = await context.new_page()
            try:
                await walk(page, key, tmp_path)
                assert outside == [], f"pages asked for files outside OTO: {outside}"
            finally:
                await context.close()
                await browser.close()


async def walk(page: Page, key: str, tmp_path: Path) -> None:
    expect.set_options(timeout=10_000)  # the whole suite shares two cores
    # 1. Every page asks for a key first.
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    await page.get_by_label("API key").fill(key)
    await shot(page, "login")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    await expect(page.get_by_text("no worker seen recently").or_(page.get_by_text("worker seen"))).to_be_visible()

    # 2. Import the openssl catalog: the programs and their flags only, to build commands here.
    await nav(page, "Import")
    await page.get_by_label("Catalog file").set_input_files(str(catalog(tmp_path)))
    await page.get_by_label("Only the programs and their parameters").check()
    await page.get_by_role("button", name="Import").click()
    await expect(page.get_by_role("status")).to_contain_text("Imported: 42 created")
    await shot(page, "import")

    # 3. Its rules, drawn.
    await page.get_by_role("link", name="see the executables").click()
    await page.get_by_role("link", name=TAG).click()
    await expect(page.get_by_role("img", name=f"Rules between the flags of {TAG}")).to_be_visible()
    await shot(page, "executable")

    # 4. The builder: the engine refuses -pkeyopt without -algorithm, and says so at once.
    await page.get_by_role("link", name="build one").click()
    builder = page.locator("#builder")
    await builder.get_by_label("genpkey", exact=True).check()
    await builder.get_by_label("-pkeyopt", exact=True).check()
    verdict = page.locator("#verdict")
    await expect(verdict).to_contain_text("-pkeyopt requires -algorithm, which is missing")
    await page.evaluate("window.scrollTo(0, 0)")
    await shot(page, "builder-violation")
    await page.get_by_role("link", name="Add what is missing").click()
    await expect(builder.get_by_label("-algorithm", exact=True)).to_be_checked()
    await expect(verdict).to_contain_text("The engine accepts these flags")
    await builder.get_by_label("-out", exact=True).check()
    await expect(page.locator("#order")).to_contain_text("genpkey -out -algorithm -pkeyopt")
    await expect(verdict).to_contain_text("The engine accepts these flags")
    await page.get_by_label("Command name").fill("GenRSA")
    await page.get_by_label("Description").fill("Generate an RSA keypair")
    await page.evaluate("window.scrollTo(0, 0)")
    await shot(page, "builder-ok")
    await page.get_by_role("button", name="Save the command").click()
    await expect(page.get_by_role("heading", name="Command GenRSA")).to_be_visible()

    # 5. A job through the form: one field per value, the service's message for a bad one.
    await page.get_by_role("link", name="Create a job from GenRSA").click()
    await page.get_by_label("Job name").fill("GenRSA-4096")
    await page.get_by_label("-algorithm").fill("RSA")
    await page.get_by_label("-pkeyopt").fill("rsa_keygen_bits:4096")
    await expect(page.locator("#argv")).to_contain_text("-out (path) a path cannot be empty")
    await page.get_by_role("button", name="Create the job").click()
    await expect(page.get_by_role("alert")).to_contain_text("-out (path) a path cannot be empty")
    await page.get_by_label("-out").fill("key.pem")
    await expect(page.locator("#argv")).to_have_text(
        "/usr/bin/openssl genpkey -out key.pem -algorithm RSA -pkeyopt rsa_keygen_bits:4096")
    await shot(page, "job-form")
    await page.get_by_role("button", name="Create the job").click()
    await expect(page.get_by_role("heading", name="Job GenRSA-4096")).to_be_visible()

    # 6. Run it on Temporal and watch openssl's progress arrive on stderr while it runs.
    await page.get_by_role("button", name="Run GenRSA-4096").click()
    await expect(page).to_have_url(re.compile(r"/runs/run-[0-9a-f]+$"))
    await expect(page.locator("#stderr")).to_contain_text("+", timeout=30_000)
    await shot(page, "run-live")
    await expect(page.locator("#run-status")).to_have_attribute("data-status", "succeeded", timeout=30_000)
    await expect(page.locator("#exit-code")).to_have_text("0", timeout=10_000)
    await shot(page, "run", full=True)

    # 7. Download the key it made.
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="key.pem").click()
    download = await download_info.value
    saved = tmp_path / "downloaded.pem"
    await download.save_as(saved)
    assert saved.read_text().startswith("-----BEGIN PRIVATE KEY-----")

    # 8. A routine of two steps, drawn as it is edited.
    await nav(page, "Routines")
    await page.get_by_role("link", name="Create a routine").click()
    await page.get_by_label("Routine name").fill("two-keys")
    await page.get_by_label("Step 1 id").fill("first")
    await page.get_by_label("Step 1 job").select_option("GenRSA-4096")
    await page.get_by_label("Step 2 id").fill("second")
    await page.get_by_label("Step 2 job").select_option("GenRSA-4096")
    await page.get_by_label("Step 2 runs after").fill("first")
    await page.get_by_role("button", name="Save the routine").click()
    await expect(page.get_by_role("heading", name="Routine two-keys")).to_be_visible()
    await expect(page.get_by_role("img", name="The steps of routine two-keys, each after the steps it waits for")
                 ).to_be_visible()
    await shot(page, "routine")

    # 9. The runs list knows the run.
    await nav(page, "Runs")
    await expect(page.get_by_role("cell", name="succeeded")).to_be_visible()
    await nav(page, "Overview")
    await shot(page, "overview")

    # 10. The API's own docs render with no network beyond OTO: Swagger UI and ReDoc are served by OTO.
    await page.goto("/docs")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("OTO", timeout=20_000)
    await page.goto("/redoc")
    await expect(page.get_by_text("/api/v1/jobs/{name}/runs").first).to_be_attached(timeout=20_000)


async def test_the_run_button_of_a_job_with_inputs_opens_a_form_typed_by_each_input(
    engine: Engine, temporal: DevServer
) -> None:
    tag = "echo - 1"
    engine.load({
        "executables": [{"name": "echo", "version": "1", "path": "/bin/echo", "task_queue": engine.queue}],
        "parameters": [
            {"flag": "-n", "executable_tag": tag, "value_type": "int"},
            {"flag": "HOST", "executable_tag": tag, "value_type": "ip", "style": "positional"},
        ],
        "commands": [{"name": "Echo", "executable_tag": tag, "parameters": ["-n", "HOST"]}],
        "jobs": [{"name": "Scan", "command": "Echo", "inputs": {"-n": "3", "HOST": None}}],
    })
    key = make_key(engine.database, "run", "bob")
    app = create_app(engine.database, temporal=lambda: engine_client.connect(temporal.address))
    with serving(app) as base:
        async with async_playwright() as playwright_:
            browser = await launch(playwright_)
            context = await browser.new_context(viewport={"width": 1280, "height": 860}, base_url=base)
            page = await context.new_page()
            try:
                expect.set_options(timeout=10_000)
                await page.goto("/jobs/Scan")
                await page.get_by_label("API key").fill(key)
                await page.get_by_role("button", name="Log in").click()
                await expect(page.get_by_role("heading", name="Job Scan")).to_be_visible()
                form = page.get_by_role("group", name="Run Scan with")
                count, host = form.get_by_label("-n"), form.get_by_label("HOST")
                await expect(count).to_have_attribute("type", "number")
                await expect(count).to_have_value("3")
                await expect(host).to_have_attribute("type", "text")
                await expect(host).to_have_attribute("placeholder", re.compile(r"\d"))
                # a value of the wrong type: the service's message, and no run
                await host.fill("not-an-ip")
                await page.get_by_role("button", name="Run Scan").click()
                await expect(page.get_by_text("HOST (ip) 'not-an-ip' is not an IPv4 or IPv6 address")).to_be_visible()
                assert engine.app.runs.list_all(job="Scan") == []
                await page.goto("/jobs/Scan")
                await page.get_by_role("group", name="Run Scan with").get_by_label("HOST").fill("192.0.2.9")
                await shot(page, "job-run-form")
                await page.get_by_role("button", name="Run Scan").click()
                await expect(page).to_have_url(re.compile(r"/runs/run-[0-9a-f]+$"))
                await expect(page.locator("#run-status")).to_have_attribute("data-status", "succeeded",
                                                                            timeout=30_000)
                await expect(page.locator("#stdout")).to_contain_text("3 192.0.2.9")  # echo took -n as its own
                run = engine.app.runs.list_all(job="Scan")[0]
                assert run["argv"] == ["/bin/echo", "-n", "3", "192.0.2.9"] and run["inputs"]["HOST"] == "192.0.2.9"
            finally:
                await context.close()
                await browser.close()
