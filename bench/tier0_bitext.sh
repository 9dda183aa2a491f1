#!/usr/bin/env bash
# Measure Tier 0 on Bitext: split the training file per intent (80% training questions, 20%
# evaluation), then run evaluate_tier0 on an empty data folder. Prints the JSON result line.
# With WITH_INTENTS=1 it first trains the intent model on the training questions, so each
# message also pays for intent prediction, as on a desk with a trained model.
# Usage: [WITH_INTENTS=1] bash bench/tier0_bitext.sh [SHARED_DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${1:-../shared/data}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

.venv/bin/python bench/split_bitext.py --source "$shared/bitext_customer_support/train.csv" --out "$work/split"
if [ "${WITH_INTENTS:-0}" = 1 ]; then
  SUPPORTDESK_DATA_DIR="$work/desk" SUPPORTDESK_LOG_LEVEL=WARNING \
    .venv/bin/python manage.py train_intents --csv "$work/split/train.csv" \
    --text-column instruction --label-column intent >&2
fi
SUPPORTDESK_DATA_DIR="$work/desk" SUPPORTDESK_LOG_LEVEL=WARNING \
  .venv/bin/python manage.py evaluate_tier0 --csv "$work/split/eval.csv" --train "$work/split/train.csv"
