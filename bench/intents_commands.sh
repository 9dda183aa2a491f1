#!/usr/bin/env bash
# Run `manage.py evaluate_intents` on every intent dataset, one at a time, on an empty data
# folder and one BLAS thread. Prints one JSON line per dataset.
set -euo pipefail
cd "$(dirname "$0")/.."
splits="$(mktemp -d)"
data_dir="$(mktemp -d)"
trap 'rm -rf "$splits" "$data_dir"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
export SUPPORTDESK_DATA_DIR="$data_dir" SUPPORTDESK_LOG_LEVEL=WARNING
.venv/bin/python bench/intent_csvs.py --out "$splits" >&2
for name in banking77 clinc150 arbanking77 bitext; do
  printf '%s ' "$name"
  .venv/bin/python manage.py evaluate_intents --csv "$splits/$name/eval.csv" --train "$splits/$name/train.csv" \
    --oos-label oos | tail -n 1
done
