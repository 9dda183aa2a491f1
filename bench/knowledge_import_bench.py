"""Import and indexing throughput of the knowledge importers on the embedded default (SQLite
and embedded Chroma, indexing inline as the q2 cluster would run it), beside the raw
throughput of the embedding model.

Each source is imported into an empty database and index: the ABCD agent guidelines (JSON
SOPs) and the Bitext answers (one FAQ article per intent, its customer questions as example
questions). For each it reports the import wall time (parse, write, publish and index), the
rebuild time of the index alone, and articles, passages (chunks) and index entries per second.
An index entry is one embedded text: a passage, a title or an example question.

Usage (from the repository root): .venv/bin/python bench/knowledge_import_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SOURCES = {
    "abcd_sops": SHARED_DATA / "abcd" / "guidelines.json",
    "bitext_answers": SHARED_DATA / "bitext_customer_support" / "train.csv",
}
sys.path.insert(0, str(REPO_ROOT))


def set_up_django(data_dir: str) -> None:
    os.environ["SUPPORTDESK_DATA_DIR"] = data_dir
    os.environ["SUPPORTDESK_TASKS_SYNC"] = "1"
    os.environ.setdefault("SUPPORTDESK_LOG_LEVEL", "WARNING")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def empty_knowledge() -> None:
    from knowledge import index, retrieval
    from knowledge.models import Article, ImportRun

    Article.objects.all().delete()
    ImportRun.objects.all().delete()
    client = index.get_client()
    for audience in index.AUDIENCES:
        client.get_or_create_collection(index.collection_name(audience))
        client.delete_collection(index.collection_name(audience))
    index.forget_client()
    retrieval.forget_snapshot()


def measure_embeddings(texts: list[str]) -> dict[str, Any]:
    from knowledge.embeddings import embed_text, embed_texts, get_encoder

    started = time.perf_counter()
    get_encoder()
    load_ms = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    embed_texts(texts)
    batch_seconds = time.perf_counter() - started

    singles = texts[:200]
    started = time.perf_counter()
    for text in singles:
        embed_text(text)
    single_seconds = time.perf_counter() - started
    return {
        "model_load_ms": round(load_ms),
        "batch_texts": len(texts),
        "batch_texts_per_s": round(len(texts) / batch_seconds, 1),
        "single_texts": len(singles),
        "single_ms_per_text": round(single_seconds * 1000 / len(singles), 2),
    }


def measure_import(name: str, path: Path) -> dict[str, Any]:
    from knowledge import index
    from knowledge.actions import do_run_import
    from knowledge.models import Article, ArticleVersion, Chunk

    empty_knowledge()
    started = time.perf_counter()
    run = do_run_import([path], acting_user=None)
    import_seconds = time.perf_counter() - started

    published = Article.objects.filter(status=Article.Status.PUBLISHED).values("published_version")
    versions = ArticleVersion.objects.filter(pk__in=published)
    chunks = Chunk.objects.filter(version__in=versions).count()
    questions = sum(len(questions) for questions in versions.values_list("example_questions", flat=True))
    entries = chunks + questions + versions.count()

    started = time.perf_counter()
    index.rebuild()
    rebuild_seconds = time.perf_counter() - started
    return {
        "source": name,
        "articles": run.created,
        "rejected": run.rejected,
        "chunks": chunks,
        "index_entries": entries,
        "import_s": round(import_seconds, 2),
        "articles_per_s": round(run.created / import_seconds, 1),
        "chunks_per_s": round(chunks / import_seconds, 1),
        "entries_per_s": round(entries / import_seconds, 1),
        "rebuild_s": round(rebuild_seconds, 2),
        "rebuild_entries_per_s": round(entries / rebuild_seconds, 1),
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose import time is the median, so its figures belong together."""
    ordered = sorted(runs, key=lambda run: run["import_s"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["import_s_all"] = [run["import_s"] for run in runs]
    return chosen


def bitext_questions(limit: int) -> list[str]:
    import csv

    with SOURCES["bitext_answers"].open(encoding="utf-8", newline="") as handle:
        return [row["instruction"] for row in csv.DictReader(handle)][:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="imports per source; the median run is reported")
    parser.add_argument("--texts", type=int, default=2000, help="Bitext questions embedded for the raw throughput")
    args = parser.parse_args()
    missing = [str(path) for path in SOURCES.values() if not path.exists()]
    if missing:
        sys.exit(f"missing data: {', '.join(missing)}")

    with tempfile.TemporaryDirectory(prefix="knowledge-bench-") as data_dir:
        set_up_django(data_dir)
        results: dict[str, Any] = {"embedding": measure_embeddings(bitext_questions(args.texts))}
        for name, path in SOURCES.items():
            results[name] = median_run([measure_import(name, path) for _ in range(args.repeat)])
        results["load_average"] = [round(value, 2) for value in os.getloadavg()]
        results["cpu_count"] = os.cpu_count()
    for key, value in results.items():
        print(json.dumps({key: value}))
    print(
        f"median of {args.repeat} runs; import_s spread: "
        + ", ".join(f"{name} {statistics.pstdev(results[name]['import_s_all']):.2f} s" for name in SOURCES)
    )


if __name__ == "__main__":
    main()
