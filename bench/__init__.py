"""Benchmark suite: `python -m bench [--only NAME] [--quick]` (or `make bench`).

Each benchmark is a function `(Context) -> list[Row]` registered in `bench.__main__.BENCHMARKS`;
it generates or reuses its inputs under bench/work/ (git-ignored) and times only the code under
test with `time.perf_counter`. Lower is better, except for rows marked `higher_is_better`
(throughputs, % of a ceiling), whose target is a floor: `runs[key]["better"]` says which.

Indexing (bench/index_bench.py): cold_index, rescan, parse. Indexing a Chinese math blog as
real ones are written (bench/real_bench.py, corpus from bench/real_corpus.py): cold_index_real
(8-15 KB posts, CJK-adjacent math, LaTeX environments, code after the first screen, Hugo bundles),
rescan_refused (the same tree plus one broken file per 20 posts). Broadcast engine
(bench/engine_bench.py): pacing (ours vs PTB's AIORateLimiter against the limit-enforcing fake Bot
API), engine (deliveries/s with pacing off), saved_to_sent (a real `run` process). Memory
(bench/memory_bench.py): peak RSS of `run` with 100,000 posts and 10,000 destinations.

bench/results.json is merged, never overwritten: a run replaces only the keys it measured, so
other benchmarks can add their own keys.

    {
      "schema": 1,
      "machine": {"platform", "python", "cpu_count", "cpu_model", "calibration_ms", ...},  # last run
      "results": {"cold_index_10k_s": 34.4, "rescan_10k_ms": 253.1, ...},   # key -> number
      "runs":    {"cold_index_10k_s": {"at", "unit", "target", "baseline", "passed", "samples",
                                       "posts", "cpu_s", "background_cpus", "cpu_model", ...}},
      "quick":   {"results": {...}, "runs": {...}}     # --quick smoke runs, kept apart
    }

`results` stays flat (one number per key, the unit is the key's suffix) so that scripts and CI
can compare figures without knowing the suite; `runs` keeps how each number was taken, with
`background_cpus` saying how busy other processes kept the machine meanwhile. `--quick` uses
1,000 posts (and 50 refused files; targets scaled linearly) and smaller broadcasts (100
destinations for pacing, 1,000 for the engine, a 10,000-post store with 1,000 destinations for
memory; targets unchanged), and writes under "quick" only, so a smoke run never replaces a
full-size figure.
"""
