"""``oto job``: commands with values, ready to run."""

from __future__ import annotations

from typing import Annotated

import typer

from oto.cli.common import (
    CascadeOption,
    JsonOption,
    MaxConcurrentOption,
    NoMaxConcurrentOption,
    WaitOption,
    WideOption,
    get_app,
    limit_changes,
    limit_text,
)
from oto.cli.common import delete as delete_item
from oto.cli.output import print_fields, print_json, print_table, say, warn
from oto.domain.documents import RetryDoc, Value, parse_assignments
from oto.errors import InvalidInput

app = typer.Typer(help="Commands with values, ready to run.", no_args_is_help=True)

RETRY_HELP = "Retries (a failed or timed-out run tried again; the waits are durable Temporal timers)"
AttemptsOption = Annotated[int | None, typer.Option(
    "--attempts", help="Try the job up to N times in all (1: no retry).", metavar="N", rich_help_panel=RETRY_HELP)]
RetriesOption = Annotated[int | None, typer.Option(
    "--retries", help="Try it again up to N times after the first (--attempts N+1).", metavar="N",
    rich_help_panel=RETRY_HELP)]
RetryDelayOption = Annotated[str | None, typer.Option(
    "--retry-delay", help="Wait this long before the first retry (10s, 2m; default 0s).", metavar="DURATION",
    rich_help_panel=RETRY_HELP)]
BackoffOption = Annotated[float | None, typer.Option(
    "--backoff", help="Multiply the wait by this before each later retry (1 to 10; default 1).", metavar="FACTOR",
    rich_help_panel=RETRY_HELP)]
MaxDelayOption = Annotated[str | None, typer.Option(
    "--max-retry-delay", help="Never wait longer than this between attempts.", metavar="DURATION",
    rich_help_panel=RETRY_HELP)]
RetryOnOption = Annotated[str | None, typer.Option(
    "--retry-on", help="The statuses tried again: failed, timed_out or both (default both).",
    metavar="STATUS,STATUS", rich_help_panel=RETRY_HELP)]


def retry_policy(attempts: int | None, retries: int | None, delay: str | None, backoff: float | None,
                 max_delay: str | None, on: str | None, current: dict[str, object] | None = None
                 ) -> dict[str, object] | None:
    """The retry policy the options give, over ``current`` (a job's policy as it is, for edit); None when
    no option is given and there is none; ``{}`` when ``--attempts 1`` takes a policy away."""
    if attempts is not None and retries is not None:
        raise InvalidInput("give --attempts N or --retries N-1, not both")
    if retries is not None:
        if retries < 0:
            raise InvalidInput(f"--retries must be 0 or more, not {retries}")
        attempts = retries + 1
    given: dict[str, object] = {k: v for k, v in (("attempts", attempts), ("delay", delay), ("backoff", backoff),
                                                  ("max_delay", max_delay)) if v is not None}
    if on is not None:
        given["on"] = [s.strip() for s in on.split(",")]
    if not given:
        return current
    policy = dict(current or {}) | given
    if "attempts" not in policy:
        raise InvalidInput("a retry policy needs --attempts N (or --retries N): how many tries in all")
    return {} if policy["attempts"] == 1 and not current and len(given) == 1 else policy


def parse_sets(sets: list[str]) -> dict[str, Value]:
    """``FLAG=VALUE`` or a bare ``FLAG`` (no value) into job values; a repeated flag gathers a list."""
    try:
        return parse_assignments(sets)
    except ValueError as error:
        raise InvalidInput(f"--set {str(error).replace('NAME', 'FLAG')}") from None


def parse_inputs(items: list[str]) -> dict[str, Value]:
    """``FLAG`` (no default) or ``FLAG=DEFAULT`` into job inputs; a repeated flag gathers a list of defaults."""
    inputs: dict[str, Value] = {}
    for item in items:
        flag, sep, default = item.partition("=")
        if not flag:
            raise InvalidInput(f"--input {item!r}: give FLAG or FLAG=DEFAULT")
        if flag in inputs:
            previous = inputs[flag]
            if previous is None or not sep:
                raise InvalidInput(f"--input {flag}: a flag given more than once needs a default each time "
                                   "(FLAG=DEFAULT, one per place of the flag in the command)")
            inputs[flag] = [*previous, default] if isinstance(previous, list) else [previous, default]
        else:
            inputs[flag] = default if sep else None
    return inputs


def parse_run_values(sets: list[str]) -> dict[str, Value]:
    """``--set NAME=VALUE`` of a run into input values; a name given again gathers a list."""
    for item in sets:
        if "=" not in item:
            raise InvalidInput(f"--set {item!r}: give NAME=VALUE (a run sets the values of inputs)")
    return parse_sets(sets)


InputOption = Annotated[list[str] | None, typer.Option(
    "--input", metavar="FLAG[=DEFAULT]",
    help="A flag whose value is given when the job runs (`oto job run --set FLAG=VALUE`), with an optional "
    "default (repeat per input).")]
RunSetOption = Annotated[list[str] | None, typer.Option(
    "--set", metavar="NAME=VALUE", help="The value of an input for this run (repeat per input; a repeatable "
    "flag takes one --set per value).")]


@app.command("add")
def add(
    name: str,
    command: Annotated[str, typer.Option("--command", help="The command this job runs.")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", metavar="FLAG=VALUE", help="A value (FLAG alone for a switch).")
    ] = None,
    input_: InputOption = None,
    description: str = "",
    attempts: AttemptsOption = None,
    retries: RetriesOption = None,
    retry_delay: RetryDelayOption = None,
    backoff: BackoffOption = None,
    max_retry_delay: MaxDelayOption = None,
    retry_on: RetryOnOption = None,
    max_concurrent: MaxConcurrentOption = None,
    json: JsonOption = False,
) -> None:
    """Add a job: a value for each flag of the command that takes one, or an input given when it runs, and
    how often to try it."""
    data: dict[str, object] = {"name": name, "command": command, "values": parse_sets(set_ or []),
                               "description": description, "max_concurrent": max_concurrent,
                               "inputs": parse_inputs(input_ or [])}
    if retry := retry_policy(attempts, retries, retry_delay, backoff, max_retry_delay, retry_on):
        data["retry"] = retry
    doc = get_app().jobs.add(data)
    if warning := get_app().jobs.argv_warning(doc.name):
        warn(warning)
    if json:
        print_json(doc)
    else:
        say(f"added job {doc.name!r} running command {doc.command!r}")


@app.command("argv")
def argv(name: str, json: JsonOption = False) -> None:
    """The exact argv the job would run (secret values masked)."""
    items = get_app().jobs.argv(name)
    if json:
        print_json(items)
    else:
        import shlex

        say(shlex.join(items))


@app.command("run")
def run(
    name: str,
    set_: RunSetOption = None,
    wait: WaitOption = False,
    timeout: Annotated[
        float | None, typer.Option(help="Stop this run after SECONDS (it ends timed_out).", metavar="SECONDS")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Start the job on Temporal and print its run id (a worker of its task queue runs it)."""
    from oto.cli import runs as run_views
    values = parse_run_values(set_ or [])
    run_views.start(lambda app: app.runs.submit_job(name, timeout=timeout, values=values), wait=wait, json=json)


@app.command("list")
def list_(json: JsonOption = False, wide: WideOption = False) -> None:
    """List jobs."""
    docs = get_app().jobs.list_all()
    if json:
        print_json(docs)
    else:
        print_table(
            "jobs",
            ["name", "command", "values", "inputs"],
            [(d.name, d.command, _values(d.values), _inputs(d.inputs)) for d in docs],
            wide=wide,
        )


@app.command("show")
def show(name: str, json: JsonOption = False) -> None:
    """A job: its command, its values (secrets masked) and the exact argv it runs."""
    app_ = get_app()
    doc = app_.jobs.get(name)
    argv = app_.jobs.argv(name)
    if json:
        print_json(doc.model_dump() | {"argv": argv})
        return
    import shlex

    print_fields(f"job {doc.name}", [
        ("command", doc.command), ("values", _values(doc.values)), ("inputs", _inputs(doc.inputs)),
        ("argv", shlex.join(argv)), ("retry", describe_retry(doc.retry)), ("description", doc.description),
        ("max concurrent", limit_text(doc.max_concurrent)),
    ])


def describe_retry(retry: RetryDoc | None) -> str:
    """A retry policy in a few words: ``3 attempts, 10s x2 (at most 5m) after failed, timed_out``."""
    if retry is None or retry.attempts == 1:
        return "one attempt"
    wait = retry.delay + (f" x{retry.backoff:g}" if retry.backoff != 1 else "") + (
        f" (at most {retry.max_delay})" if retry.max_delay else "")
    return f"{retry.attempts} attempts, waiting {wait}, after {', '.join(retry.on)}"


@app.command("edit")
def edit(
    name: str,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="FLAG=VALUE", help="The job's values (replace them all; FLAG alone for a switch; "
        "repeat a repeatable flag once per value).")] = None,
    input_: Annotated[list[str] | None, typer.Option(
        "--input", metavar="FLAG[=DEFAULT]", help="The job's inputs (replace them all; repeat per input).")] = None,
    no_inputs: Annotated[bool, typer.Option("--no-inputs", help="The job has no inputs any more.")] = False,
    command: Annotated[str | None, typer.Option("--command", help="Run another command.")] = None,
    description: Annotated[str | None, typer.Option(help="A new description.")] = None,
    attempts: AttemptsOption = None,
    retries: RetriesOption = None,
    retry_delay: RetryDelayOption = None,
    backoff: BackoffOption = None,
    max_retry_delay: MaxDelayOption = None,
    retry_on: RetryOnOption = None,
    no_retry: Annotated[bool, typer.Option("--no-retry", help="Drop the job's retry policy: one attempt.",
                                           rich_help_panel=RETRY_HELP)] = False,
    max_concurrent: MaxConcurrentOption = None,
    no_max_concurrent: NoMaxConcurrentOption = False,
    json: JsonOption = False,
) -> None:
    """Change a job; a secret value given as *** keeps the stored one; retry options change its policy."""
    changes: dict[str, object] = {k: v for k, v in (("command", command), ("description", description))
                                  if v is not None}
    if set_ is not None:
        changes["values"] = parse_sets(set_)
    if input_ is not None and no_inputs:
        raise InvalidInput("give --input or --no-inputs, not both")
    if input_ is not None or no_inputs:
        changes["inputs"] = parse_inputs(input_ or [])
    retry_given = any(v is not None for v in (attempts, retries, retry_delay, backoff, max_retry_delay, retry_on))
    if no_retry and retry_given:
        raise InvalidInput("give --no-retry or retry options, not both")
    if no_retry:
        changes["retry"] = None
    elif retry_given:
        current = get_app().jobs.get(name).retry
        policy = retry_policy(attempts, retries, retry_delay, backoff, max_retry_delay, retry_on,
                              None if current is None else current.model_dump())
        changes["retry"] = policy or None
    changes |= limit_changes(max_concurrent, no_max_concurrent)
    if not changes:
        raise InvalidInput("nothing to change: give --set, --input, --no-inputs, --command, --description, "
                           "a retry option, --max-concurrent or --no-max-concurrent")
    doc = get_app().jobs.update(name, changes)
    if json:
        print_json(doc)
    else:
        say(f"changed job {doc.name!r}: {', '.join(sorted(changes))}")


def _values(values: dict[str, Value]) -> str:
    """Values as a person types them: ``-n 1 -n 2 -v``."""
    words = []
    for flag, value in values.items():
        for one in value if isinstance(value, list) else [value]:
            words.append(f"{flag} {one}" if one else flag)
    return " ".join(words)


def _inputs(inputs: dict[str, Value]) -> str:
    """Inputs as a person reads them: ``HOST HOST2=127.0.0.1`` (a default after ``=``)."""
    words = []
    for flag, default in inputs.items():
        for one in default if isinstance(default, list) else [default]:
            words.append(flag if one is None else f"{flag}={one}")
    return " ".join(words)


@app.command("delete")
def delete(name: str, cascade: CascadeOption = False) -> None:
    """Delete a job (with --cascade, the routines and schedules using it too, on Temporal as well)."""
    say(f"deleted job {name!r}{delete_item(lambda: get_app().jobs.delete(name, cascade=cascade))}")
