"""Every dashboard page over a real app and database, as a browser without JavaScript sees it."""

from __future__ import annotations

import html as html_text
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from oto.dashboard import forms
from oto.services import apikeys, documents, jobs, routines, runs
from oto.services.database import Database
from oto.web import session
from tests.dashboard.conftest import Browser, csrf_of, make_key

ROOT = Path(__file__).resolve().parents[2]
TAG = "openssl - 3.5.3"
EXE = f"/executables/{quote(TAG)}"


def seed(database: Database, *, catalog_only: bool = False) -> None:
    document = json.loads((ROOT / "data" / "openssl.json").read_text())
    if catalog_only:
        document = {k: v for k, v in document.items() if k in ("oto", "executables", "parameters")}
    with database.session() as db:
        documents.import_document(db, document)


def texts(html: str, css_class: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(rf'class="{css_class}"[^>]*>(.*?)</', html, re.S)]


def problem(html: str) -> str:
    """The page's error message, as a person reads it."""
    found = re.search(r'class="problem"[^>]*>(.*?)</(?:div|p|dd)>', html, re.S)
    assert found, "no problem shown"
    return html_text.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


PAGES = ["/", "/executables", EXE, "/builder", f"/builder?executable={quote(TAG)}", "/commands",
         "/commands/GenRSA", "/jobs", "/jobs/new?command=GenRSA", "/jobs/GenRSA-2048", "/jobs/GenRSA-2048/edit",
         "/routines", "/routines/new", "/routines/keypair-and-pub", "/routines/keypair-and-pub/edit", "/runs",
         "/schedules", "/notifications", "/import"]


# -- logging in --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_sends_a_stranger_to_the_login_form(client: TestClient, page: str) -> None:
    response = client.get(page, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={quote(page, safe='')}"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_a_logged_in_reader(client: TestClient, sqlite_database: Database,
                                                    page: str) -> None:
    seed(sqlite_database)
    Browser(client, make_key(sqlite_database, "read"))
    response = client.get(page)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<main" in response.text and "Log out" in response.text


def test_login_sets_a_strict_http_only_cookie_and_goes_where_asked(client: TestClient,
                                                                   sqlite_database: Database) -> None:
    key = make_key(sqlite_database, "read", "bob")
    form = client.get("/login?next=/runs")
    assert 'for="key">API key</label>' in form.text and 'value="/runs"' in form.text
    response = client.post("/login", data={"key": key, "next": "/runs"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/runs"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{session.COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert key not in cookie  # the cookie names the key; it never holds it
    assert "bob" in client.get("/").text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example", "runs"])
def test_login_never_sends_the_browser_to_another_site(client: TestClient, sqlite_database: Database,
                                                       target: str) -> None:
    key = make_key(sqlite_database)
    response = client.post("/login", data={"key": key, "next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_a_login_posted_from_another_site_is_refused(client: TestClient, sqlite_database: Database) -> None:
    key = make_key(sqlite_database)
    response = client.post("/login", data={"key": key}, headers={"Origin": "https://evil.example"},
                           follow_redirects=False)
    assert response.status_code == 403 and session.COOKIE not in response.headers.get("set-cookie", "")
    same = client.post("/login", data={"key": key}, headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert same.status_code == 303


@pytest.mark.parametrize("key", ["", "nope", "oto_12345678_wrong"])
def test_a_bad_key_is_refused_with_the_reason(client: TestClient, key: str) -> None:
    response = client.post("/login", data={"key": key})
    assert response.status_code == 401
    assert problem(response.text)
    assert session.COOKIE not in response.headers.get("set-cookie", "")


def test_a_revoked_key_ends_its_session_at_once(client: TestClient, sqlite_database: Database) -> None:
    Browser(client, make_key(sqlite_database, "read", "carol"))
    assert client.get("/", follow_redirects=False).status_code == 200
    with sqlite_database.session() as db:
        apikeys.revoke(db, "carol")
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/jobs").status_code == 401


def test_a_forged_or_damaged_cookie_is_no_session(client: TestClient, sqlite_database: Database) -> None:
    Browser(client, make_key(sqlite_database, "read", "dave"))
    real = client.cookies[session.COOKIE]
    payload, _, signature = real.partition(".")
    forged = session.encode(session.Login("dave", "00000000", "x"))
    for value in (f"{payload}.{signature[::-1]}", f"{payload}x.{signature}", "garbage", forged.split(".")[0]):
        client.cookies.set(session.COOKIE, value)
        assert client.get("/", follow_redirects=False).status_code == 303, value
    assert session.decode(real) is not None and session.decode(real, max_age=-1) is None


def test_logout_needs_the_token_and_clears_the_cookie(admin: Browser) -> None:
    assert admin.client.post("/logout", data={"csrf": "wrong"}).status_code == 403
    response = admin.post("/logout", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert admin.client.get("/", follow_redirects=False).status_code == 303


def test_the_signing_secret_is_private_to_its_home(admin: Browser, oto_home: Path) -> None:
    secret = oto_home / "dashboard.secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(secret.read_text())) == 32


# -- the REST API with the session ---------------------------------------------------------------


def test_the_api_accepts_the_session_and_wants_the_token_to_change_things(
    admin: Browser, sqlite_database: Database
) -> None:
    seed(sqlite_database, catalog_only=True)
    api = admin.client
    assert api.get("/api/v1/executables").json()["total"] == 1
    check = f"/api/v1/executables/{quote(TAG)}/check"
    refused = api.post(check, json={"flags": ["genpkey"]})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    verdict = api.post(check, json={"flags": ["genpkey", "-pkeyopt"]}, headers={"X-CSRF-Token": admin.csrf})
    assert verdict.json()["completion"] == ["genpkey", "-pkeyopt", "-algorithm"]
    api.cookies.clear()
    anonymous = api.get("/api/v1/executables")
    assert anonymous.status_code == 401 and "Bearer" in anonymous.json()["detail"]


def test_a_read_session_cannot_change_the_catalog_through_the_api(client: TestClient,
                                                                  sqlite_database: Database) -> None:
    reader = Browser(client, make_key(sqlite_database, "read"))
    response = client.post("/api/v1/jobs", json={"name": "j", "command": "c"}, headers={"X-CSRF-Token": reader.csrf})
    assert response.status_code == 403 and "scope read" in response.json()["detail"]


# -- pages -------------------------------------------------------------------------------------------


def test_the_executable_page_draws_its_rules(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database)
    page = admin.client.get(EXE).text
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'role="img"' in svg and f"Rules between the flags of {TAG}" in svg
    assert 'class="edge requires" data-from="-pkeyopt" data-to="-algorithm"' in svg
    assert 'class="edge before" data-from="-algorithm" data-to="-pkeyopt"' in svg
    assert "at most one of subcommand" in svg
    assert "requires -algorithm" in page and "comes before -pkeyopt" in page
    assert '<span class="type" title="a file or folder path">path</span>' in page


def test_the_builder_without_javascript(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database, catalog_only=True)
    first = admin.client.get(f"/builder?executable={quote(TAG)}&flag=-pkeyopt&flag=genpkey").text
    assert texts(first, "violation missing_requirement") == ["-pkeyopt requires -algorithm, which is missing"]
    # flags come back in an order that keeps the rules: genpkey first, -algorithm before -pkeyopt
    assert "<code>genpkey -pkeyopt</code>" in first
    link = re.search(r'id="add-missing" href="([^"]+)"', first)
    assert link
    fixed = admin.client.get(link.group(1).replace("&amp;", "&")).text
    assert "The engine accepts these flags" in fixed and "<code>genpkey -algorithm -pkeyopt</code>" in fixed
    checked = admin.post("/builder", data={"executable": TAG, "flag": ["genpkey", "x509"], "action": "check"})
    assert checked.status_code == 200
    assert texts(checked.text, "violation scale")  # two subcommands: at most one of the group


def test_the_builder_saves_only_what_the_engine_accepts(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database, catalog_only=True)
    refused = admin.post("/builder", data={"executable": TAG, "flag": ["genpkey", "-pkeyopt"], "name": "Gen"})
    assert refused.status_code == 422
    assert "-pkeyopt requires -algorithm" in problem(refused.text)
    saved = admin.post("/builder", data={"executable": TAG, "flag": ["genpkey", "-pkeyopt", "-algorithm", "-out"],
                                         "name": "Gen", "description": "keys"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/commands/Gen"
    page = admin.client.get("/commands/Gen").text
    assert "<code>genpkey -out -algorithm -pkeyopt</code>" in page
    again = admin.post("/builder", data={"executable": TAG, "flag": ["genpkey"], "name": "Gen"})
    assert again.status_code == 409


def test_a_reader_may_check_in_the_builder_but_not_save(client: TestClient, sqlite_database: Database) -> None:
    seed(sqlite_database, catalog_only=True)
    reader = Browser(client, make_key(sqlite_database, "read"))
    assert reader.post("/builder", data={"executable": TAG, "flag": ["genpkey"], "action": "check"}).status_code == 200
    refused = reader.post("/builder", data={"executable": TAG, "flag": ["genpkey"], "name": "G"})
    assert refused.status_code == 403 and "needs scope admin" in refused.text


def test_the_job_form_has_a_field_per_value_with_its_type(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database)
    tool = "tool - 1"
    document = {
        "oto": 1,
        "executables": [{"name": "tool", "version": "1", "path": "/bin/true"}],
        "parameters": [
            {"flag": "-p", "executable_tag": tool, "value_type": "port"},
            {"flag": "-n", "executable_tag": tool, "value_type": "int", "repeatable": True},
            {"flag": "-m", "executable_tag": tool, "value_type": "enum", "choices": ["fast", "slow"]},
            {"flag": "-k", "executable_tag": tool, "value_type": "string", "secret": True},
            {"flag": "-v", "executable_tag": tool},
        ],
        "commands": [{"name": "T", "executable_tag": tool, "parameters": ["-v", "-p", "-n", "-n", "-m", "-k"]}],
    }
    with sqlite_database.session() as db:
        documents.import_document(db, document)
    page = admin.client.get("/jobs/new?command=T").text
    assert re.search(r'name="v:-p" type="number"[^>]*min="1" max="65535"', page, re.S)
    assert page.count('name="v:-n" type="number"') == 2
    assert "-n (1 of 2)" in page and "-n (2 of 2)" in page
    assert re.search(r'<select id="v-\d+" name="v:-m"', page) and "<option>fast</option>" in page
    assert 'name="v:-k" type="password"' in page
    assert "<code>-v</code> is a switch" in page
    bad = admin.post("/jobs/new", data={"command": "T", "name": "t1", "v:-p": "70000", "v:-n": ["1", "2"],
                                        "v:-m": "fast", "v:-k": "s3cret", "action": "save"})
    assert bad.status_code == 422
    assert "-p (port) '70000' is not a port" in problem(bad.text)
    assert 'value="70000"' in bad.text  # what was typed stays in the form
    writes: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    sa.event.listen(sqlite_database.engine, "before_cursor_execute", note)
    try:
        preview = admin.post("/jobs/preview", data={"command": "T", "v:-p": "443", "v:-n": ["1", "2"],
                                                    "v:-m": "fast", "v:-k": "s3cret"}).json()
    finally:
        sa.event.remove(sqlite_database.engine, "before_cursor_execute", note)
    assert preview == {"argv": "/bin/true -v -p 443 -n 1 -n 2 -m fast -k '***'"}
    assert [w for w in writes if "api_keys" not in w] == []  # a preview writes nothing (a key's last use aside)
    made = admin.post("/jobs/new", data={"command": "T", "name": "t1", "v:-p": "443", "v:-n": ["1", "2"],
                                         "v:-m": "slow", "v:-k": "s3cret", "action": "save"}, follow_redirects=False)
    assert made.headers["location"] == "/jobs/t1"
    shown = admin.client.get("/jobs/t1").text
    assert "/bin/true -v -p 443 -n 1 -n 2 -m slow -k &#39;***&#39;" in shown and "s3cret" not in shown
    with sqlite_database.session() as db:  # the previews left no job behind
        assert [j.name for j in jobs.list_all(db, command="T")] == ["t1"]


def test_the_preview_button_works_without_javascript(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database)
    page = admin.post("/jobs/new", data={"command": "GenRSA", "name": "g", "v:-algorithm": "RSA",
                                         "v:-pkeyopt": "rsa_keygen_bits:2048", "v:-out": "my key.pem",
                                         "action": "preview"})
    assert page.status_code == 200
    argv = "/usr/bin/openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out &#39;my key.pem&#39;"
    assert argv in page.text
    with sqlite_database.session() as db:
        assert "g" not in [j.name for j in jobs.list_all(db)]  # a preview saves nothing


def test_editing_a_job_keeps_its_name(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database)
    response = admin.post("/jobs/GenRSA-2048/edit", data={"command": "GenRSA", "v:-algorithm": "RSA",
                                                          "v:-pkeyopt": "rsa_keygen_bits:3072", "v:-out": "k.pem",
                                                          "description": "bigger", "action": "save"},
                          follow_redirects=False)
    assert response.headers["location"] == "/jobs/GenRSA-2048"
    assert "rsa_keygen_bits:3072 -out k.pem" in admin.client.get("/jobs/GenRSA-2048").text


def test_the_job_form_sets_a_concurrency_limit_and_a_retry_policy(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database)
    base = {"command": "GenRSA", "v:-algorithm": "RSA", "v:-pkeyopt": "rsa_keygen_bits:2048", "v:-out": "k.pem",
            "description": "", "action": "save"}
    with sqlite_database.session() as db:
        jobs.update(db, "GenRSA-2048", {"retry": {"attempts": 2, "delay": "1s", "backoff": 2.0, "on": ["failed"]}})
    form = admin.client.get("/jobs/GenRSA-2048/edit").text
    assert 'name="retry_attempts" type="number" min="1" max="100" step="1" value="2"' in form
    edited = admin.post("/jobs/GenRSA-2048/edit", data=base | {"max_concurrent": "2", "retry_attempts": "3",
                                                               "retry_delay": "10s"}, follow_redirects=False)
    assert edited.status_code == 303, edited.text
    with sqlite_database.session() as db:
        job = jobs.get(db, "GenRSA-2048")
    assert job.max_concurrent == 2 and job.retry is not None
    assert (job.retry.attempts, job.retry.delay, job.retry.backoff, job.retry.on) == (3, "10s", 2.0, ["failed"])
    for fields, words in (({"max_concurrent": "two"}, "runs at once"), ({"max_concurrent": "0"}, "max_concurrent"),
                          ({"retry_attempts": "1e3"}, "attempts"), ({"retry_attempts": "101"}, "attempts"),
                          ({"retry_attempts": "2", "retry_delay": "forever"}, "delay")):
        refused = admin.post("/jobs/GenRSA-2048/edit", data=base | {"max_concurrent": "", "retry_attempts": "",
                                                                    "retry_delay": ""} | fields)
        assert refused.status_code == 422 and words in refused.text, (fields, refused.text[-500:])
    cleared = admin.post("/jobs/GenRSA-2048/edit", data=base | {"max_concurrent": "", "retry_attempts": "",
                                                                "retry_delay": ""}, follow_redirects=False)
    assert cleared.status_code == 303
    with sqlite_database.session() as db:
        job = jobs.get(db, "GenRSA-2048")
    assert job.max_concurrent is None and job.retry is None


def test_routines_are_drawn_created_and_edited(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database)
    page = admin.client.get("/routines/keypair-and-pub").text
    assert 'class="edge after" data-from="key" data-to="pub"' in page
    assert 'class="edge after" data-from="key" data-to="check"' in page
    more = admin.post("/routines/new", data={"name": "r", "steps": "1", "step-0-id": "a",
                                             "step-0-job": "GenRSA-2048", "action": "add-step"})
    assert 'id="step-1-id"' in more.text and 'value="a"' in more.text
    cycle = admin.post("/routines/new", data={"name": "r", "steps": "2", "step-0-id": "a", "step-0-job": "GenRSA-2048",
                                              "step-0-after": "b", "step-1-id": "b", "step-1-job": "GenRSA-2048",
                                              "step-1-after": "a", "action": "save"})
    assert cycle.status_code == 422 and "cycle" in problem(cycle.text)
    made = admin.post("/routines/new", data={"name": "r", "steps": "3", "step-0-id": "a", "step-0-job": "GenRSA-2048",
                                             "step-1-id": "b", "step-1-job": "CheckKey-key", "step-1-after": "a",
                                             "step-2-id": "", "step-2-job": "", "action": "save"},
                      follow_redirects=False)
    assert made.headers["location"] == "/routines/r"
    edited = admin.post("/routines/r/edit", data={"steps": "2", "step-0-id": "a", "step-0-job": "GenRSA-2048",
                                                  "step-1-id": "", "step-1-job": "CheckKey-key", "action": "save"},
                        follow_redirects=False)
    assert edited.headers["location"] == "/routines/r"  # a step without an id is removed
    with sqlite_database.session() as db:
        assert [s.id for s in routines.get(db, "r").steps] == ["a"]


def test_a_bad_schedule_is_refused_before_temporal_is_asked(admin: Browser, sqlite_database: Database) -> None:
    # Making, pausing and firing schedules needs Temporal: tests/dashboard/test_runs.py does those.
    seed(sqlite_database)
    bad = admin.post("/schedules", data={"name": "nightly", "target": "job:GenRSA-2048", "cron": "61 * * * *",
                                         "every": "", "timezone": "UTC", "overlap": "skip", "note": ""})
    assert bad.status_code == 422 and "'61 * * * *' is not" in problem(bad.text)
    assert 'id="nightly"' not in admin.client.get("/schedules").text
    assert admin.post("/schedules/ghost/pause", data={"note": ""}).status_code == 404


def test_next_fires_are_computed_by_the_service_and_none_for_paused_or_ended_schedules(
        admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database)
    later = "2100-01-01T00:00:00Z"
    with sqlite_database.session() as db:  # only in the database: the pages do not ask Temporal
        documents.import_document(db, {"oto": 1, "schedules": [
            {"name": "nightly", "job": "GenRSA-2048", "cron": "0 3 * * *", "timezone": "Europe/Paris",
             "start": later},
            {"name": "held", "job": "GenRSA-2048", "cron": "0 4 * * *", "start": later, "paused": True},
            {"name": "over", "job": "GenRSA-2048", "every": "1h", "end": "2000-01-01T00:00:00Z"}]})
    times = re.compile(r'<time datetime="([^"]+)">')
    assert times.findall(admin.client.get("/schedules").text) == [
        "2100-01-01T02:00:00+00:00", "2100-01-02T02:00:00+00:00", "2100-01-03T02:00:00+00:00"]
    overview = admin.client.get("/").text
    fires = overview[overview.index('id="fires-h"'):]
    assert times.findall(fires[:fires.index("</section>")]) == ["2100-01-01T02:00:00+00:00"]


def test_import_takes_a_file_or_a_pasted_document(admin: Browser, sqlite_database: Database) -> None:
    text = (ROOT / "data" / "openssl.json").read_text()
    only = admin.client.post("/import", data={"csrf": admin.csrf, "catalog_only": "on"},
                             files={"file": ("openssl.json", text, "application/json")})
    assert only.status_code == 200 and "42 created" in only.text
    whole = admin.post("/import", data={"document": text})
    assert whole.status_code == 200 and "12 created" in whole.text  # 5 commands, 5 jobs and 2 routines
    broken = admin.post("/import", data={"document": "{nope"})
    assert broken.status_code == 422 and "not valid JSON" in problem(broken.text)
    assert "{nope" in broken.text


def test_a_form_past_the_limits_is_refused_as_too_large(admin: Browser) -> None:
    huge = b"x" * (forms.MAX_BODY + 1)
    files = {"file": ("big.json", huge, "application/json")}
    declared = admin.client.post("/import", data={"csrf": admin.csrf}, files=files)
    assert declared.status_code == 413 and "Content Too Large" in declared.text

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while the body arrives
        yield b"csrf=" + admin.csrf.encode() + b"&document="
        for _ in range(17):
            yield b"x" * (1 << 20)

    streamed = admin.client.post("/import", content=chunks(),
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413 and "larger than 16 MiB" in problem(streamed.text)
    many = admin.post("/import", data={f"f{i}": "x" for i in range(forms.MAX_FIELDS + 1)})
    assert many.status_code == 413 and f"more than {forms.MAX_FIELDS} fields" in problem(many.text)
    broken = admin.client.post("/import", content=b"--XX\r\nnonsense",
                               headers={"content-type": "multipart/form-data"})  # no boundary
    assert broken.status_code == 400 and "cannot be read" in problem(broken.text)


def test_runs_are_listed_and_shown(admin: Browser, sqlite_database: Database, oto_home: Path) -> None:
    seed(sqlite_database)
    with sqlite_database.session() as db:
        run = runs.create_job_run(db, "GenRSA-2048", trigger="test")
        run_id = run.id
        folder = Path(run.workdir)
        runs.finish(db, runs.Outcome(run_id, runs.SUCCEEDED, exit_code=0, stdout="hello", stderr="dots",
                                     artifacts=[{"path": "key.pem", "size": 5}]))
    folder.mkdir(parents=True)
    (folder / "key.pem").write_text("KEY!\n")
    (oto_home / "secret.txt").write_text("no")
    listing = admin.client.get("/runs?status=succeeded&trigger=test").text
    assert run_id[:16] in listing and "1 run" in listing
    assert "No runs yet" in admin.client.get("/runs?status=failed").text
    page = admin.client.get(f"/runs/{run_id}").text
    assert "/usr/bin/openssl genpkey -algorithm RSA" in page and 'id="exit-code">0<' in page
    assert ">hello</pre>" in page and ">dots</pre>" in page and "data-follow" not in page
    download = admin.client.get(f"/runs/{run_id}/artifacts/key.pem")
    assert download.status_code == 200 and download.content == b"KEY!\n"
    assert "attachment" in download.headers["content-disposition"]
    for wanted in ("../../secret.txt", "other.pem", "%2e%2e/%2e%2e/secret.txt"):
        assert admin.client.get(f"/runs/{run_id}/artifacts/{wanted}").status_code == 404


def test_a_running_run_follows_the_api_stream(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database)
    with sqlite_database.session() as db:
        run_id = runs.create_job_run(db, "GenRSA-2048").id
    page = admin.client.get(f"/runs/{run_id}").text
    assert f'data-follow="/api/v1/runs/{run_id}/logs"' in page
    assert "Cancel this run" in page and '<meta http-equiv="refresh"' in page


def test_unknown_things_are_html_pages_saying_so(admin: Browser) -> None:
    for url in ("/jobs/nope", "/runs/run-nope", "/executables/x%20-%201", "/commands/none", "/jobs/new?command=x"):
        response = admin.client.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("text/html")
        assert problem(response.text)


def test_the_static_files_are_served_by_oto_itself(client: TestClient) -> None:
    for name, kind in (("app.css", "text/css"), ("app.js", "javascript")):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
    page = client.get("/login").text
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from elsewhere


def test_the_dashboard_stays_out_of_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert all(p.startswith("/api/v1") or p == "/health" for p in paths)


def test_csrf_tokens_differ_per_session(client: TestClient, sqlite_database: Database) -> None:
    first = Browser(client, make_key(sqlite_database, "read", "one")).csrf
    client.cookies.clear()
    second = csrf_of(client.post("/login", data={"key": make_key(sqlite_database, "read", "two")}).text)
    assert first != second


def test_a_job_page_charts_its_last_runs_and_the_overview_its_runs_per_hour(admin: Browser,
                                                                             sqlite_database: Database) -> None:
    seed(sqlite_database)
    made = []
    with sqlite_database.session() as db:
        for status in (runs.SUCCEEDED, runs.FAILED, runs.SUCCEEDED):
            run_id = runs.create_job_run(db, "GenRSA-2048", trigger="test").id
            runs.finish(db, runs.Outcome(run_id, status, exit_code=0 if status == runs.SUCCEEDED else 1))
            made.append(run_id)
    page = admin.client.get("/jobs/GenRSA-2048").text
    chart = page[page.index('<svg class="chart"'):page.index("</svg>", page.index('<svg class="chart"'))]
    assert 'aria-label="How long the last 3 runs of job GenRSA-2048 took' in chart
    assert chart.count("<rect") == 3 and chart.count('fill="#b91c1c"') == 1  # one failed, in red
    assert chart.index(made[0]) < chart.index(made[2])  # oldest on the left
    overview = admin.client.get("/").text
    assert 'aria-label="Runs submitted in each hour of the last 24 hours, 3 in all"' in overview
    empty_job = admin.client.get("/jobs/GenRSA-4096")
    assert empty_job.status_code in (200, 404) and '<svg class="chart"' not in empty_job.text


def test_the_job_form_marks_inputs_and_keeps_them_on_edit(admin: Browser, sqlite_database: Database) -> None:
    seed(sqlite_database)
    preview = admin.post("/jobs/preview", data={"command": "GenRSA", "v:-algorithm": "RSA", "v:-pkeyopt": "",
                                                "in:-pkeyopt": "on", "v:-out": "k.pem", "in:-out": "on"}).json()
    assert preview == {"argv": "/usr/bin/openssl genpkey -algorithm RSA -pkeyopt '<-pkeyopt>' -out k.pem"}
    made = admin.post("/jobs/new", data={"command": "GenRSA", "name": "g", "v:-algorithm": "RSA",
                                         "v:-pkeyopt": "", "in:-pkeyopt": "on", "v:-out": "k.pem", "in:-out": "on",
                                         "action": "save"}, follow_redirects=False)
    assert made.headers["location"] == "/jobs/g", made.text
    with sqlite_database.session() as db:
        assert jobs.get(db, "g").inputs == {"-pkeyopt": None, "-out": "k.pem"}
    form = admin.client.get("/jobs/g/edit").text
    assert re.search(r'name="in:-out" checked', form) and re.search(r'name="in:-pkeyopt" checked', form)
    assert not re.search(r'name="in:-algorithm" checked', form)
    page = admin.client.get("/jobs/g").text
    assert "Run g with" in page and 'name="v:-pkeyopt"' in page
    # a run refused by the services: its message, and no run recorded
    refused = admin.post("/jobs/g/run", data={"v:-out": "x.pem"})
    assert refused.status_code == 422 and "-pkeyopt is an input of job g with no default" in refused.text
    with sqlite_database.session() as db:
        assert runs.list_runs(db, job="g") == []

