"""The careerbot command: ask, chat, validate, milestone, roster, remind, export, serve, doctor."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bot.config import load_settings
from bot.knowledge.loader import DEFAULT_FRAMEWORK_DIR, FrameworkError, load_knowledge, validate_folder

log = logging.getLogger(__name__)


def _framework_dir(args: argparse.Namespace | None = None) -> Path:
    settings = load_settings()
    return settings.framework_dir or DEFAULT_FRAMEWORK_DIR


def _load_engine():
    from bot.answers.engine import AnswerEngine

    return AnswerEngine(load_knowledge(_framework_dir()))


def answer_json(reply, question: str) -> dict:
    """The public --json shape of an answer (documented in README; keep it stable)."""
    return {
        "question": question,
        "status": reply.status if reply.status in ("answered", "clarify", "not_in_framework") else "clarify",
        "role": reply.meta.get("role"),
        "level": reply.meta.get("level"),
        "topic": reply.meta.get("topic"),
        "text": reply.plain_text(),
        "sources": reply.sources,
        "notes": reply.notes + [n for b in reply.blocks for n in b.notes],
        "choices": [c.label for c in reply.choices],
    }


def cmd_ask(args: argparse.Namespace) -> int:
    engine = _load_engine()
    if args.batch:
        stream = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8", errors="replace")  # noqa: SIM115
        questions = [line.rstrip("\n") for line in stream]
        if stream is not sys.stdin:
            stream.close()
        for question in questions:
            if not question.strip():
                continue
            reply = engine.answer(question)
            print(json.dumps(answer_json(reply, question), ensure_ascii=False), flush=True)
        return 0
    question = " ".join(args.question)
    if not question.strip():
        print("Please give a question, for example: careerbot ask \"what do I need for SW3B?\"", file=sys.stderr)
        return 2
    reply = engine.answer(question)
    if args.json:
        print(json.dumps(answer_json(reply, question), ensure_ascii=False))
    else:
        print(reply.plain_text(), end="")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    folder = Path(args.path) if args.path else _framework_dir()
    problems = validate_folder(folder)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found in {folder}", file=sys.stderr)
        return 1
    knowledge = load_knowledge(folder)
    print(f"OK: {len(knowledge.documents)} documents, {len(knowledge.roles)} roles, "
          f"{len(knowledge.criteria)} items, {len(knowledge.time_rules)} time rules, "
          f"{len(knowledge.glossary)} glossary entries in {folder}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="careerbot", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ask", help="answer one question from the framework")
    p.add_argument("question", nargs="*")
    p.add_argument("--json", action="store_true", help="one JSON object per answer")
    p.add_argument("--batch", metavar="FILE", help="questions one per line ('-' for stdin); implies --json")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("validate", help="check framework files; report every problem with file and line")
    p.add_argument("path", nargs="?")
    p.set_defaults(func=cmd_validate)

    from bot import cli_more

    cli_more.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except FrameworkError as exc:
        print("The framework files have problems:", file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    except KeyError:
        raise  # a bug, not a bad argument: keep its traceback
    except (ValueError, LookupError) as exc:  # a bad argument, an unknown person or record: said, not a traceback
        print(f"careerbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into `head`: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
