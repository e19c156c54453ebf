"""Runs scalesim and its peers on the M/M/4 model in interleaved rounds and
prints the comparison. Called by benches/peers/run.sh, which builds the
binaries and the Python environment first; see docs/performance.md.

Each round runs every engine once, in a fixed order (scalesim, the lean Rust
loop, the floor, the SimCore model, SimPy, Ciw), so that the drift of a shared machine
hits every engine of a round alike. For each run it records:

- whole s: wall time of the process, from its start to its exit (scalesim:
  loading the YAML, the run, results.json, the charts and the report;
  Python: interpreter start-up and imports too). The process is started with
  posix_spawn and reaped with wait4, with no shell or timer process between.
- sim s: the simulation alone (scalesim: its --timing line; the peers: the
  time each measures around its simulation).
- cpu s: user + system time of the process (from wait4).

Peak memory comes from a first, unmeasured round in which every engine runs
once under GNU time ("Maximum resident set size"). It is not taken from the
timed runs: a process started by posix_spawn from this script would report
this script's own peak too, and GNU time's own start adds milliseconds to
runs of 60 ms. That round also warms the caches and gives scalesim's number
of customers, which the peers then run by default.

Ratios are scalesim's speed per customer over the peer's, within each round
(above 1: scalesim is faster), and their median over the rounds. The floor
(the lean loop making scalesim's recording calls, with no dispatch and no
output) is also set against the targets: what any engine that keeps
scalesim's figures could reach at best.

Usage: python rounds.py --scalesim BIN --model YAML --lean BIN --floor BIN
           --simcore BIN --python PY --rounds N --seed N [--customers N]
           [--ciw-customers N] [--engines lean,floor,...]
"""

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# The M/M/4 model of the benchmark (benches/mm4.yaml).
ARRIVAL_RATE = 3.6
SERVICE_RATE = 1.0
SERVERS = 4

# Speed targets: scalesim's whole process (from the YAML) over each peer's
# whole process, per customer; the median of the pair ratios must reach them.
TARGETS = {"lean": 0.5, "simcore": 1.4, "simpy": 100.0}

# The engines, in the order each round runs them: key, label.
ENGINES = [
    ("scalesim", "scalesim"),
    ("lean", "lean loop"),
    ("floor", "floor"),
    ("simcore", "SimCore"),
    ("simpy", "SimPy"),
    ("ciw", "Ciw"),
]
LABEL = dict(ENGINES)
# The engines written in Rust, run as `BINARY CUSTOMERS SEED`.
RUST_PEERS = ("lean", "floor", "simcore")


def erlang_c(lam, mu, c):
    """Returns P(wait) and the mean response time of the M/M/c queue."""
    a = lam / mu
    below = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - a / c)
    p_wait = top / (below + top)
    return p_wait, 1 / mu + p_wait / (c * mu - lam)


def spawn(argv, out_path):
    """Runs argv with stdout and stderr in files; returns wall s and cpu s.

    Fails if the process does not exit with status 0.
    """
    actions = [
        (os.POSIX_SPAWN_OPEN, 1, out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, out_path + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        with open(out_path + ".err") as err:
            sys.exit(f"{' '.join(argv)} failed:\n{err.read()}")
    return wall, usage.ru_utime + usage.ru_stime


def fields(path):
    """Returns the "key: value" lines of a peer's output as a dict."""
    with open(path) as f:
        return dict(line.rstrip("\n").split(": ", 1) for line in f if ": " in line)


class Bench:
    """The engines' command lines and how to read what each printed."""

    def __init__(self, args, work):
        self.args = args
        self.work = work
        # Customers of each peer, set once scalesim has run.
        self.customers = {}

    def argv(self, engine):
        a = self.args
        if engine == "scalesim":
            out = os.path.join(self.work, "scalesim")
            return [a.scalesim, "run", a.model, "--quiet", "--timing", "--out", out]
        if engine in RUST_PEERS:
            binary = getattr(a, engine)
            return [binary, str(self.customers[engine]), str(a.seed)]
        script = os.path.join(HERE, f"mm4_{engine}.py")
        return [a.python, script, str(self.customers[engine]), str(a.seed)]

    def read(self, engine, out):
        """Returns customers, sim s, mean response s and the simulator's name."""
        if engine == "scalesim":
            with open(out + ".err") as err:
                timing = next(line for line in err if line.startswith("timing:"))
            words = timing.split()
            sim_s = float(words[words.index("s") - 1])
            with open(os.path.join(self.work, "scalesim", "results.json")) as f:
                r = json.load(f)[0]
            return r["requests"]["completed"], sim_s, r["latency_ms"]["mean"] / 1e3, None
        f = fields(out)
        return int(f["customers"]), float(f["sim_s"]), float(f["mean_response_s"]), f["simulator"]

    def run(self, engine):
        """Runs an engine once, timed; returns its record."""
        out = os.path.join(self.work, engine + ".out")
        wall, cpu = spawn(self.argv(engine), out)
        customers, sim_s, mean_s, name = self.read(engine, out)
        return {"whole": wall, "cpu": cpu, "sim": sim_s, "customers": customers,
                "mean": mean_s, "name": name}

    def peak_kb(self, engine):
        """Runs an engine once under GNU time; returns its peak RSS [KB] and record."""
        out = os.path.join(self.work, engine + ".out")
        rss_file = os.path.join(self.work, engine + ".rss")
        spawn(["/usr/bin/time", "-f", "%M", "-o", rss_file] + self.argv(engine), out)
        with open(rss_file) as f:
            rss = int(f.read().split()[-1])
        return rss, self.read(engine, out)


def log(message):
    """Prints progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values)


def fmt_ratio(r):
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def select_engines(names):
    """Keeps scalesim and the peers named in `names` (None: all of them)."""
    global ENGINES
    if names is None:
        return
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    unknown = wanted - set(LABEL) - {"scalesim"}
    if unknown:
        sys.exit(f"unknown engines {sorted(unknown)}; known: {', '.join(k for k, _ in ENGINES[1:])}")
    ENGINES = [e for e in ENGINES if e[0] == "scalesim" or e[0] in wanted]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scalesim", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--lean", required=True)
    p.add_argument("--floor", required=True)
    p.add_argument("--simcore", required=True)
    p.add_argument("--python", required=True)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--customers", type=int, help="peers' customers (default: scalesim's)")
    p.add_argument("--ciw-customers", type=int, help="Ciw's customers (default: --customers)")
    p.add_argument("--engines", help="the peers to run, comma-separated (default: all)")
    args = p.parse_args()
    if args.rounds < 1:
        sys.exit("--rounds must be at least 1")
    select_engines(args.engines)

    with tempfile.TemporaryDirectory() as work:
        bench = Bench(args, work)

        # Round 0: peak memory under GNU time, scalesim's customers, warm caches.
        log("round 0 (unmeasured): peak memory under GNU time, warm caches")
        peak, names = {}, {}
        for engine, label in ENGINES:
            rss, (customers, _, _, name) = bench.peak_kb(engine)
            if engine == "scalesim":
                peers = args.customers or customers
                bench.customers = {e: peers for e in RUST_PEERS + ("simpy",)}
                bench.customers["ciw"] = args.ciw_customers or peers
            peak[engine], names[engine] = rss, name or "scalesim"
            log(f"  {label}: {customers} customers, {rss / 1024:.1f} MB")

        runs = {engine: [] for engine, _ in ENGINES}
        for i in range(1, args.rounds + 1):
            line = []
            for engine, label in ENGINES:
                r = bench.run(engine)
                runs[engine].append(r)
                line.append(f"{label} {r['whole']:.3f} s")
            log(f"round {i}: " + ", ".join(line))

    report(args, runs, peak, names)


def report(args, runs, peak, names):
    rounds = args.rounds
    p_wait, theory = erlang_c(ARRIVAL_RATE, SERVICE_RATE, SERVERS)
    print(
        f"M/M/4, rho = {ARRIVAL_RATE / SERVICE_RATE / SERVERS:.1f}: Erlang C gives "
        f"P(wait) = {p_wait:.4f}, mean response = {theory:.4f} s"
    )
    print(f"{rounds} rounds, each running every engine once in this order; medians over the rounds")
    print()
    print(
        f"{'engine':<30} {'customers':>10} {'whole s':>8} {'sim s':>8} {'cpu s':>8} "
        f"{'whole ns/cust':>13} {'sim ns/cust':>11} {'peak MB':>8} {'mean resp s':>11} {'vs Erlang C':>11}"
    )
    for engine, _ in ENGINES:
        rs = runs[engine]
        customers = rs[0]["customers"]
        whole, sim, cpu = (median(r[k] for r in rs) for k in ("whole", "sim", "cpu"))
        mean = rs[0]["mean"]
        print(
            f"{names[engine]:<30} {customers:>10} {whole:>8.3f} {sim:>8.3f} {cpu:>8.3f} "
            f"{whole / customers * 1e9:>13.0f} {sim / customers * 1e9:>11.0f} "
            f"{peak[engine] / 1024:>8.1f} {mean:>11.4f} {100 * (mean / theory - 1):>+10.1f}%"
        )
    print()
    print("whole s: the process from start to exit (scalesim: YAML, run, results, charts and report;")
    print("         Python: interpreter start-up and imports too). sim s: the simulation alone")
    print("         (scalesim: --timing; peers: measured around the simulation in the program).")
    print("cpu s:   user + system time of the process. peak MB: maximum resident set size")
    print("         (GNU time, one run of each before the rounds).")
    if len({rs[0]["customers"] for rs in runs.values()}) > 1:
        print("Customer counts differ between engines: ratios compare time per customer.")
    print()

    # Pair ratios: scalesim's speed per customer over the peer's, round by round.
    def ratio(peer, i, scalesim_key, peer_key, subject="scalesim"):
        s, o = runs[subject][i], runs[peer][i]
        return (o[peer_key] / o["customers"]) / (s[scalesim_key] / s["customers"])

    kinds = [
        ("whole", "whole", "whole process, both"),
        ("sim", "sim", "simulation alone, both"),
        ("whole", "sim", "scalesim whole, peer simulation alone"),
    ]
    print("speed ratios, scalesim over each peer per customer, within each round (above 1: scalesim faster)")
    head = " ".join(f"{'round ' + str(i + 1):>8}" for i in range(rounds))
    print(f"{'peer':<10} {'measure':<38} {head} {'median':>8}")
    medians = {}
    for engine, label in ENGINES[1:]:
        for s_key, p_key, what in kinds:
            rs = [ratio(engine, i, s_key, p_key) for i in range(rounds)]
            medians[engine, s_key, p_key] = median(rs)
            cells = " ".join(f"{fmt_ratio(r):>8}" for r in rs)
            print(f"{label:<10} {what:<38} {cells} {fmt_ratio(median(rs)):>8}")
    print()

    print(f"targets (median of the {rounds} pair ratios, scalesim's whole process from the YAML")
    print("against the peer's whole process, per customer):")
    for engine, target in TARGETS.items():
        if engine not in dict(ENGINES):
            continue
        got = medians[engine, "whole", "whole"]
        verdict = "met" if got >= target else "NOT MET"
        print(
            f"  scalesim >= {fmt_ratio(target)} {LABEL[engine]}: {fmt_ratio(got)}, {verdict} "
            f"(simulation alone: {fmt_ratio(medians[engine, 'sim', 'sim'])}; scalesim whole "
            f"against {LABEL[engine]}'s simulation alone: {fmt_ratio(medians[engine, 'whole', 'sim'])})"
        )
    if "floor" in dict(ENGINES):
        print()
        print("the floor against the same targets (its whole process, which reads no YAML and")
        print("writes nothing, over the peer's whole process; median of the pair ratios):")
        for engine, target in TARGETS.items():
            if engine == "floor" or engine not in dict(ENGINES):
                continue
            rs = [ratio(engine, i, "whole", "whole", subject="floor") for i in range(rounds)]
            cells = " ".join(fmt_ratio(r) for r in rs)
            verdict = "reaches it" if median(rs) >= target else "falls short"
            print(f"  floor over {LABEL[engine]}: {fmt_ratio(median(rs))} against {fmt_ratio(target)}, "
                  f"{verdict} (rounds: {cells})")
    print("  peak memory: " + ", ".join(
        f"{LABEL[e]} {peak[e] / 1024:.1f} MB" for e, _ in ENGINES))


if __name__ == "__main__":
    main()
