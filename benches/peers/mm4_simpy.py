"""The M/M/4 benchmark model in SimPy: Poisson arrivals at 3.6/s, four servers,
exponential service of mean 1 s, a fixed number of customers.

Written the way the SimPy documentation writes queues: a source process that
creates one process per customer, and a Resource with capacity 4.

Prints the simulator, the customers served, the wall time of the simulation
(imports excluded) and the mean response time (wait + service).

Usage: python mm4_simpy.py [CUSTOMERS] [SEED]
"""

import random
import sys
import time

import simpy

ARRIVAL_RATE = 3.6  # customers per second
SERVICE_RATE = 1.0  # per server, per second
SERVERS = 4


class Stats:
    """Running sum of response times, so memory does not grow with customers."""

    def __init__(self):
        self.customers = 0
        self.total_response = 0.0


def customer(env, servers, rng, stats):
    arrived = env.now
    with servers.request() as request:
        yield request
        yield env.timeout(rng.expovariate(SERVICE_RATE))
    stats.customers += 1
    stats.total_response += env.now - arrived


def source(env, servers, customers, rng, stats):
    for _ in range(customers):
        yield env.timeout(rng.expovariate(ARRIVAL_RATE))
        env.process(customer(env, servers, rng, stats))


def main():
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    stats = Stats()

    start = time.perf_counter()
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    env.process(source(env, servers, customers, rng, stats))
    env.run()
    wall = time.perf_counter() - start

    print(f"simulator: SimPy {simpy.__version__}")
    print(f"customers: {stats.customers}")
    print(f"sim_s: {wall:.4f}")
    print(f"customers_per_s: {stats.customers / wall:.0f}")
    print(f"mean_response_s: {stats.total_response / stats.customers:.4f}")


if __name__ == "__main__":
    main()
