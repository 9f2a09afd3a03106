"""``oto schedule``: jobs and routines that run by themselves, on Temporal Schedules.

Each OTO schedule ``NAME`` is the Temporal schedule ``oto-schedule-NAME``; every verb that
changes one changes both (``oto.app.schedules``). ``list`` reads only OTO's database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from oto.app.schedules import Schedules, temporal_id, trigger_of
from oto.cli.common import JsonOption, WideOption, get_app, run
from oto.cli.output import print_json, print_table, say, warn
from oto.domain.documents import ScheduleDoc
from oto.errors import InvalidInput

app = typer.Typer(help="Jobs and routines that run by themselves, on Temporal Schedules.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The schedule's name.")]


def parse_time(text: str, option: str, zone: str = "UTC") -> datetime:
    """An ISO 8601 date and time; without an offset it is read in ``zone``."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{option} {text!r} is not a date and time (ISO 8601: 2030-01-31T03:00, 2030-01-31T03:00:00Z)"
        ) from None
    if value.tzinfo is None:
        try:
            value = value.replace(tzinfo=ZoneInfo(zone))
        except (KeyError, ValueError):
            value = value.replace(tzinfo=UTC)  # the unknown zone is refused with the schedule
    return value.astimezone(UTC)


def when(at: datetime | str, zone: str = "UTC", *, both: bool = False, seconds: bool = False) -> str:
    """A time for people: in the schedule's zone (and in UTC too with ``both``)."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    local = moment.astimezone(ZoneInfo(zone))
    shape = "%Y-%m-%d %H:%M:%S" if seconds or local.second else "%Y-%m-%d %H:%M"
    text = f"{local.strftime(shape)} {local.tzname()}"
    if both and zone != "UTC":
        text += f" ({moment.astimezone(UTC).strftime(shape)} UTC)"
    return text


def target(doc: ScheduleDoc) -> str:
    return f"job {doc.job}" if doc.job is not None else f"routine {doc.routine}"


def spec(doc: ScheduleDoc) -> str:
    if doc.cron is not None:
        return f"{doc.cron} ({doc.timezone})"
    return f"every {doc.every}" + (f" (offset {doc.offset})" if doc.offset else "")


def state(doc: ScheduleDoc) -> str:
    if not doc.paused:
        return "active"
    return f"paused ({doc.note})" if doc.note else "paused"


@app.command("add")
def add(
    name: NameArg,
    job: Annotated[str | None, typer.Option("--job", help="The job it runs.")] = None,
    routine: Annotated[str | None, typer.Option("--routine", help="The routine it runs.")] = None,
    cron: Annotated[str | None, typer.Option("--cron", help="When: minute hour day month weekday.")] = None,
    every: Annotated[str | None, typer.Option("--every", help="Or how often: 30s, 15m, 1h, 1d (at least 1s).")] = None,
    offset: Annotated[str | None, typer.Option("--offset", help="With --every: shift each fire by this.")] = None,
    timezone: Annotated[str, typer.Option("--timezone", "--tz", help="The zone of --cron and of times.")] = "UTC",
    start: Annotated[str | None, typer.Option("--start", help="No fire before this time (ISO 8601).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="No fire after this time (ISO 8601).")] = None,
    overlap: Annotated[
        str, typer.Option("--overlap", help="When a fire finds the last run still going: "
                          "skip, buffer_one, allow_all or cancel_other.")
    ] = "skip",
    catchup_window: Annotated[
        str | None, typer.Option("--catchup-window", help="Fires missed while Temporal was down, up to this "
                                 "long ago, still run (at least 10s; Temporal's default is a year).")
    ] = None,
    jitter: Annotated[str | None, typer.Option("--jitter", help="Delay each fire by up to this, at random.")] = None,
    paused: Annotated[bool, typer.Option("--paused", help="Add it paused.")] = False,
    note: Annotated[str, typer.Option("--note", help="Why (shown with its state).")] = "",
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="NAME=VALUE", help="The value of an input of the job (a flag) or of the routine (a "
        "name) that each fire runs with (repeat per input).")] = None,
    json: JsonOption = False,
) -> None:
    """Add a schedule: a job or a routine, and a cron expression or an interval."""
    from oto.cli.jobs import parse_run_values

    if (job is None) == (routine is None):
        raise InvalidInput("give one of --job or --routine")
    if (cron is None) == (every is None):
        raise InvalidInput("give one of --cron or --every")
    data: dict[str, Any] = {
        "name": name, "job": job, "routine": routine, "cron": cron, "every": every, "offset": offset,
        "timezone": timezone, "overlap": overlap, "catchup_window": catchup_window, "jitter": jitter,
        "paused": paused, "note": note, "values": parse_run_values(set_ or []),
        "start": parse_time(start, "--start", timezone) if start else None,
        "end": parse_time(end, "--end", timezone) if end else None,
    }
    doc: ScheduleDoc = run(get_app().schedules.add(data))
    upcoming = Schedules.next_fires(doc, 1)
    if json:
        print_json({**doc.model_dump(mode="json"), "temporal_id": temporal_id(doc.name),
                    "next": [t.isoformat() for t in upcoming]})
        return
    at = f"at cron {doc.cron!r} ({doc.timezone})" if doc.cron is not None else spec(doc)
    following = f"next at {when(upcoming[0], doc.timezone)}" if upcoming else "it will never fire"
    say(f"added schedule {doc.name!r}: {target(doc)} {at}{', paused' if doc.paused else ''}, {following}; "
        f"on Temporal as {temporal_id(doc.name)}")


# What ``edit`` can empty: the fields a schedule may go without (PATCH takes them as null).
CLEARABLE = ("offset", "start", "end", "jitter", "catchup_window")


def _shown(key: str, value: Any, zone: str) -> str:
    if key == "paused":
        return "paused" if value else "active"
    if value is None:
        return "none"
    return when(value, zone) if isinstance(value, datetime) else repr(value)


def changed(before: ScheduleDoc, after: ScheduleDoc) -> list[str]:
    """What an edit changed, field by field: ``cron '0 4 * * *' (was '0 3 * * *')``."""
    return [f"{'state' if key == 'paused' else key.replace('_', ' ')} {_shown(key, new, after.timezone)} "
            f"(was {_shown(key, getattr(before, key), before.timezone)})"
            for key, new in after if key != "name" and new != getattr(before, key)]


@app.command("edit")
def edit(
    name: NameArg,
    job: Annotated[str | None, typer.Option("--job", help="Run this job (instead of its routine).")] = None,
    routine: Annotated[str | None, typer.Option("--routine", help="Run this routine (instead of its job).")] = None,
    cron: Annotated[str | None, typer.Option("--cron", help="When: minute hour day month weekday "
                                             "(replaces its interval).")] = None,
    every: Annotated[str | None, typer.Option("--every", help="Or how often: 30s, 15m, 1h, 1d "
                                              "(replaces its cron).")] = None,
    offset: Annotated[str | None, typer.Option("--offset", help="With --every: shift each fire by this.")] = None,
    no_offset: Annotated[bool, typer.Option("--no-offset", help="Drop the offset (to go from --every to "
                                            "--cron).")] = False,
    timezone: Annotated[str | None, typer.Option("--timezone", "--tz", help="The zone of --cron and of times "
                                                 "(default: its zone).")] = None,
    start: Annotated[str | None, typer.Option("--start", help="No fire before this time (ISO 8601).")] = None,
    no_start: Annotated[bool, typer.Option("--no-start", help="Drop the start.")] = False,
    end: Annotated[str | None, typer.Option("--end", help="No fire after this time (ISO 8601).")] = None,
    no_end: Annotated[bool, typer.Option("--no-end", help="Drop the end.")] = False,
    overlap: Annotated[
        str | None, typer.Option("--overlap", help="skip, buffer_one, allow_all or cancel_other.")
    ] = None,
    catchup_window: Annotated[
        str | None, typer.Option("--catchup-window", help="Fires missed while Temporal was down, up to this "
                                 "long ago, still run (at least 10s).")
    ] = None,
    no_catchup_window: Annotated[bool, typer.Option("--no-catchup-window", help="Back to Temporal's default "
                                                    "(a year).")] = False,
    jitter: Annotated[str | None, typer.Option("--jitter", help="Delay each fire by up to this, at random.")] = None,
    no_jitter: Annotated[bool, typer.Option("--no-jitter", help="Drop the jitter.")] = False,
    paused: Annotated[bool | None, typer.Option("--paused/--active", help="Pause it, or make it fire again.",
                                                show_default=False)] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why (shown with its state; \"\" drops it).")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="NAME=VALUE", help="The input values each fire runs with (replace them all).")] = None,
    no_values: Annotated[bool, typer.Option("--no-values", help="Drop the input values.")] = False,
    json: JsonOption = False,
) -> None:
    """Change a schedule, in OTO and on Temporal: the options given replace what it has, the rest stay.

    Naming a job drops its routine (and a routine its job), a cron its interval (and an interval its cron)."""
    given: dict[str, Any] = {
        "job": job, "routine": routine, "cron": cron, "every": every, "offset": offset, "timezone": timezone,
        "start": start, "end": end, "overlap": overlap, "catchup_window": catchup_window, "jitter": jitter,
        "paused": paused, "note": note,
    }
    from oto.cli.jobs import parse_run_values

    changes = {key: value for key, value in given.items() if value is not None}
    if set_ is not None and no_values:
        raise InvalidInput("give --set or --no-values, not both")
    if set_ is not None or no_values:
        changes["values"] = parse_run_values(set_ or [])
    dropped = {"offset": no_offset, "start": no_start, "end": no_end, "catchup_window": no_catchup_window,
               "jitter": no_jitter}
    for key in CLEARABLE:
        if dropped[key]:
            option = "--" + key.replace("_", "-")
            if key in changes:
                raise InvalidInput(f"give {option} or --no-{option[2:]}, not both")
            changes[key] = None
    if not changes:
        raise InvalidInput("nothing to change: give at least one option")
    before = get_app().schedules.get(name)
    zone = timezone or before.timezone
    for key in ("start", "end"):
        if changes.get(key) is not None:
            changes[key] = parse_time(changes[key], f"--{key}", zone)
    doc: ScheduleDoc = run(get_app().schedules.update(name, changes))
    upcoming = Schedules.next_fires(doc, 1)
    if json:
        print_json({**doc.model_dump(mode="json"), "temporal_id": temporal_id(doc.name),
                    "next": [t.isoformat() for t in upcoming]})
        return
    differences = changed(before, doc)
    at = f"at cron {doc.cron!r} ({doc.timezone})" if doc.cron is not None else spec(doc)
    following = f"next at {when(upcoming[0], doc.timezone)}" if upcoming else "it will never fire"
    done = f"changed schedule {name!r}: {', '.join(differences)}" if differences else \
        f"schedule {name!r} unchanged (it was already so)"
    say(f"{done}; now {target(doc)} {at}{', paused' if doc.paused else ''}, {following}; "
        f"on Temporal as {temporal_id(doc.name)}")


@app.command("list")
def list_(json: JsonOption = False, wide: WideOption = False) -> None:
    """List schedules with their next fire time (from OTO's database; `show` asks Temporal too)."""
    docs = get_app().schedules.list_all()
    rows = [(d, Schedules.next_fires(d, 1)) for d in docs]
    if json:
        print_json([{**d.model_dump(mode="json"), "next": [t.isoformat() for t in n]} for d, n in rows])
        return
    print_table("schedules", ["name", "runs", "when", "overlap", "state", "next"],
                [(d.name, target(d), spec(d), d.overlap, state(d), when(n[0], d.timezone) if n else "never")
                 for d, n in rows], wide=wide)


@app.command("show")
def show(
    name: NameArg,
    count: Annotated[int, typer.Option("--count", help="How many next fire times and recent runs.")] = 5,
    json: JsonOption = False,
) -> None:
    """A schedule: its spec, next fire times, recent runs, and what Temporal counts (fires taken,
    skipped by the overlap policy, missed outside the catch-up window)."""
    if not 1 <= count <= 100:
        raise InvalidInput(f"--count must be between 1 and 100, not {count}")
    shown: dict[str, Any] = run(get_app().schedules.describe(name, count=count))
    if json:
        print_json(shown)
        return
    doc = ScheduleDoc.model_validate(shown["schedule"])
    zone = doc.timezone
    say(f"schedule {doc.name}: {target(doc)}, {spec(doc)}, {state(doc)}")
    facts = [("overlap", doc.overlap), ("catch-up window", doc.catchup_window), ("jitter", doc.jitter),
             ("start", when(doc.start, zone, both=True) if doc.start else None),
             ("end", when(doc.end, zone, both=True) if doc.end else None), ("trigger", shown["trigger"]),
             ("values", " ".join(f"{k}={v}" for k, v in doc.values.items()) or None)]
    for label, value in facts:
        if value:
            say(f"  {label}: {value}")
    server = shown["server"]
    if server["state"] in ("missing", "unreachable"):
        say(f"  Temporal ({server['id']}): {server['state']}: {server['error']}")
    else:
        say(f"  Temporal ({server['id']}): {server['state']}, {'paused' if server['paused'] else 'active'}")
        say(f"  fires taken: {server['actions']}, skipped by overlap: {server['skipped_overlap']}, "
            f"missed outside the catch-up window: {server['missed_catchup_window']}, "
            f"running now: {len(server['running'])}")
    if shown["next"]:
        say("next fire times (once resumed):" if doc.paused else "next fire times:")
        precise = any(datetime.fromisoformat(at).second for at in shown["next"])
        for at in shown["next"]:
            say(f"  {when(at, zone, both=True, seconds=precise)}")
    else:
        say("next fire times: none (it will never fire again)")
    waiting = [f for f in server.get("fires", []) if not f["run_id"]]
    for fire in waiting:
        say(f"  a fire of {when(fire['scheduled_at'], zone)} has no run: its workflow {fire['workflow_id']} "
            f"is {fire['status']}")
    print_table("recent runs", ["run", "status", "exit", "created", "duration"],
                [(r["run_id"], r["status"], r["exit_code"], (r["created_at"] or "")[:19],
                  "" if r["duration"] is None else f"{r['duration']:.2f}s") for r in shown["recent_runs"]])


@app.command("pause")
def pause(
    name: NameArg,
    note: Annotated[str, typer.Option("--note", help="Why (shown with its state).")] = "",
    json: JsonOption = False,
) -> None:
    """Pause a schedule: it fires no more until resumed."""
    doc: ScheduleDoc = run(get_app().schedules.pause(name, note))
    if json:
        print_json(doc)
    else:
        say(f"paused schedule {name!r}" + (f" ({note})" if note else ""))


@app.command("resume")
def resume(
    name: NameArg,
    note: Annotated[str, typer.Option("--note", help="Why (shown with its state).")] = "",
    json: JsonOption = False,
) -> None:
    """Resume a paused schedule."""
    doc: ScheduleDoc = run(get_app().schedules.resume(name, note))
    if json:
        print_json(doc)
    else:
        say(f"resumed schedule {name!r}")


@app.command("trigger")
def trigger(
    name: NameArg,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for a worker to record the run.")] = 5.0,
    json: JsonOption = False,
) -> None:
    """Fire a schedule now (whatever its overlap policy, even paused); prints the run id."""
    run_id: str | None = run(get_app().schedules.trigger(name, wait=wait))
    if json:
        print_json({"schedule": name, "trigger": trigger_of(name), "run_id": run_id})
    elif run_id is not None:
        say(run_id)
    else:
        say(f"triggered schedule {name!r}; no worker has recorded its run yet "
            f"(see `oto run list --trigger {trigger_of(name)}`)")


@app.command("delete")
def delete(name: NameArg) -> None:
    """Delete a schedule, in OTO and on Temporal (runs it started go on)."""
    run(get_app().schedules.delete(name))
    say(f"deleted schedule {name!r} (and its Temporal schedule {temporal_id(name)})")


@app.command("backfill")
def backfill(
    name: NameArg,
    from_: Annotated[str, typer.Option("--from", help="From this time (ISO 8601; in the schedule's zone "
                                                     "without an offset).")],
    to: Annotated[str, typer.Option("--to", help="To this time.")],
    overlap: Annotated[str, typer.Option("--overlap", help="buffer_all (each fire in turn), or the "
                                         "policies of add.")] = "buffer_all",
    json: JsonOption = False,
) -> None:
    """Fire a schedule once for each of its times between --from and --to, as if they were now."""
    zone = get_app().schedules.get(name).timezone
    start, end = parse_time(from_, "--from", zone), parse_time(to, "--to", zone)
    times: list[datetime] = run(get_app().schedules.backfill(name, start, end, overlap=overlap))
    if json:
        print_json({"schedule": name, "fires": [t.isoformat() for t in times]})
        return
    say(f"backfilled schedule {name!r}: {len(times)} fire{'s' if len(times) != 1 else ''} "
        f"from {when(start, zone)} to {when(end, zone)}")


@app.command("sync")
def sync(
    prune: Annotated[bool, typer.Option("--prune", help="Also delete the oto-schedule-* schedules on Temporal "
                                        "that OTO does not know.")] = False,
    json: JsonOption = False,
) -> None:
    """Make Temporal's schedules match OTO's: recreate the missing, rewrite the changed, report strangers."""
    report = run(get_app().schedules.sync(prune=prune))
    if json:
        print_json(report.to_dict())
    else:
        say(f"schedules: {len(report.recreated)} recreated, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged")
        for label, items in (("recreated", report.recreated), ("updated", report.updated),
                             ("pruned", report.pruned)):
            if items:
                say(f"  {label}: {', '.join(items)}")
        if report.retention != "off":
            say(f"retention schedule oto-retention: {report.retention}")
        if report.unknown and not prune:
            warn(f"Temporal has schedules OTO does not know: {', '.join(report.unknown)} "
                 "(`oto schedule sync --prune` deletes them)")
        for what, problem in report.failed.items():
            warn(f"could not sync {what}: {problem}")
    if report.failed:
        raise typer.Exit(1)
