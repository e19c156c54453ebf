"""Prints the comparison table of benches/peers/run.sh.

Each argument describes one run as comma-separated key=value pairs:
name, customers, wall_s, sim_s (wall time of the simulation alone), cpu_s,
rss_kb, mean_s, and events (scalesim only).
The first run is scalesim; the ratios compare the others with it.

Usage: python report.py RUN...
"""

import math
import sys

# The M/M/4 model of the benchmark.
ARRIVAL_RATE = 3.6
SERVICE_RATE = 1.0
SERVERS = 4
# Speed targets of scalesim over each peer, by customers per second.
TARGETS = {"SimPy": 100, "Ciw": 200}


def erlang_c(lam, mu, c):
    """Returns P(wait) and the mean response time of the M/M/c queue."""
    a = lam / mu
    below = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - a / c)
    p_wait = top / (below + top)
    return p_wait, 1 / mu + p_wait / (c * mu - lam)


def parse(arg):
    run = dict(pair.split("=", 1) for pair in arg.split(","))
    for key in ("customers", "rss_kb", "events"):
        if key in run:
            run[key] = int(run[key])
    for key in ("wall_s", "sim_s", "cpu_s", "mean_s"):
        run[key] = float(run[key])
    return run


def main():
    runs = [parse(arg) for arg in sys.argv[1:]]
    p_wait, theory = erlang_c(ARRIVAL_RATE, SERVICE_RATE, SERVERS)
    print(
        f"M/M/4, rho = {ARRIVAL_RATE / SERVICE_RATE / SERVERS:.1f}: Erlang C gives "
        f"P(wait) = {p_wait:.4f}, mean response = {theory:.4f} s"
    )
    print()
    print(
        f"{'simulator':<12} {'customers':>10} {'wall s':>8} {'sim s':>8} {'cpu s':>8} {'customers/s':>12} "
        f"{'events/s':>10} {'peak MB':>8} {'mean resp s':>11} {'vs theory':>9}"
    )
    for r in runs:
        eps = f"{r['events'] / r['wall_s']:.3e}" if "events" in r else "n/a"
        print(
            f"{r['name']:<12} {r['customers']:>10} {r['wall_s']:>8.2f} {r['sim_s']:>8.2f} {r['cpu_s']:>8.2f} "
            f"{r['customers'] / r['wall_s']:>12.3e} {eps:>10} {r['rss_kb'] / 1024:>8.1f} "
            f"{r['mean_s']:>11.4f} {100 * (r['mean_s'] / theory - 1):>+8.1f}%"
        )
    print()
    print("wall s:   scalesim: the whole `scalesim run` process (start, YAML, run, results,")
    print("          charts and report), best of 3;")
    print("          SimPy, Ciw: the simulation alone (interpreter start-up and imports excluded).")
    print("sim s:    wall time of the simulation alone, for every simulator (scalesim: --timing,")
    print("          the runs without loading the file or writing results; best of 3).")
    print("cpu s:    user + system time of the whole process, for every simulator.")
    print("events/s: scalesim only (2.02 events per customer); SimPy and Ciw do not count events")
    print("          the same way, so the speed ratios compare customers per second.")
    if len({r["customers"] for r in runs}) > 1:
        print("Customer counts differ between runs: the ratios use per-customer rates.")
    print()
    base = runs[0]
    for r in runs[1:]:
        by_wall = (base["customers"] / base["wall_s"]) / (r["customers"] / r["wall_s"])
        by_cpu = (base["customers"] / base["cpu_s"]) / (r["customers"] / r["cpu_s"])
        by_sim = (base["customers"] / base["sim_s"]) / (r["customers"] / r["sim_s"])
        peer = r["name"].split()[0]
        target = TARGETS.get(peer)
        goal = f" (target: at least {target}x)" if target else ""
        print(
            f"speed {base['name']}/{peer}: {by_sim:.0f}x simulation alone, "
            f"{by_wall:.0f}x by wall time, {by_cpu:.0f}x by cpu time of the whole process{goal}; "
            f"peak memory {peer}/{base['name']} "
            f"{r['rss_kb'] / base['rss_kb']:.1f}x"
        )


if __name__ == "__main__":
    main()
