"""Answer engine benchmark: latency and accuracy against a naive rapidfuzz baseline measured in the same run.

Baseline: rapidfuzz process.extract(question, every criterion string, scorer=WRatio, limit=10), the obvious
"fuzzy search the framework" approach. Reported as ratios, never as absolute pass/fail times.

    python bench/bench_answers.py            # ~20 s
    python bench/bench_answers.py --quick    # ~5 s
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answers.engine import AnswerEngine  # noqa: E402
from bot.cli import answer_json  # noqa: E402
from bot.knowledge.loader import load_knowledge  # noqa: E402
from tests.eval_check import check_item  # noqa: E402

TEMPLATES = [
    "what do I need for {code}?", "{code} knowledge", "what evidence for {code}?", "how long before {code}?",
    "what skills does {code} need", "difference between {prev} and {code}", "what comes after {code}?",
    "{code} experience reqs", "qualifications for {code}", "what safeguarding is expected at {code}",
]
FREE = ["do I need a driving licence?", "what does AMHP stand for?", "what is PCF domain 6?", "KR10 duties",
        "what's the salary for SW3?", "how much annual leave do I get?", "is there an SW5?", "what is stepping up?",
        "PO3 special conditions", "kent kr9 person spec qualifications", "senoir social worker level c",
        "what does the framework say about supervision", "deaf services SCO level B knowledge"]


def questions(knowledge, n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    codes = [(r, lv) for r, info in knowledge.roles.items() for lv in info.levels]
    out = []
    while len(out) < n:
        if rng.random() < 0.3:
            out.append(rng.choice(FREE))
            continue
        role, level = rng.choice(codes)
        prev = knowledge.previous_level(role, level) or level
        out.append(rng.choice(TEMPLATES).format(code=knowledge.code(role, level), prev=knowledge.code(role, prev)))
    return out


def timed(fn, items) -> list[float]:
    times = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - t0)
    return times


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 300 if args.quick else 2000

    t0 = time.perf_counter()
    knowledge = load_knowledge()
    engine = AnswerEngine(knowledge)
    startup = time.perf_counter() - t0
    tracemalloc.start()  # memory measured in a second load, so tracing does not slow the timed one
    AnswerEngine(load_knowledge())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    strings = [c.text for c in knowledge.criteria]

    def baseline(q: str):
        return process.extract(q, strings, scorer=fuzz.WRatio, limit=10)

    qs = questions(knowledge, n)
    for q in qs[:20]:  # warm both
        engine.answer(q)
        baseline(q)
    ours = timed(engine._answer, qs)  # the engine's own work: the answer cache is measured separately
    base = timed(baseline, qs)
    cached = timed(engine.answer, qs)

    # accuracy on the development evaluation set, where it is beside this checkout
    eval_file = ROOT.parent / "shared" / "eval" / "questions-dev.yaml"
    acc_ours = acc_base = None
    if eval_file.exists():
        items = yaml.safe_load(eval_file.read_text(encoding="utf-8"))
        acc_ours = sum(not check_item(it, answer_json(engine.answer(it["question"]), it["question"]))
                       for it in items) / len(items)
        right = 0
        for it in items:
            text = "\n".join(s for s, _, _ in baseline(it["question"]))
            fake = {"text": text, "status": "answered", "role": it["expect"].get("role_code"),
                    "level": it["expect"].get("level")}
            if it["expect"].get("section") == "out_of_scope":
                fake["status"] = "answered"  # a search always "answers"
            right += not check_item(it, fake)
        acc_base = right / len(items)

    print(f"criteria indexed: {len(strings)}; questions: {len(qs)}")
    print(f"start-up (load + validate + index all frameworks): {startup * 1000:.0f} ms, peak {peak / 1e6:.1f} MB")
    print(f"{'':22}{'median ms':>12}{'p99 ms':>10}")
    print(f"{'careerbot engine':22}{statistics.median(ours) * 1000:12.3f}{pct(ours, 99) * 1000:10.3f}")
    print(f"{'baseline WRatio':22}{statistics.median(base) * 1000:12.3f}{pct(base, 99) * 1000:10.3f}")
    print(f"{'careerbot, cached':22}{statistics.median(cached) * 1000:12.3f}{pct(cached, 99) * 1000:10.3f}"
          "  (repeated questions)")
    ratio = statistics.median(base) / statistics.median(ours)
    print(f"median speed-up over baseline (no cache): {ratio:.2f}x (p99 {pct(base, 99) / pct(ours, 99):.2f}x)")
    if acc_ours is not None:
        print(f"dev-set accuracy: careerbot {acc_ours:.0%}, baseline {acc_base:.0%}")
    ok = ratio > 1 and startup < 1.0 and (acc_ours is None or acc_ours > acc_base)
    print("target (faster than baseline, more accurate, start-up under 1 s):", "MET" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
