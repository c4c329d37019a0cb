"""Reminder pass benchmark: 10,000 and 100,000 generated people on SQLite and PostgreSQL.

For each store and size it reports the time of a full reminder pass (work out what is due, claim, "send"
through a notifier that only counts, record), how it grows from 10,000 to 100,000, and peak Python memory,
against a baseline measured in the same run: reading the same rows with a plain SELECT.

    python bench/bench_reminders.py                 # 10k and 100k, SQLite and PostgreSQL (a few minutes)
    python bench/bench_reminders.py --quick         # 2k and 10k
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.knowledge.loader import load_knowledge  # noqa: E402
from bot.reminders import ReminderService  # noqa: E402
from bot.storage import open_store  # noqa: E402
from bot.storage.base import Person  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)  # a Monday morning in working hours (GMT)
LEVELS = ["SW2A", "SW2B", "SW3A", "SW3B", "SW4A", "SW4B", "SW2C", "SCO 4A"]


class CountingNotifier:
    name = "slack"

    def __init__(self) -> None:
        self.sent = 0

    def can_reach(self, person) -> bool:
        return True

    def send(self, person, reply) -> None:
        self.sent += 1


def people(n: int, seed: int = 11) -> list[Person]:
    rng = random.Random(seed)
    out = []
    managers = max(n // 12, 1)
    for i in range(n):
        pid = f"p{i:06d}"
        out.append(Person(
            id=pid, display_name=f"Person {i}", level_code=rng.choice(LEVELS),
            level_since=date(2023, 1, 1) + timedelta(days=rng.randrange(0, 1150)),
            manager_id=f"p{rng.randrange(managers):06d}" if i >= managers else None,
            slack_user_id=f"U{i:08d}",
        ))
    return out


def load(store, rows: list[Person]) -> None:
    for i in range(0, len(rows), 2000):
        store.upsert_people(rows[i:i + 2000])


def baseline_select(kind: str, url: str) -> float:
    t0 = time.perf_counter()
    if kind == "sqlite":
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        rows = con.execute("SELECT * FROM people").fetchall()
        con.close()
    else:
        import psycopg

        with psycopg.connect(url) as con:
            rows = con.execute("SELECT * FROM people").fetchall()
    assert rows
    return time.perf_counter() - t0


def run(kind: str, n: int, knowledge) -> dict:
    schema = None
    if kind == "sqlite":
        tmp = tempfile.mkdtemp()
        url = f"sqlite:///{tmp}/bench.db"
    else:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    store = open_store(url)
    store.migrate()
    try:
        load(store, people(n))
        base = min(baseline_select(kind, url) for _ in range(3))
        notifier = CountingNotifier()
        service = ReminderService(store, knowledge, {"slack": notifier}, clock=lambda: NOW, owner="bench")
        tracemalloc.start()
        t0 = time.perf_counter()
        report = service.run_pass(NOW)
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        t0 = time.perf_counter()
        again = service.run_pass(NOW)  # everything is already sent: the steady-state pass
        steady = time.perf_counter() - t0
        assert again.sent == 0
        return {"store": kind, "people": n, "pass_s": elapsed, "steady_s": steady, "select_s": base,
                "sent": report.sent, "peak_mb": peak / 1e6}
    finally:
        store.close()
        if schema:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as con:
                con.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    sizes = (2_000, 10_000) if args.quick else (10_000, 100_000)
    knowledge = load_knowledge()
    results = []
    for kind in args.stores.split(","):
        for n in sizes:
            try:
                results.append(run(kind, n, knowledge))
            except Exception as exc:  # noqa: BLE001 - report and go on with the other store
                print(f"{kind} {n}: could not run ({exc})")
    print(f"{'store':9}{'people':>9}{'sent':>8}{'pass s':>9}{'steady s':>10}{'SELECT s':>10}"
          f"{'pass/SELECT':>13}{'peak MB':>9}")
    for r in results:
        print(f"{r['store']:9}{r['people']:9d}{r['sent']:8d}{r['pass_s']:9.2f}{r['steady_s']:10.2f}"
              f"{r['select_s']:10.3f}{r['pass_s'] / r['select_s']:13.1f}{r['peak_mb']:9.1f}")
    for kind in {r["store"] for r in results}:
        rows = [r for r in results if r["store"] == kind]
        if len(rows) == 2:
            grow = rows[1]["steady_s"] / rows[0]["steady_s"]
            print(f"{kind}: steady pass grows {grow:.1f}x for {rows[1]['people'] // rows[0]['people']}x the people "
                  f"(linear would be {rows[1]['people'] // rows[0]['people']}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
