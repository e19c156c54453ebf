"""The M/M/4 benchmark model in Ciw: Poisson arrivals at 3.6/s, four servers,
exponential service of mean 1 s, a fixed number of customers.

Written the way the Ciw documentation writes an M/M/c queue: one node, and
`simulate_until_max_customers`. Ciw keeps a record of every customer, which is
where the mean response time comes from (so its memory grows with customers).

Prints the simulator, the customers served, the wall time of the simulation
(imports excluded) and the mean response time (wait + service).

Usage: python mm4_ciw.py [CUSTOMERS] [SEED]
"""

import sys
import time

import ciw

ARRIVAL_RATE = 3.6  # customers per second
SERVICE_RATE = 1.0  # per server, per second
SERVERS = 4


def main():
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1

    start = time.perf_counter()
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=ARRIVAL_RATE)],
        service_distributions=[ciw.dists.Exponential(rate=SERVICE_RATE)],
        number_of_servers=[SERVERS],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(customers, method="Complete")
    records = simulation.get_all_records()
    responses = [r.waiting_time + r.service_time for r in records]
    wall = time.perf_counter() - start

    print(f"simulator: Ciw {ciw.__version__}")
    print(f"customers: {len(responses)}")
    print(f"sim_s: {wall:.4f}")
    print(f"customers_per_s: {len(responses) / wall:.0f}")
    print(f"mean_response_s: {sum(responses) / len(responses):.4f}")


if __name__ == "__main__":
    main()
