"""Fig autocomplete specs -> the shipped tool catalog (docs/catalog.md).

``make catalog`` evaluates every spec of ``@withfig/autocomplete`` with Node (tools/fig/dump.mjs)
into one JSON object keyed by the spec's path under ``build/`` ("tar", "heroku/8.6.0",
"@capgo/cli", "dotnet/dotnet-add") and runs this module on it::

    python -m oto.services.fig_convert dump.json src/oto/tool_catalog/catalog.zip

Each tool becomes one executable per command (the tool, and each subcommand path as
"git commit"), whose subcommand words are required bool parameters at fixed positions. Every
converted tool is checked as an import would check it; a tool whose rules the flag matching
engine refuses is kept with its ``problems``. The mapping and its reasons are in docs/catalog.md.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from oto.domain.documents import MAX_NAME, ExecutableDoc, ParameterDoc, make_tag
from oto.errors import OtoError
from oto.services import parameters, schemas
from oto.services.validation import describe

PACKAGE = "@withfig/autocomplete"
VERSION = "2.692.3"
FORMAT = 1  # of the catalog zip: index.json + tools/NAME.json

# Subcommands of these tools load one Fig spec per cloud service (about 700 files, 67 MB of JSON):
# they are not spliced in; their service subcommands stay without options and are not executables.
UNSPLICED = ("aws/", "gcloud/", "az/")

# Value types read from the name Fig gives an option's argument (it has no type of its own).
PORT_NAMES = {"port"}
INT_NAMES = {"int", "integer", "num", "n", "count", "lines", "width", "height", "depth", "pid"}
FLOAT_NAMES = {"number", "float", "seconds", "secs"}

_VERSIONED = re.compile(r"^\d+(\.\d+)*$")


@dataclass
class ConvertedTool:
    """One tool: its executables (each with its parameters as document items, without tags)."""

    name: str
    key: str  # the Fig spec it comes from
    program: str
    description: str
    executables: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def parameters(self) -> int:
        return sum(len(exe["parameters"]) for exe in self.executables)

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "program": self.program,
                "executables": len(self.executables), "parameters": self.parameters,
                "problems": self.problems, "fig": self.key}

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "fig": self.key, "program": self.program, "description": self.description,
                "executables": self.executables, "problems": self.problems}


# ---------------------------------------------------------------- which specs are tools


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def tool_name(key: str) -> str:
    """The catalog name of a spec: its key, with a scoped package's "/" made "-" ("@capgo/cli" ->
    "@capgo-cli"): names cannot hold "/" (they stand in URL paths)."""
    return key.replace("/", "-")


def tool_specs(dump: dict[str, Any]) -> dict[str, str]:
    """Catalog name -> Fig key of every spec that is a tool (not a part loaded by another spec).

    A tool is a spec at the top of build/ ("tar"), a scoped package's ("@capgo/cli"), or the
    newest version of a versioned one ("heroku/8.6.0" for heroku: build/heroku/index.js picks a
    version at run time)."""
    found: dict[str, str] = {}
    versions: dict[str, list[str]] = {}
    for key, spec in dump.items():
        if not isinstance(spec, dict) or "error" in spec or not spec.get("name"):
            continue
        parts = key.split("/")
        if len(parts) == 1:
            found[key] = key
        elif parts[0].startswith("@") and len(parts) == 2 and parts[1] != "index":
            found[tool_name(key)] = key
        elif _VERSIONED.match(parts[-1]):
            versions.setdefault("/".join(parts[:-1]), []).append(parts[-1])
    for base, numbers in versions.items():
        if base in dump and isinstance(dump[base], dict) and "error" not in dump[base]:
            continue
        if len(base.split("/")) > 1 and not base.startswith("@"):
            continue  # az/2.53.0/... are parts of az
        newest = max(numbers, key=_version_key)
        found[tool_name(base)] = f"{base}/{newest}"
    return dict(sorted(found.items()))


# ---------------------------------------------------------------- one spec


def _names(node: dict[str, Any]) -> list[str]:
    name = node.get("name")
    if isinstance(name, str):
        names = [name]
    else:
        names = [n for n in name if isinstance(n, str)] if isinstance(name, list) else []
    return [n.strip() for n in names if n.strip() and "\x00" not in n]


def _args(node: dict[str, Any]) -> list[dict[str, Any]]:
    args = node.get("args")
    if isinstance(args, dict):
        return [args]
    if isinstance(args, list):
        return [a for a in args if isinstance(a, dict)]
    return []


def _text(value: Any) -> str:
    """A description on one line, its control characters written out (PostgreSQL stores no NUL:
    ag's --print0 says "separate the filenames with \\0")."""
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}" if m.group() != "\x00" else "\\0", text)


def _flag_of(names: list[str]) -> str:
    """The flag a parameter is known by: its first long name ("--create"), else its first name."""
    for name in names:
        if name.startswith("--"):
            return name
    return names[0]


_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")

# Corrections of Fig specs where they contradict the tools' own manuals (docs/catalog.md,
# "Overrides"), by tool and flag (the flag the catalog names the option by):
# - "open": its suggestions look like a closed list of words but are not (ssh's -o takes
#   "Key=value" and suggests the keys; curl's --request takes any method);
# - "repeatable": the manual says it may be given more than once;
# - "not_exclusive": Fig's exclusiveOn names these, the manual does not (rsync -aHAX is common).
OVERRIDES: dict[str, dict[str, dict[str, Any]]] = {
    "ssh": {"-o": {"open": True}},
    "scp": {"-o": {"open": True}},
    "sftp": {"-o": {"open": True}},
    "curl": {"--request": {"open": True}, "--header": {"repeatable": True}, "--form": {"repeatable": True}},
    "docker": {"--env": {"repeatable": True}, "--publish": {"repeatable": True}, "--volume": {"repeatable": True},
               "--label": {"repeatable": True}},
    "rsync": {"--archive": {"not_exclusive": ["-H", "-A", "-X"]}},
}


def _suggestions(arg: dict[str, Any]) -> list[str] | None:
    """The plain suggestions of an argument (names of suggestion objects too), or None when it has
    none or one that is not a plain string."""
    suggestions = arg.get("suggestions")
    if not isinstance(suggestions, list) or not suggestions:
        return None
    values: list[str] = []
    for s in suggestions:
        name = s if isinstance(s, str) else s.get("name") if isinstance(s, dict) else None
        if not isinstance(name, str) or not name.strip() or name != name.strip() or "\x00" in name:
            return None
        if name not in values:
            values.append(name)
    return values


def _choices(arg: dict[str, Any]) -> list[str] | None:
    """The closed list of values of an argument, or None. Fig does not say whether a list is
    closed: it is taken as closed when every suggestion is a word ("never", "always", "json") and
    nothing computes other values (generators, templates). Numbers ("0", "1", "2" for a depth) and
    forms ("u+x", "744") are examples of an open range."""
    values = _suggestions(arg)
    if not values or "generators" in arg or "template" in arg:  # a generator of only functions dumps as {}
        return None
    return values if all(_WORD.match(v) for v in values) else None


def _value_type(arg: dict[str, Any], open_values: bool = False) -> tuple[str, list[str]]:
    template = arg.get("template")
    templates = [template] if isinstance(template, str) else template if isinstance(template, list) else []
    if "filepaths" in templates or "folders" in templates:
        return "path", []
    choices = None if open_values else _choices(arg)
    if choices:
        return "enum", choices
    name = _text(arg.get("name")).lower()
    if name in PORT_NAMES:
        return "port", []
    if name in INT_NAMES:
        return "int", []
    if name in FLOAT_NAMES:
        return "float", []
    return "string", []


def _describe(description: str, arg: dict[str, Any], value_type: str) -> str:
    """An open argument's description with its suggestions, which the catalog does not enforce."""
    values = _suggestions(arg) if value_type != "enum" else None
    if not values:
        return description
    shown = ", ".join(values[:10]) + (", ..." if len(values) > 10 else "")
    return f"{description} (e.g. {shown})".strip()


@dataclass
class _Option:
    flag: str
    names: list[str]
    doc: dict[str, Any]
    exclusive: list[str]
    depends: list[str]


def _option(option: dict[str, Any], tool: str = "") -> _Option | None:
    names = _names(option)
    if not names:
        return None
    flag = _flag_of(names)
    fix = OVERRIDES.get(tool, {}).get(flag, {})
    description = _text(option.get("description"))
    aliases = [n for n in names if n != flag]
    if aliases:
        description = f"{description} (also {', '.join(aliases)})".strip()
    doc: dict[str, Any] = {"flag": flag, "description": description, "requires_root": False,
                           "require_ids": [], "interfer_ids": []}
    args = _args(option)
    if not args:
        doc.update(value_type="bool", requires_value=False)
        if option.get("isRepeatable") or fix.get("repeatable"):
            doc["repeatable"] = True
    else:
        arg = args[0]
        value_type, choices = _value_type(arg, bool(fix.get("open")))
        doc.update(value_type=value_type, requires_value=True, description=_describe(description, arg, value_type))
        if choices:
            doc["choices"] = choices
        if len(args) > 1:
            doc["description"] = (f"{doc['description']} (Fig: takes {len(args)} values: "
                                  f"{' '.join(_text(a.get('name')) or '?' for a in args)})").strip()
        if option.get("isRepeatable") or arg.get("isVariadic") or fix.get("repeatable"):
            doc["repeatable"] = True
        if option.get("requiresSeparator") or option.get("requiresEquals"):
            separator = option.get("requiresSeparator")
            if isinstance(separator, str) and separator != "=":
                doc["description"] = f"{doc['description']} (value after {separator!r})".strip()
            else:
                doc["style"] = "equals"
        elif arg.get("isOptional"):
            # an optional value must be attached to the flag, or the program reads it as an argument
            doc["style"] = "equals" if flag.startswith("--") else "attached"
    if option.get("isRequired"):
        doc["required"] = True
    exclusive = [n for n in option.get("exclusiveOn") or []
                 if isinstance(n, str) and n not in fix.get("not_exclusive", ())]
    depends = [n for n in option.get("dependsOn") or [] if isinstance(n, str)]
    return _Option(flag, names, doc, exclusive, depends)


def _positional_name(arg: dict[str, Any], index: int) -> str:
    """A positional argument's flag (it only names the parameter): its Fig name in capitals
    ("user@hostname" -> "USER_HOSTNAME"), else PATH for a file or folder, else ARG1, ARG2, ..."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", _text(arg.get("name"))).strip("_").upper()
    if not name and _value_type(arg)[0] == "path":
        name = "PATH"
    return name or f"ARG{index + 1}"


class _Converter:
    def __init__(self, name: str, key: str, dump: dict[str, Any]) -> None:
        self.name = name
        self.key = key
        self.dump = dump
        self.executables: list[dict[str, Any]] = []
        self.names: set[str] = set()
        self.skipped: list[str] = []

    def resolve(self, node: dict[str, Any]) -> dict[str, Any] | None:
        """A subcommand whose spec is another file (``loadSpec``): that spec, merged under it."""
        load = node.get("loadSpec")
        if not isinstance(load, str) or "/" not in load or load.startswith(UNSPLICED):
            return None
        loaded = self.dump.get(load)
        if not isinstance(loaded, dict) or "error" in loaded:
            return None
        merged = {**loaded, **{k: v for k, v in node.items() if k != "loadSpec"}}
        for key in ("options", "subcommands", "args"):
            if key in loaded and key not in node:
                merged[key] = loaded[key]
        return merged

    def walk(self, node: dict[str, Any], words: list[str], inherited: list[_Option], seen: set[int]) -> None:
        if id(node) in seen:
            return
        seen = seen | {id(node)}
        resolved = self.resolve(node) if words else None
        if resolved is not None:
            node = resolved
        raw = [x for x in node.get("options") or [] if isinstance(x, dict)]
        pairs = [(x, o) for x, o in ((x, _option(x, self.name)) for x in raw) if o is not None]
        own = [o for _, o in pairs]
        subcommands = [s for s in node.get("subcommands") or [] if isinstance(s, dict) and _names(s)]
        args = _args(node)
        unresolved = isinstance(node.get("loadSpec"), str) and resolved is None
        if not words or own or args or (not subcommands and not unresolved):
            self.executable(node, words, inherited, own, args)
        persistent = [o for x, o in pairs if x.get("isPersistent")]
        below = _merge(inherited, persistent)
        for sub in subcommands:
            word = _flag_of(_names(sub))
            # A word is a flag of the subcommand's executable and part of its name: a path that
            # repeats a word ("help help") or a word a name cannot hold ("/", " - ") is left out.
            if word in words or "/" in word or " - " in word or word != word.strip():
                self.skipped.append(" ".join([self.name, *words, word]))
                continue
            self.walk(sub, [*words, word], below, seen)

    def executable(self, node: dict[str, Any], words: list[str], inherited: list[_Option], own: list[_Option],
                   args: list[dict[str, Any]]) -> None:
        name = " ".join([self.name, *words])
        if len(name) > MAX_NAME or name in self.names:
            return
        self.names.add(name)
        description = _text(node.get("description"))
        aliases = [n for n in _names(node) if n != words[-1]] if words else []
        if aliases:
            description = f"{description} (also {', '.join(aliases)})".strip()
        options = _merge(inherited, own)
        docs: list[dict[str, Any]] = []
        taken: set[str] = set()
        for i, word in enumerate(words):
            docs.append({"flag": word, "description": f"the subcommand word {word}", "requires_root": False,
                         "requires_value": False, "value_type": "bool", "require_ids": [], "interfer_ids": [],
                         "position": i, "required": True})
            taken.add(word)
        by_name: dict[str, str] = {}
        kept: list[_Option] = []
        for option in options:
            if option.flag in taken:
                continue
            taken.add(option.flag)
            kept.append(option)
            for n in option.names:
                by_name.setdefault(n, option.flag)
        for option in kept:
            doc = json.loads(json.dumps(option.doc))
            conflicts = [by_name[n] for n in option.exclusive if n in by_name and by_name[n] != option.flag]
            doc["interfer_ids"] = list(dict.fromkeys(conflicts))
            alternatives = list(dict.fromkeys(by_name[n] for n in option.depends if n in by_name))
            if alternatives and option.flag not in alternatives:
                doc["require_any"] = [alternatives]
            docs.append(doc)
        positionals: list[str] = []
        for i, arg in enumerate(args):
            flag = _positional_name(arg, i)
            while flag in taken:
                flag += "_"
            taken.add(flag)
            value_type, choices = _value_type(arg)
            text = _describe(_text(arg.get("description")) or _text(arg.get("name")), arg, value_type)
            doc = {"flag": flag, "description": text, "requires_root": False, "requires_value": True,
                   "value_type": value_type, "require_ids": [], "interfer_ids": [], "style": "positional"}
            if choices:
                doc["choices"] = choices
            if arg.get("isVariadic"):
                doc["repeatable"] = True
            docs.append(doc)
            positionals.append(flag)
        for i, flag in enumerate(positionals[:-1]):
            next(d for d in docs if d["flag"] == flag)["before"] = positionals[i + 1:]
        self.executables.append({"name": name, "description": description, "parameters": docs})


def _merge(first: list[_Option], second: list[_Option]) -> list[_Option]:
    """Options of both, a later one replacing an earlier one of the same flag."""
    merged = {o.flag: o for o in first}
    for o in second:
        merged.pop(o.flag, None)
        merged[o.flag] = o
    return list(merged.values())


def convert(name: str, key: str, dump: dict[str, Any]) -> ConvertedTool:
    """One Fig spec (``dump[key]``) as a catalog tool, checked as an import checks a document."""
    spec = dump[key]
    program = _names(spec)[0] if _names(spec) else name
    converter = _Converter(name, key, dump)
    converter.walk(spec, [], [], set())
    tool = ConvertedTool(name=name, key=key, program=program.rsplit("/", 1)[-1],
                         description=_text(spec.get("description")), executables=converter.executables)
    tool.problems = problems(tool)
    return tool


def problems(tool: ConvertedTool) -> list[str]:
    """Why an import of the tool would be refused, one sentence each (none: it imports)."""
    found: list[str] = []
    version = "fig"
    for exe in tool.executables:
        try:
            ExecutableDoc.model_validate({"name": exe["name"], "version": version, "path": "/usr/bin/true"})
        except ValidationError as error:
            found.append(f"{exe['name']}: {describe(error)}")
            continue
        tag = make_tag(exe["name"], version)
        docs: list[tuple[str, ParameterDoc]] = []
        for p in exe["parameters"]:
            try:
                docs.append((p["flag"], ParameterDoc.model_validate({**p, "executable_tag": tag})))
            except ValidationError as error:
                found.append(f"{exe['name']}: {p['flag']}: {describe(error)}")
        if len(docs) < len(exe["parameters"]):
            continue
        schema_problems = schemas.build(tag, [d for _, d in docs]).validate() if docs else []
        if schema_problems:
            found += [f"{exe['name']}: {p.message}" for p in schema_problems]
            continue
        try:
            parameters.rows_for_new(tag, 0, docs)
        except OtoError as error:
            found.append(f"{exe['name']}: {error.message}")
    return found


# ---------------------------------------------------------------- the catalog


def convert_all(dump: dict[str, Any]) -> list[ConvertedTool]:
    return [convert(name, key, dump) for name, key in tool_specs(dump).items()]


def write(tools: Iterable[ConvertedTool], out: Path) -> None:
    """The catalog zip: ``index.json`` (source, and each tool's summary) and ``tools/NAME.json``."""
    tools = list(tools)
    index = {"format": FORMAT, "source": {"package": PACKAGE, "version": VERSION},
             "tools": [t.summary() for t in tools]}
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(_entry("index.json"), json.dumps(index, sort_keys=True, separators=(",", ":")))
        for t in tools:
            z.writestr(_entry(member(t.name)), json.dumps(t.to_json(), sort_keys=True, separators=(",", ":")))
    tmp.replace(out)


def member(name: str) -> str:
    return f"tools/{name}.json"


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # the same bytes at every build
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m oto.services.fig_convert DUMP.json OUT.zip", file=sys.stderr)
        return 2
    dump = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    tools = convert_all(dump)
    write(tools, Path(argv[1]))
    refused = [t for t in tools if t.problems]
    print(f"{len(tools)} tools, {sum(len(t.executables) for t in tools)} executables, "
          f"{sum(t.parameters for t in tools)} parameters; {len(refused)} refused by the FME")
    for t in refused:
        print(f"  {t.name}: {t.problems[0]}" + (f" (+{len(t.problems) - 1} more)" if len(t.problems) > 1 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
