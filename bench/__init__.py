"""`namnd bench`: synthetic corpora, indexing throughput, query latency, quality, Q&A and API
load, written to BENCHMARKS.md. Nothing here runs in the unit tests except a tiny smoke run."""
