"""One ``oto import`` of a large catalog set, beside a plain insert of the same rows.

Generates documents with the shape of a real catalog set (by default 720 documents, 50,583
executables, 275,690 parameters; a few percent of parameters carry rules), imports them all in one
``oto import`` (one transaction, every FME check), and times a plain ``executemany`` of the same
executable and parameter rows into two bare tables of the same database, without any check.
Prints both and their ratio (the target: at most 10 times the plain insert), in wall time and in CPU
time (the CPU time of the plain insert leaves out PostgreSQL's server, which both share; on a loaded
machine the CPU ratio is the steadier one).

    python bench/import_load.py [--scale 0.1] [--database sqlite|postgres] [--fig]

``--scale`` shrinks the set for a quick try. ``--fig`` imports the shipped tool catalog instead
(docs/catalog.md: every tool the flag matching engine accepts, as one document). PostgreSQL uses
the service at 127.0.0.1:5432 (database ``test``), in a throwaway schema dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

DOCUMENTS, EXECUTABLES, PARAMETERS = 720, 50_583, 275_690
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def catalog(scale: float) -> list[dict[str, Any]]:
    """The documents: executables spread evenly over them, parameters over the executables."""
    n_docs = max(1, round(DOCUMENTS * scale))
    n_exes = max(n_docs, round(EXECUTABLES * scale))
    n_params = max(n_exes, round(PARAMETERS * scale))
    docs: list[dict[str, Any]] = [{"oto": 1, "executables": [], "parameters": []} for _ in range(n_docs)]
    for e in range(n_exes):
        doc = docs[e % n_docs]
        name, version = f"tool{e}", "1.0"
        tag = f"{name} - {version}"
        doc["executables"].append({"name": name, "version": version, "path": "/usr/bin/true"})
        first, last = e * n_params // n_exes, (e + 1) * n_params // n_exes
        for p in range(last - first):
            param: dict[str, Any] = {"executable_tag": tag, "flag": f"--option-{p}", "description": f"option {p}",
                                     "requires_value": p % 3 == 0, "value_type": "string" if p % 3 == 0 else "bool"}
            n = first + p  # a few percent of all parameters carry a rule
            if n % 25 == 1 and p + 1 < last - first:
                param["interfer_ids"] = [f"--option-{p + 1}"]
            elif n % 40 == 2 and p + 2 < last - first:
                param["require_ids"] = [f"--option-{p + 2}"]
            doc["parameters"].append(param)
    return docs


def fig_catalog() -> list[dict[str, Any]]:
    """The shipped tool catalog as one document: every tool without problems, at /usr/bin/PROGRAM."""
    from oto.services import tool_catalog

    doc: dict[str, Any] = {"oto": 1, "executables": [], "parameters": []}
    for tool in tool_catalog.tools():
        if not tool.problems:
            part = tool_catalog.document(tool.name, path=f"/usr/bin/{tool.program}", version="fig")
            doc["executables"] += part["executables"]
            doc["parameters"] += part["parameters"]
    return [doc]


def rows(docs: list[dict[str, Any]]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    exes, params = [], []
    ids: dict[str, int] = {}
    for doc in docs:
        for exe in doc["executables"]:
            ids[f"{exe['name']} - {exe['version']}"] = len(ids) + 1
            exes.append((len(ids), exe["name"], exe["version"], exe["path"]))
        for p in doc["parameters"]:
            params.append((ids[p["executable_tag"]], p["flag"], p["description"], p["requires_value"], p["value_type"],
                           json.dumps(p.get("require_ids", [])), json.dumps(p.get("interfer_ids", []))))
    return exes, params


PLAIN_TABLES = [
    "CREATE TABLE plain_executables (id INTEGER PRIMARY KEY, name VARCHAR(200), version VARCHAR(100), "
    "path TEXT, UNIQUE (name, version))",
    "CREATE TABLE plain_parameters (id SERIAL PRIMARY KEY, executable_id INTEGER REFERENCES plain_executables(id), "
    "flag VARCHAR(500), description TEXT, requires_value BOOLEAN, value_type VARCHAR(20), requires TEXT, "
    "conflicts TEXT, UNIQUE (executable_id, flag))",
]
INSERT_EXE = "INSERT INTO plain_executables VALUES (%s, %s, %s, %s)"
INSERT_PARAM = ("INSERT INTO plain_parameters (executable_id, flag, description, requires_value, value_type, "
                "requires, conflicts) VALUES (%s, %s, %s, %s, %s, %s, %s)")


def plain_sqlite(path: Path, exes: list[tuple[Any, ...]], params: list[tuple[Any, ...]]) -> float:
    start = time.perf_counter()
    con = sqlite3.connect(path)
    with con:
        for statement in PLAIN_TABLES:
            con.execute(statement.replace("SERIAL", "INTEGER"))
        con.executemany(INSERT_EXE.replace("%s", "?"), exes)
        con.executemany(INSERT_PARAM.replace("%s", "?"), params)
    con.close()
    return time.perf_counter() - start


def plain_postgres(schema: str, exes: list[tuple[Any, ...]], params: list[tuple[Any, ...]]) -> float:
    import psycopg

    start = time.perf_counter()
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test") as con:
        con.execute(f"SET search_path TO {schema}")
        for statement in PLAIN_TABLES:
            con.execute(statement)
        with con.cursor() as cur:
            cur.executemany(INSERT_EXE, exes)
            cur.executemany(INSERT_PARAM, params)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--fig", action="store_true", help="import the shipped tool catalog (one document)")
    args = parser.parse_args()
    docs = fig_catalog() if args.fig else catalog(args.scale)
    exes, params = rows(docs)
    print(f"{len(docs)} documents, {len(exes)} executables, {len(params)} parameters ({args.database})")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        paths = []
        for i, doc in enumerate(docs):
            paths.append(home / f"catalog-{i:04d}.json")
            paths[-1].write_text(json.dumps(doc))
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTO_")} | {"OTO_HOME": str(home)}
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        if args.database == "postgres":
            import psycopg

            with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as con:
                con.execute(f"CREATE SCHEMA {schema}")
            env["OTO_DATABASE_URL"] = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        try:
            subprocess.run([sys.executable, "-m", "oto", "init"], env=env, check=True, capture_output=True)
            start, cpu_start = time.perf_counter(), _children_cpu()
            done = subprocess.run([sys.executable, "-m", "oto", "import", "--json", *map(str, paths)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if done.returncode:
                sys.exit(f"oto import failed: {done.stderr.strip()[-2000:]}")
            oto, oto_cpu = time.perf_counter() - start, _children_cpu() - cpu_start
            cpu_start = time.process_time()
            if args.database == "postgres":
                plain = plain_postgres(schema, exes, params)
            else:
                plain = plain_sqlite(home / "plain.db", exes, params)
            plain_cpu = time.process_time() - cpu_start
        finally:
            if args.database == "postgres":
                import psycopg

                with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as con:
                    con.execute(f"DROP SCHEMA {schema} CASCADE")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs   wall s   CPU s (this process or oto's)")
    print(f"oto import (one transaction, checked)   {oto:8.2f} {oto_cpu:8.2f}")
    print(f"plain executemany (no check)            {plain:8.2f} {plain_cpu:8.2f}")
    print(f"ratio (target <= 10x)                   {oto / plain:7.1f}x {oto_cpu / plain_cpu:7.1f}x")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
