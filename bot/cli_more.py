"""The careerbot sub-commands that need the store: chat, milestone, roster, remind, export, serve, doctor."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def _services(**kw):
    from bot.app import build_services

    return build_services(**kw)


def _parse_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"dates are written YYYY-MM-DD, not {text!r}") from exc


# -- chat ---------------------------------------------------------------------------------------------
def cmd_chat(args: argparse.Namespace) -> int:
    from bot.channels.console import ConsoleChat

    services = _services()
    try:
        return ConsoleChat(services.router, user=args.user, display_name=args.name).run()
    finally:
        services.close()


# -- milestone -----------------------------------------------------------------------------------------
def cmd_milestone(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.knowledge.loader import DEFAULT_FRAMEWORK_DIR, load_knowledge
    from bot.milestones import assess

    settings = load_settings()
    knowledge = load_knowledge(settings.framework_dir or DEFAULT_FRAMEWORK_DIR)
    since = _parse_day(args.since)
    today = _parse_day(args.today) or datetime.now(LONDON).date()
    from bot.answers.questions import resolve_level

    role, level = resolve_level(knowledge, args.level)
    code = knowledge.code(role, level)
    result = assess(knowledge, level_code=code, since=since, today=today)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(result.describe())
    return 0


# -- roster ----------------------------------------------------------------------------------------------
def _level_normaliser(services):
    return services.router.canonical_level


def cmd_roster(args: argparse.Namespace) -> int:
    from bot.roster import export_roster, import_roster

    services = _services(with_dialogs=False)
    try:
        if args.roster_command == "import":
            path = Path(args.file)
            if not path.exists():
                raise ValueError(f"no such file: {path}")
            result = import_roster(
                services.store, path, normalise_level=_level_normaliser(services), skip_invalid=args.skip_invalid
            )
            for line, reason in result.problems:
                print(f"{path}:{line}: {reason}", file=sys.stderr)
            if result.problems and not args.skip_invalid:
                print(
                    f"Nothing imported: {len(result.problems)} problem(s). Fix them, or use --skip-invalid to "
                    "import the good rows.",
                    file=sys.stderr,
                )
                return 1
            print(
                f"Imported {result.imported} new, updated {result.updated}, unchanged {result.unchanged}, "
                f"skipped {result.skipped}."
            )
            return 0
        if args.roster_command == "export":
            text = export_roster(services.store)
            if args.out:
                Path(args.out).write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
            return 0
        people = services.store.list_people()
        for p in sorted(people, key=lambda p: p.id):
            since = p.level_since.isoformat() if p.level_since else "-"
            print(f"{p.id}\t{p.display_name}\t{p.level_code or '-'}\t{since}\tmanager={p.manager_id or '-'}")
        sys.stdout.flush()  # the list first, then the count (stderr is unbuffered: it would come first in a pipe)
        print(f"{len(people)} {'person' if len(people) == 1 else 'people'}", file=sys.stderr)
        return 0
    finally:
        services.close()


# -- reminders -----------------------------------------------------------------------------------------------
def cmd_remind(args: argparse.Namespace) -> int:
    from bot.app import build_reminders
    from bot.notifiers import ConsoleNotifier, LogNotifier

    services = _services(with_dialogs=False)
    try:
        if args.today:
            day = _parse_day(args.today)
            # a pass "on" a day runs at 10:00 London time, inside default working hours
            now = datetime.combine(day, time(10, 0), tzinfo=LONDON).astimezone(UTC)
        else:
            now = datetime.now(UTC)
        if args.via == "console":
            services.notifiers["console"] = ConsoleNotifier()
        elif args.via == "log":
            services.notifiers["log"] = LogNotifier()
        service = build_reminders(services, clock=lambda: now)
        if not args.send:
            planned = service.dry_run(now)
            for p in planned:
                print(p.describe())
            sys.stdout.flush()
            print(f"{len(planned)} reminder(s) considered (dry run: nothing sent).", file=sys.stderr)
            return 0
        report = service.run_pass(now)
        print(json.dumps(report.to_json()))
        return 0
    finally:
        services.close()


# -- export ----------------------------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    services = _services()
    try:
        if args.what == "assessment":
            from dialogs.pack import export_assessment

            filename, data = export_assessment(
                services.store, services.knowledge, args.user, fmt=args.format, record_id=args.id
            )
        else:
            if services.store.get_person(args.user) is None:
                raise ValueError(f"no person with id {args.user!r}")
            data = json.dumps(
                services.store.export_person(args.user), indent=2, default=str, ensure_ascii=False
            ).encode("utf-8")
            filename = f"careerbot-data-{args.user}.json"
        out = Path(args.out or filename)
        if str(out) == "-":
            sys.stdout.buffer.write(data)
        else:
            out.write_bytes(data)
            print(f"Written {out}", file=sys.stderr)
        return 0
    finally:
        services.close()


def cmd_delete(args: argparse.Namespace) -> int:
    services = _services(with_dialogs=False)
    try:
        if services.store.get_person(args.user) is None:
            raise ValueError(f"no person with id {args.user!r}")
        if not args.yes:
            print(f"This erases everything held about {args.user}. Run again with --yes to confirm.", file=sys.stderr)
            return 1
        services.store.delete_person(args.user)
        print(f"Deleted all data about {args.user}.")
        return 0
    finally:
        services.close()


# -- serve, doctor, teams package --------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    from bot.app import serve
    from bot.config import load_settings
    from bot.logs import configure_logging

    settings = load_settings()
    configure_logging(settings)
    return serve(port=args.port, settings=settings)


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.doctor import run_doctor

    return run_doctor()


def cmd_teams_package(args: argparse.Namespace) -> int:
    from bot.channels.teams_package import build_package

    out = Path(args.out)
    build_package(args.app_id, out, name=args.name)
    print(f"Written {out}: upload it in Teams (Apps → Manage your apps → Upload an app).")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="chat with the bot in the terminal (or pipe messages, one per line)")
    p.add_argument("--user", default="console-user", help="who you are (keeps your dialogs and settings)")
    p.add_argument("--name", help="your display name")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("milestone", help="time-in-level milestone for a level and start date")
    p.add_argument("--level", required=True, help="level code, e.g. SW2A, sw 2a, SCO 4B")
    p.add_argument("--since", required=True, help="date the level started, YYYY-MM-DD")
    p.add_argument("--today", help="the date to assess on, YYYY-MM-DD (default: today in London)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_milestone)

    p = sub.add_parser("roster", help="import, export or list the staff roster")
    rs = p.add_subparsers(dest="roster_command", required=True)
    ri = rs.add_parser("import", help="import a CSV export from HR (all or nothing)")
    ri.add_argument("file")
    ri.add_argument("--skip-invalid", action="store_true", help="import the good rows, report the bad ones")
    re_ = rs.add_parser("export", help="write the roster as CSV")
    re_.add_argument("--out", help="file to write (default: standard output)")
    rs.add_parser("list", help="list people")
    p.set_defaults(func=cmd_roster)

    p = sub.add_parser("remind", help="reminders: show what would be sent (--dry-run) or run one pass (--send)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--dry-run", action="store_true", default=True, help="show what would be sent (default)")
    g.add_argument("--send", action="store_true", help="run one pass and send (for cron)")
    p.add_argument("--today", help="pretend it is this date, 10:00 London time (YYYY-MM-DD)")
    p.add_argument(
        "--via",
        choices=["channels", "console", "log"],
        default="channels",
        help="also deliver to the console or the log, for people no chat channel can reach",
    )
    p.set_defaults(func=cmd_remind)

    p = sub.add_parser("export", help="export a supervision pack or all of a person's data")
    p.add_argument("what", choices=["assessment", "data"])
    p.add_argument("--user", required=True)
    p.add_argument("--format", choices=["md", "docx"], default="md")
    p.add_argument("--id", help="which assessment (default: the latest)")
    p.add_argument("--out", help="file to write ('-' for standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("delete", help="erase everything held about a person (UK GDPR right to erasure)")
    p.add_argument("--user", required=True)
    p.add_argument("--yes", action="store_true")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("serve", help="run the web server (Slack, Teams, health, metrics) and the reminders")
    p.add_argument("--port", type=int, help="port (default: PORT or 3978)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("doctor", help="check configuration, store, frameworks and channel credentials")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("teams-package", help="build the Teams app package (zip) to upload")
    p.add_argument("--app-id", required=True, help="the Azure Bot's Microsoft App ID (a GUID)")
    p.add_argument("--name", default="careerbot")
    p.add_argument("--out", default="careerbot-teams.zip")
    p.set_defaults(func=cmd_teams_package)
