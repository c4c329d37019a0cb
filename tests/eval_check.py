"""Checking an answer against an evaluation item (shared by the eval test and the bench)."""

from __future__ import annotations


def check_item(item: dict, result: dict) -> list[str]:
    """Problems with one answer (the --json shape) against one eval item; empty when right."""
    expect = item["expect"]
    text = result["text"].lower()
    problems = []
    for phrase in expect.get("must_mention", []):
        if phrase.lower() not in text:
            problems.append(f"missing {phrase!r}")
    for phrase in expect.get("must_not", []):
        if phrase.lower() in text:
            problems.append(f"must not say {phrase!r}")
    if expect.get("section") == "out_of_scope":
        if result["status"] != "not_in_framework":
            problems.append(f"status {result['status']} (expected not_in_framework)")
    elif result["status"] != "answered":
        problems.append(f"status {result['status']} (expected answered)")
    if expect.get("role_code") and result["role"] != expect["role_code"]:
        problems.append(f"role {result['role']} (expected {expect['role_code']})")
    if expect.get("level") and result["level"] not in (expect["level"], None):
        problems.append(f"level {result['level']} (expected {expect['level']})")
    return problems
