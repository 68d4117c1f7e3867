"""The public API's product review list against the HTML store page, same store, same server.

Generates the data with `bench/feedback_generate.py` (store `bench-big`: 1,000,000 published
reviews, 20,000 with `--small`; `--skip-generate` reuses the database), serves the portal with
gunicorn (gthread, 4 threads a process as gunicorn.conf.py, but `--workers` 2 processes where
production runs 2 per core) on loopback, with the local-memory cache of OPINIA_TESTING (one per
process) or with `--redis URL` production's shared Redis cache, and alternates the two URLs in
slices within one run (`--rounds` slices of `--slice` whole seconds each, 16 closed-loop
connections), so both see the same machine. The load comes from wrk when it is installed
(Debian's `wrk`, in C; `--client python` for Python threads, which take more of the same 2
cores). Prints req/s, p50/p95 for each (with wrk: of its worst round, as wrk summarises each
round) and the ratio (target: the API at least 3 times the HTML page's req/s, API p95 under
50 ms). `bench/api_reviews_cpu.py` measures the same two URLs as CPU time in one process.

    .venv/bin/python bench/api_reviews_vs_html.py [--small] [--skip-generate] [--rounds 6] [--slice 5] [--redis URL]

Not a test; never run by the test suite.
"""

import argparse
import shutil
import subprocess
import sys

from api_common import ROOT, Gunicorn, LoadResult, WrkResult, closed_loop, load_average, wrk_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="opinia_bench_reviews")
    parser.add_argument("--small", action="store_true", help="20,000 reviews, 3 rounds of 4 s")
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--slice", type=int, help="seconds per URL and round (whole seconds)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--client",
        choices=["python", "wrk"],
        default="wrk" if shutil.which("wrk") else "python",
        help="the load generator (default: wrk when installed: Debian's package, in C)",
    )
    parser.add_argument("--redis", help="serve with production's shared Redis cache at this URL")
    args = parser.parse_args()
    reviews = 20_000 if args.small else 1_000_000
    rounds = args.rounds or (3 if args.small else 6)
    seconds = args.slice or (4 if args.small else 5)

    if not args.skip_generate:
        subprocess.run(
            [
                sys.executable,
                "bench/feedback_generate.py",
                "--database",
                args.database,
                "--orders",
                "1000",
                "--store-reviews",
                str(reviews),
            ],
            cwd=ROOT,
            check=True,
        )

    urls = {
        "API  GET /api/v1/public/stores/bench-big/products/product-1/reviews": (
            "/api/v1/public/stores/bench-big/products/product-1/reviews"
        ),
        "HTML GET /stores/bench-big/": "/stores/bench-big/",
    }
    totals = {label: Total() for label in urls}
    with Gunicorn(args.database, workers=args.workers, redis=args.redis) as server:
        for path in urls.values():  # warm-up, and every URL must answer 200
            warm = closed_loop(server.port, lambda p=path: ("GET", p, {}, None), connections=4, seconds=1)
            assert set(warm.statuses) == {200}, (path, warm.statuses)
        for _ in range(rounds):
            for label, path in urls.items():
                if args.client == "wrk":
                    totals[label].add_wrk(wrk_run(server.port, path, connections=args.connections, seconds=seconds))
                else:
                    result = closed_loop(
                        server.port, lambda p=path: ("GET", p, {}, None), connections=args.connections, seconds=seconds
                    )
                    totals[label].add(result)

    print(f"store bench-big: {reviews:,} published reviews on product-1 (page of the API: its default limit)")
    print(
        f"gunicorn {args.workers} workers × 4 threads (gthread), {args.connections} closed-loop connections "
        f"({args.client}), {rounds} interleaved rounds of {seconds:.0f} s per URL, cache "
        f"{'Redis (shared)' if args.redis else 'local memory (per process)'}; {load_average()}"
    )
    worst = " (worst round)" if args.client == "wrk" else ""
    for label, total in totals.items():
        print(
            f"  {label:<72} {total.rate:7.1f} req/s   p50 {total.p50:6.1f} ms   p95 {total.p95:6.1f} ms{worst}   "
            f"statuses {dict(sorted(total.statuses.items()))}   errors {total.errors}"
        )
    api, html = totals.values()
    ratio = api.rate / html.rate if html.rate else float("inf")
    print(f"  ratio API / HTML: {ratio:.1f}x (target ≥ 3x); API p95 {api.p95:.1f} ms (target < 50 ms)")


class Total:
    """One URL's rounds added up. With wrk, a round's percentiles come summarised: the figure
    printed is the worst round's (p95 of the rounds' p95s would understate the tail)."""

    def __init__(self) -> None:
        self.requests = 0
        self.seconds = 0.0
        self.errors = 0
        self.statuses: dict[int, int] = {}
        self.latencies_ms: list[float] = []
        self.worst = {0.5: 0.0, 0.95: 0.0}

    def add(self, result: LoadResult) -> None:
        self.requests += len(result.latencies_ms)
        self.seconds += result.seconds
        self.latencies_ms.extend(result.latencies_ms)
        self._count(result.statuses, result.errors)

    def add_wrk(self, result: WrkResult) -> None:
        self.requests += result.requests
        self.seconds += result.seconds
        for fraction in self.worst:
            self.worst[fraction] = max(self.worst[fraction], result.percentile(fraction))
        self._count(result.statuses, result.errors)

    def _count(self, statuses: dict[int, int], errors: int) -> None:
        self.errors += errors
        for status, count in statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def _percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return self.worst[fraction]
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def p50(self) -> float:
        return self._percentile(0.5)

    @property
    def p95(self) -> float:
        return self._percentile(0.95)


if __name__ == "__main__":
    main()
