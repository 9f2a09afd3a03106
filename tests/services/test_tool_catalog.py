"""The tool catalog: Fig specs converted into OTO documents (docs/catalog.md).

The converter runs here on raw Fig specs committed under tests/fixtures/fig (as
tools/fig/dump.mjs writes them), and its rules are checked against what the tools' own manuals
say. The shipped catalog is then read as OTO reads it: every tool imports on its own or lists its
problems, and the whole of it imports in one document, all or nothing.
"""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from oto.domain.documents import ParameterDoc
from oto.errors import InvalidInput, NotFound, Refused
from oto.fme import Schema
from oto.services import documents, fig_convert, schemas, tool_catalog
from oto.services.database import Database
from oto.services.tool_catalog import Tool
from tests.support.catalog import load, snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fig"
WELL_KNOWN = ("tar", "curl", "ssh", "ls", "git", "rsync", "grep", "find", "kubectl", "ffmpeg", "docker", "chmod",
              "wget", "scp", "make", "ps", "du", "sort", "sed", "psql", "jq", "diff", "head", "dotnet")


@cache
def converted(tool: str) -> fig_convert.ConvertedTool:
    dump = json.loads((FIXTURES / f"{tool}.json").read_text())
    return fig_convert.convert(tool, tool, dump)


def doc_of(tool: str, version: str = "fig") -> dict[str, Any]:
    return tool_catalog.as_document(converted(tool).to_json(), path=f"/usr/bin/{tool}", version=version)


def exe(tool: str, name: str) -> dict[str, Any]:
    found = [e for e in converted(tool).executables if e["name"] == name]
    assert found, f"{name} is not an executable of {tool}: {[e['name'] for e in converted(tool).executables]}"
    return found[0]


def param(tool: str, name: str, flag: str) -> dict[str, Any]:
    found = [p for p in exe(tool, name)["parameters"] if p["flag"] == flag]
    assert found, f"{flag} is not a parameter of {name}"
    return found[0]


def schema(tool: str, name: str) -> Schema:
    return schemas.build(name, [ParameterDoc.model_validate({**p, "executable_tag": f"{name} - fig"})
                                for p in exe(tool, name)["parameters"]])


def kinds(tool: str, name: str, flags: list[str]) -> list[str]:
    return [v.kind for v in schema(tool, name).check(flags).violations]


# ---------------------------------------------------------------- the converter, tool by tool


@pytest.mark.parametrize("tool", WELL_KNOWN)
def test_every_well_known_tool_converts_into_a_consistent_document(tool: str) -> None:
    converted_tool = converted(tool)
    assert converted_tool.problems == []
    assert converted_tool.executables[0]["name"] == tool
    assert all(e["name"] == tool or e["name"].startswith(f"{tool} ") for e in converted_tool.executables)


def test_tar_needs_exactly_one_mode_each_mode_its_own_executable() -> None:
    # GNU tar: "exactly one of the operation modes must be given". Fig writes the modes as
    # subcommands, so each mode is an executable whose first item is that mode, and no other.
    names = [e["name"] for e in converted("tar").executables]
    modes = ["tar --create", "tar --extract", "tar --list", "tar --append", "tar --update", "tar --diff",
             "tar --catenate", "tar --delete"]
    assert set(modes) <= set(names)
    create = param("tar", "tar --create", "--create")
    assert (create["position"], create["required"], create["value_type"]) == (0, True, "bool")
    assert kinds("tar", "tar --create", ["--create", "--file", "FILE"]) == []
    assert kinds("tar", "tar --create", ["--file", "FILE"]) == ["missing_requirement"]
    assert kinds("tar", "tar --create", ["--create", "--extract", "--file"]) == ["unknown_flag"]
    assert kinds("tar", "tar --create", ["--file", "--create"]) == ["position"]
    # -f ARCHIVE takes a value; -z, -j, -J exclude each other; -v may be given twice (-vv)
    assert param("tar", "tar --create", "--file")["requires_value"] is True
    assert "--bzip2" in param("tar", "tar --create", "--gzip")["interfer_ids"]
    assert kinds("tar", "tar --create", ["--create", "--file", "--gzip", "--bzip2"]) == ["conflict"]
    assert param("tar", "tar --create", "--verbose").get("repeatable") is True
    assert param("tar", "tar --create", "FILE")["value_type"] == "path"
    assert "(also x, -x, --get)" in exe("tar", "tar --extract")["description"]


def test_curl_data_forms_take_values_and_data_repeats() -> None:
    # curl(1): -d/--data, --data-ascii, --data-binary, --data-raw, --data-urlencode each take data;
    # "if any of these options is used more than once ... the data pieces are merged"
    for flag in ("--data", "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode"):
        p = param("curl", "curl", flag)
        assert (p["value_type"], p["requires_value"]) == ("string", True), flag
    assert param("curl", "curl", "--data").get("repeatable") is True
    assert "(also -d)" in param("curl", "curl", "--data")["description"]
    # -H may be given many times; -X takes any method (custom ones too); -o writes a file
    assert param("curl", "curl", "--header").get("repeatable") is True
    assert param("curl", "curl", "--request")["value_type"] == "string"
    assert param("curl", "curl", "--output")["value_type"] == "path"
    assert param("curl", "curl", "URL")["style"] == "positional"


def test_ssh_port_identity_and_options() -> None:
    # ssh(1): -p port, -i identity_file, -l login_name, -o option (Key=value), destination
    assert param("ssh", "ssh", "-p")["value_type"] == "port"
    assert param("ssh", "ssh", "-i")["value_type"] == "path"
    assert param("ssh", "ssh", "-l")["value_type"] == "string"
    option = param("ssh", "ssh", "-o")
    assert option["value_type"] == "string" and "choices" not in option
    assert "e.g. AddressFamily" in option["description"]
    destination = param("ssh", "ssh", "USER_HOSTNAME")
    assert (destination["style"], destination["value_type"]) == ("positional", "string")
    assert "required" not in destination  # `ssh -V` runs without one


def test_scp_port_is_capital_p() -> None:
    assert param("scp", "scp", "-P")["value_type"] == "port"
    assert param("scp", "scp", "SOURCES")["before"] == ["TARGET"]


def test_ls_color_takes_an_attached_value_and_thousands_need_long() -> None:
    # ls: --color[=WHEN]; -, (thousands separators) only with -l
    color = param("ls", "ls", "--color")
    assert (color["style"], color["requires_value"]) == ("equals", True)
    assert param("ls", "ls", "-,")["require_any"] == [["-l"]]
    assert kinds("ls", "ls", ["-,"]) == ["missing_any"]
    assert kinds("ls", "ls", ["-l", "-,"]) == []
    assert param("ls", "ls", "PATH") | {"description": ""} == {
        "flag": "PATH", "description": "", "requires_root": False, "requires_value": True, "value_type": "path",
        "require_ids": [], "interfer_ids": [], "style": "positional", "repeatable": True}


def test_git_subcommands_are_executables_with_their_own_options() -> None:
    # git commit -m <msg> and git tag -m <msg> are distinct options of distinct executables
    message = param("git", "git commit", "--message")
    assert (message["value_type"], message["requires_value"]) == ("string", True)
    assert "(also -m)" in message["description"]
    assert param("git", "git commit", "commit") == {
        "flag": "commit", "description": "the subcommand word commit", "requires_root": False,
        "requires_value": False, "value_type": "bool", "require_ids": [], "interfer_ids": [], "position": 0,
        "required": True}
    words = [p for p in exe("git", "git remote add")["parameters"] if p.get("required")]
    assert [(p["flag"], p["position"]) for p in words] == [("remote", 0), ("add", 1)]
    assert kinds("git", "git remote add", ["remote", "add", "NAME", "REPOSITORY_URL"]) == []
    assert kinds("git", "git remote add", ["add", "remote", "NAME", "REPOSITORY_URL"]) == ["position", "position"]
    assert "commit" not in {p["flag"] for p in exe("git", "git push")["parameters"]}
    cleanup = param("git", "git commit", "--cleanup")
    assert cleanup["value_type"] == "enum" and "verbatim" in cleanup["choices"]


def test_rsync_archive_combines_with_hard_links_acls_and_xattrs() -> None:
    # rsync(1): -a is -rlptgoD; "-a does not imply -H, -A, -X": rsync -aHAX is the usual full copy
    # (Fig's spec says they exclude each other: corrected in the catalog's overrides)
    assert param("rsync", "rsync", "--archive")["interfer_ids"] == []
    assert kinds("rsync", "rsync", ["--archive", "--hard-links", "--acls", "--xattrs", "--perms"]) == []
    # --no-implied-dirs affects --relative; --acls implies --perms (Fig: dependsOn)
    assert param("rsync", "rsync", "--no-implied-dirs")["require_any"] == [["--relative"]]
    checksum = param("rsync", "rsync", "--checksum-choice")
    assert (checksum["value_type"], checksum["style"]) == ("enum", "equals")
    assert param("rsync", "rsync", "--backup-dir")["value_type"] == "path"


def test_grep_counts_and_colours() -> None:
    # grep(1): -m NUM, -A/-B/-C NUM, --color=WHEN (never, always, auto); -l and -L exclude each other
    for flag in ("--max-count", "--after-context", "--before-context", "--context"):
        assert param("grep", "grep", flag)["value_type"] == "int", flag
    assert param("grep", "grep", "--color")["choices"] == ["never", "always", "auto"]
    assert kinds("grep", "grep", ["--files-with-matches", "--files-without-match"]) == ["conflict"]
    assert param("grep", "grep", "--regexp")["requires_value"] is True


def test_find_symlink_modes_exclude_each_other_and_paths_come_first() -> None:
    # find(1): -H, -L, -P choose how symbolic links are followed; paths before the expression
    assert kinds("find", "find", ["-H", "-L"]) == ["conflict"]
    assert param("find", "find", "PATH")["before"] == ["EXPRESSION"]
    assert kinds("find", "find", ["EXPRESSION", "PATH"]) == ["order"]


def test_du_units_and_depth() -> None:
    # du(1) (BSD): -h, -k, -m, -g choose one unit; -a, -s and -d are mutually exclusive; -d depth is
    # any depth, so Fig's suggestions 0, 1, 2 are examples, not choices
    assert kinds("du", "du", ["-h", "-k"]) == ["conflict"]
    assert kinds("du", "du", ["-a", "-s"]) == ["conflict"]
    depth = param("du", "du", "-d")
    assert depth["value_type"] == "int" and "e.g. 0, 1, 2" in depth["description"]


def test_chmod_mode_is_open() -> None:
    # chmod(1): MODE is symbolic (u+x) or octal (755), not only Fig's five suggestions
    mode = param("chmod", "chmod", "MODE")
    assert (mode["value_type"], mode["style"]) == ("string", "positional")
    assert "u+x" in mode["description"]


def test_kubectl_get_output_formats_and_files() -> None:
    assert param("kubectl", "kubectl get", "get")["position"] == 0
    output = param("kubectl", "kubectl get", "--output")
    assert output["value_type"] == "enum" and {"json", "yaml", "wide"} & set(output["choices"]) >= {"json", "yaml"}
    assert param("kubectl", "kubectl get", "--filename")["value_type"] == "path"
    assert "kubectl apply" in {e["name"] for e in converted("kubectl").executables}


def test_docker_run_repeats_env_and_publish() -> None:
    # docker run: -e, -p and -v may be given many times; the image comes before its command
    for flag in ("--env", "--publish", "--volume"):
        assert param("docker", "docker run", flag).get("repeatable") is True, flag
    assert param("docker", "docker run", "--detach")["value_type"] == "bool"
    assert param("docker", "docker run", "IMAGE")["before"] == ["COMMAND"]
    assert kinds("docker", "docker run", ["run", "--rm", "--env", "--env", "IMAGE"]) == []


def test_ffmpeg_needs_an_input() -> None:
    # ffmpeg(1): ffmpeg [global_options] {[input_file_options] -i input_url} ... output_url
    i = param("ffmpeg", "ffmpeg", "-i")
    assert (i["value_type"], i.get("required")) == ("path", True)
    assert kinds("ffmpeg", "ffmpeg", ["OUTFILE"]) == ["missing_requirement"]


def test_psql_make_sort_jq_wget_values() -> None:
    assert param("psql", "psql", "--port")["value_type"] == "port"
    assert param("psql", "psql", "--file")["value_type"] == "path"
    assert param("make", "make", "--file")["value_type"] == "path"
    assert param("make", "make", "--directory")["value_type"] == "path"
    assert param("sort", "sort", "--sort")["choices"] == ["general-numeric", "human-numeric", "month", "numeric",
                                                         "random"]
    assert param("sort", "sort", "--temporary-directory")["value_type"] == "path"
    assert param("jq", "jq", "FILTER")["before"] == ["FILES"]
    assert param("jq", "jq", "--indent")["value_type"] == "int"
    assert param("wget", "wget", "URL").get("repeatable") is True


def test_subcommands_loaded_from_other_specs_are_spliced_in() -> None:
    # dotnet's subcommands are separate Fig files (loadSpec "dotnet/dotnet-add")
    package = exe("dotnet", "dotnet add package")
    assert [(p["flag"], p.get("position")) for p in package["parameters"][:2]] == [("add", 0), ("package", 1)]
    assert param("dotnet", "dotnet add package", "--version")["requires_value"] is True


def test_persistent_options_are_inherited_by_subcommands() -> None:
    dump = {"demo": {"name": "demo", "options": [
        {"name": ["-v", "--verbose"], "isPersistent": True},
        {"name": "--root-only"},
        {"name": ["-n", "--dry-run"], "exclusiveOn": ["-f"], "isPersistent": True},
        {"name": ["-f", "--force"], "isPersistent": True}],
        "subcommands": [{"name": ["run", "r"], "options": [{"name": "--fast", "dependsOn": ["-n", "--force"]}],
                         "args": {"name": "target", "isVariadic": True}},
                        {"name": "list"},
                        {"name": "nested", "subcommands": [{"name": "deep", "options": [{"name": "-x"}]}]}]}}
    tool = fig_convert.convert("demo", "demo", dump)
    assert [e["name"] for e in tool.executables] == ["demo", "demo run", "demo list", "demo nested deep"]
    run = {p["flag"]: p for p in tool.executables[1]["parameters"]}
    assert list(run) == ["run", "--verbose", "--dry-run", "--force", "--fast", "TARGET"]
    assert run["--fast"]["require_any"] == [["--dry-run", "--force"]]
    assert run["--dry-run"]["interfer_ids"] == ["--force"]
    assert tool.executables[1]["description"] == "(also r)"
    assert [p["flag"] for p in tool.executables[3]["parameters"]][:2] == ["nested", "deep"]
    assert tool.problems == []


def test_values_styles_and_types_from_fig_arguments() -> None:
    dump = {"demo": {"name": "demo", "options": [
        {"name": "--level", "args": {"name": "level", "suggestions": ["low", {"name": "high"}]}},
        {"name": "--size", "args": {"name": "size", "suggestions": ["1", "2"]}},
        {"name": "--mode", "args": {"name": "mode", "suggestions": ["a"], "generators": {}}},
        {"name": "--out", "requiresSeparator": True, "args": {"name": "file", "template": "filepaths"}},
        {"name": "--key", "requiresSeparator": ":", "args": {"name": "key"}},
        {"name": ["-c", "--color"], "args": {"name": "when", "isOptional": True}},
        {"name": "-O", "args": {"name": "level", "isOptional": True}},
        {"name": "--port", "args": {"name": "port"}},
        {"name": "--count", "args": {"name": "count"}},
        {"name": "--ratio", "args": {"name": "number"}},
        {"name": "--pair", "args": [{"name": "a"}, {"name": "b"}]},
        {"name": "--tag", "isRepeatable": True, "args": {"name": "tag"}},
        {"name": "--must", "isRequired": True}]}}
    params = {p["flag"]: p for p in fig_convert.convert("demo", "demo", dump).executables[0]["parameters"]}
    assert (params["--level"]["value_type"], params["--level"]["choices"]) == ("enum", ["low", "high"])
    assert params["--size"]["value_type"] == "string" and "(e.g. 1, 2)" in params["--size"]["description"]
    assert params["--mode"]["value_type"] == "string"
    assert (params["--out"]["value_type"], params["--out"]["style"]) == ("path", "equals")
    assert "style" not in params["--key"] and "(value after ':')" in params["--key"]["description"]
    assert params["--color"]["style"] == "equals" and params["-O"]["style"] == "attached"
    assert [params[f]["value_type"] for f in ("--port", "--count", "--ratio")] == ["port", "int", "float"]
    assert "takes 2 values: a b" in params["--pair"]["description"]
    assert params["--tag"]["repeatable"] is True
    assert params["--must"]["required"] is True


def test_words_a_name_cannot_hold_are_left_out() -> None:
    dump = {"demo": {"name": "demo", "subcommands": [
        {"name": "help", "options": [{"name": "-a"}], "subcommands": [{"name": "help", "options": [{"name": "-a"}]}]},
        {"name": "owner/repo", "options": [{"name": "-a"}]}]}}
    tool = fig_convert.convert("demo", "demo", dump)
    assert [e["name"] for e in tool.executables] == ["demo", "demo help"]


def test_inconsistent_specs_are_kept_with_their_problems() -> None:
    # BSD id: -n names the -G, -g or -u output; Fig has -n depend on them and exclude them at once
    dump = {"id": {"name": "id", "options": [
        {"name": "-g", "exclusiveOn": ["-u"]}, {"name": "-u", "exclusiveOn": ["-g"]},
        {"name": "-n", "dependsOn": ["-g", "-u"], "exclusiveOn": ["-g", "-u"]}]}}
    tool = fig_convert.convert("id", "id", dump)
    assert tool.problems == ["id: -n requires one of -g, -u, but each clashes with -n or what it requires"]
    assert tool_catalog.get("id").problems == (
        "id: -n requires one of -G, -g, -u, but each clashes with -n or what it requires",)


@pytest.mark.parametrize("tool", ["tar", "git", "curl", "dotnet"])
def test_converted_catalogs_round_trip_byte_identical(tool: str, database: Database,
                                                      sqlite_database: Database) -> None:
    load(database, doc_of(tool))
    first = snapshot(database)
    load(sqlite_database, json.loads(first))
    assert snapshot(sqlite_database) == first
    assert load(sqlite_database, json.loads(first)).created == 0


# ---------------------------------------------------------------- the shipped catalog


def test_source_and_tools() -> None:
    assert tool_catalog.source() == ("@withfig/autocomplete", "2.692.3")
    every = tool_catalog.tools()
    assert len(every) > 700 and [t.name for t in every] == sorted(t.name for t in every)
    tar = tool_catalog.get("tar")
    assert tar == Tool(name="tar", description=tar.description, program="tar", executables=14,
                       parameters=tar.parameters, problems=())
    assert [t.name for t in every if t.problems] == ["id"]


def test_search_ranks_exact_then_prefix_then_names_then_descriptions() -> None:
    found = tool_catalog.search("GIT", limit=500)
    names = [t.name for t in found]
    assert names[0] == "git"
    starting = [n for n in names if n.startswith("git") and n != "git"]
    assert names[1:1 + len(starting)] == sorted(starting)
    rest = names[1 + len(starting):]
    inside = [n for n in rest if "git" in n]
    assert rest[:len(inside)] == sorted(inside)
    assert all("git" in t.description.lower() for t in found[1 + len(starting) + len(inside):])
    assert len(tool_catalog.search("git", limit=3)) == 3
    assert tool_catalog.search("  ") == [] and tool_catalog.search("zzzzqqq") == []


def test_get_names_close_matches() -> None:
    with pytest.raises(NotFound, match=r"^no tool 'tarr' in the catalog \(did you mean tar"):
        tool_catalog.get("tarr")
    with pytest.raises(NotFound, match=r"`oto catalog search WORD` lists them"):
        tool_catalog.get("qqqqqqqqqq")
    # a scoped package is found by its npm name too
    assert tool_catalog.get("@capgo/cli").name == "@capgo-cli"


def test_document_puts_every_executable_at_the_path_and_version() -> None:
    doc = tool_catalog.document("git", path="/usr/bin/git", version="2.39.5", task_queue="tools")
    assert set(doc) == {"oto", "executables", "parameters"} and doc["oto"] == 1
    assert {(e["path"], e["version"], e["task_queue"]) for e in doc["executables"]} == {
        ("/usr/bin/git", "2.39.5", "tools")}
    tags = {f"{e['name']} - 2.39.5" for e in doc["executables"]}
    assert "git commit - 2.39.5" in tags and {p["executable_tag"] for p in doc["parameters"]} <= tags
    assert len(doc["executables"]) == tool_catalog.get("git").executables
    assert len(doc["parameters"]) == tool_catalog.get("git").parameters


def test_the_catalog_data_is_package_data_read_per_tool() -> None:
    from importlib import resources

    data = resources.files("oto").joinpath(tool_catalog.DATA)
    assert data.is_file() and resources.files("oto").joinpath("tool_catalog/LICENSE-fig").is_file()
    start = time.perf_counter()
    tool_catalog.document("ls", path="/bin/ls", version="1")
    assert time.perf_counter() - start < 0.5


def test_every_shipped_tool_imports_alone_or_lists_its_problems(sqlite_database: Database) -> None:
    failures = []
    for tool in tool_catalog.tools():
        doc = tool_catalog.document(tool.name, path=f"/usr/bin/{tool.program}", version="fig")
        if "\\u0000" in json.dumps(doc):  # SQLite would store it, PostgreSQL would not
            failures.append(f"{tool.name}: a NUL character")
        try:
            report = sqlite_database.dry_run(documents.import_document, doc)
        except (Refused, InvalidInput) as error:
            if not tool.problems:
                failures.append(f"{tool.name}: {error}")
            continue
        if tool.problems:
            failures.append(f"{tool.name}: imports, yet lists problems {tool.problems}")
        elif report.counts["executables"]["created"] != tool.executables:
            failures.append(f"{tool.name}: {report.counts}")
    assert failures == []
    assert json.loads(snapshot(sqlite_database))["executables"] == []  # each import rolled back


def test_control_characters_in_descriptions_are_written_out(database: Database) -> None:
    # ag's --print0 "separates the filenames with \0": PostgreSQL stores no NUL in text
    dump = {"ag": {"name": "ag", "description": "search\x07", "options": [
        {"name": "--print0", "description": "Separate the filenames with \x00, rather than\nnewlines"}]}}
    tool = fig_convert.convert("ag", "ag", dump)
    assert tool.description == "search\\x07"
    text = tool.executables[0]["parameters"][0]["description"]
    assert text == "Separate the filenames with \\0, rather than newlines"
    load(database, tool_catalog.as_document(tool.to_json(), path="/usr/bin/ag", version="1"))


@pytest.mark.parametrize("tool", WELL_KNOWN)
def test_the_shipped_catalog_is_what_the_converter_makes_of_the_fixtures(tool: str) -> None:
    # the fixtures are the pinned package's specs: a converter change without `make catalog` fails here
    shipped = tool_catalog.document(tool, path="/usr/bin/x", version="1")
    assert shipped == tool_catalog.as_document(converted(tool).to_json(), path="/usr/bin/x", version="1")
    assert tool_catalog.get(tool).problems == tuple(converted(tool).problems)


def test_which_specs_are_tools() -> None:
    spec = {"name": "x", "options": [{"name": "-a"}]}
    dump = {"tar": spec, "index": {"error": "SyntaxError"}, "@capgo/cli": {**spec, "name": "cli"},
            "heroku/8.0.0": spec, "heroku/8.6.0": spec, "heroku/shared": {}, "heroku/index": None,
            "aws": spec, "aws/s3": spec, "task/go-task": spec, "az/2.53.0": spec, "az/2.53.0/account": spec,
            "@usermn/sdc/0.0.0": spec}
    assert fig_convert.tool_specs(dump) == {
        "@capgo-cli": "@capgo/cli", "@usermn-sdc": "@usermn/sdc/0.0.0", "aws": "aws", "az": "az/2.53.0",
        "heroku": "heroku/8.6.0", "tar": "tar"}


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_whole_catalog_imports_on_postgresql(database: Database) -> None:
    # PostgreSQL refuses what SQLite stores (a NUL in a description): the whole catalog, once, there too
    doc: dict[str, Any] = {"oto": 1, "executables": [], "parameters": []}
    every = [t for t in tool_catalog.tools() if not t.problems]
    for tool in every:
        part = tool_catalog.document(tool.name, path=f"/usr/bin/{tool.program}", version="fig")
        doc["executables"] += part["executables"]
        doc["parameters"] += part["parameters"]
    report = load(database, doc)
    assert report.counts["executables"]["created"] == sum(t.executables for t in every)
    assert report.counts["parameters"]["created"] == sum(t.parameters for t in every)
