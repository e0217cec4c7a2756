"""Benchmark suite: `python -m bench [--only NAME] [--quick]` (or `make bench`).

Each benchmark is a function `(Context) -> list[Row]` registered in `bench.__main__.BENCHMARKS`;
it generates or reuses its inputs under bench/work/ (git-ignored) and times only the code under
test with `time.perf_counter`. Lower is better for every figure.

bench/results.json is merged, never overwritten: a run replaces only the keys it measured.

    {
      "schema": 1,
      "machine": {"platform", "python", "cpu_count", "cpu_usable", "cpu_model", ...},  # last run
      "results": {"cold_index_10k_s": 7.4, "rescan_10k_ms": 38.2, ...},      # key -> number
      "runs":    {"cold_index_10k_s": {"at", "unit", "target", "baseline", "passed",
                                       "samples", "posts", "quick", "cpu_model", ...}}
    }

`results` stays flat (one number per key, the unit is in the key's suffix) so that other
benchmarks and CI comparisons can read it without knowing the suite; `runs` keeps how each
number was taken. `--quick` uses 1,000 posts: size-dependent keys carry the size (`_1k_`) so a
smoke run never replaces the 10k figures, and targets are scaled linearly.
"""
