"""Measure the sentiment analysis on real support requests: latency, and how often ordinary
requests would be handed off as coming from an upset customer.

Usage: python bench/sentiment_bench.py [--data-dir DIR] [--rows 400]

Reads Bitext instructions (English) and ArBanking77 validation texts (Arabic) at run time.
Prints one JSON line per language: p50/p95 milliseconds of `analyse_text`, and the share of
messages the policy would call upset (sentiment at or below -0.6 or churn risk at or above
0.6), overall and for Bitext's complaint intent.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")

import django  # noqa: E402

django.setup()

from copilot.sentiment import analyse_text  # noqa: E402
from escalation.policy import UPSET_CHURN_RISK, UPSET_SENTIMENT  # noqa: E402


def read_rows(path: Path, text_column: str, label_column: str, limit: int) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [(row[text_column], row[label_column]) for row in csv.DictReader(handle)]
    step = max(1, len(rows) // limit)
    return rows[::step][:limit]


def measure(rows: list[tuple[str, str]], language: str) -> dict[str, object]:
    analyse_text("warm-up")
    timings = []
    upset_labels = []
    for text, label in rows:
        started = time.perf_counter()
        analysis = analyse_text(text)
        timings.append((time.perf_counter() - started) * 1000)
        upset = analysis.sentiment <= UPSET_SENTIMENT or analysis.churn_risk >= UPSET_CHURN_RISK
        upset_labels.append((label, upset))
    ordered = sorted(timings)
    complaints = [upset for label, upset in upset_labels if label == "complaint"]
    others = [upset for label, upset in upset_labels if label != "complaint"]
    return {
        "language": language,
        "messages": len(rows),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "upset_share": round(sum(upset for _label, upset in upset_labels) / len(rows), 4),
        "upset_share_non_complaint": round(sum(others) / len(others), 4) if others else None,
        "upset_share_complaint": round(sum(complaints) / len(complaints), 4) if complaints else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--rows", type=int, default=400, help="messages per language, spread over the file")
    args = parser.parse_args()
    english = read_rows(args.data_dir / "bitext_customer_support" / "train.csv", "instruction", "intent", args.rows)
    arabic = read_rows(args.data_dir / "arbanking77" / "Banking77_Arabized_MSA_PAL_val.csv", "text", "label", args.rows)
    for rows, language in ((english, "en"), (arabic, "ar")):
        print(json.dumps(measure(rows, language)), flush=True)


if __name__ == "__main__":
    main()
