//! What the Rust peers of scalesim share: the M/M/4 model's parameters,
//! the command line, Erlang C and the lines they print.
//!
//! Each binary takes `[CUSTOMERS] [SEED]`, simulates that many customers
//! (arrivals stop after the last one, and the queue drains), and prints, in the
//! form `benches/peers/run.sh` reads:
//!
//! ```text
//! simulator: <name> <version>
//! customers: <served>
//! sim_s: <wall time of the simulation alone [s]>
//! customers_per_s: <served per second of simulation>
//! mean_response_s: <mean wait + service [s]>
//! erlang_c_s: <the same from the Erlang C formula [s]>
//! ```
//!
//! They exit with status 1 if the mean is further from Erlang C than
//! [`tolerance`] allows, so that a broken model cannot pass for a fast one.

use std::process::ExitCode;
use std::time::Duration;

/// Arrival rate [1/s], as in `benches/mm4.yaml`.
pub const ARRIVAL_RATE: f64 = 3.6;
/// Mean service time [s], as in `benches/mm4.yaml`.
pub const MEAN_SERVICE_S: f64 = 1.0;
/// Servers, as in `benches/mm4.yaml`.
pub const SERVERS: u32 = 4;
/// Customers when none are given: about what `benches/mm4.yaml` serves.
pub const DEFAULT_CUSTOMERS: u64 = 1_000_000;
/// Largest relative gap to Erlang C accepted on a million customers or more.
pub const TOLERANCE: f64 = 0.05;

/// What a run is asked to do.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Customers to serve.
    pub customers: u64,
    /// Seed of the random numbers.
    pub seed: u64,
}

impl Params {
    /// Reads `[CUSTOMERS] [SEED]` from the command line.
    pub fn from_args() -> Result<Self, String> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let number = |i: usize, default: u64| -> Result<u64, String> {
            args.get(i).map_or(Ok(default), |a| {
                a.replace('_', "")
                    .parse()
                    .map_err(|_| format!("expected a whole number, found {a:?}"))
            })
        };
        if args.len() > 2 {
            return Err("usage: [CUSTOMERS] [SEED]".into());
        }
        let customers = number(0, DEFAULT_CUSTOMERS)?;
        if customers == 0 {
            return Err("CUSTOMERS must be positive".into());
        }
        Ok(Self {
            customers,
            seed: number(1, 1)?,
        })
    }
}

/// What a run produced.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    /// Customers served.
    pub customers: u64,
    /// Sum of their response times (wait + service) [s].
    pub total_response_s: f64,
    /// Wall time of the simulation alone.
    pub sim_time: Duration,
}

/// Returns the mean response time of the M/M/c queue from Erlang C [s].
pub fn erlang_c_response_s(arrival_rate: f64, mean_service_s: f64, servers: u32) -> f64 {
    let a = arrival_rate * mean_service_s;
    let c = f64::from(servers);
    let mut term = 1.0;
    let mut below = 0.0;
    for k in 0..servers {
        if k > 0 {
            term *= a / f64::from(k);
        }
        below += term;
    }
    let top = term * a / c / (1.0 - a / c);
    let p_wait = top / (below + top);
    mean_service_s + p_wait * mean_service_s / (c - a)
}

/// Returns the largest relative gap to Erlang C accepted for a run of
/// `customers`: `TOLERANCE` from a million customers up, and wider for
/// fewer, as the noise of a mean grows with 1/sqrt(customers) (at rho = 0.9 a
/// million customers are off by about 1% from one seed to the next).
pub fn tolerance(customers: u64) -> f64 {
    TOLERANCE * (1e6 / customers.max(1) as f64).max(1.0).sqrt()
}

/// Prints the outcome and checks its mean against Erlang C.
pub fn report(simulator: &str, outcome: &Outcome) -> ExitCode {
    let mean = outcome.total_response_s / outcome.customers.max(1) as f64;
    let theory = erlang_c_response_s(ARRIVAL_RATE, MEAN_SERVICE_S, SERVERS);
    let secs = outcome.sim_time.as_secs_f64();
    println!("simulator: {simulator}");
    println!("customers: {}", outcome.customers);
    println!("sim_s: {secs:.4}");
    println!("customers_per_s: {:.0}", outcome.customers as f64 / secs);
    println!("mean_response_s: {mean:.4}");
    println!("erlang_c_s: {theory:.4}");
    let tolerance = tolerance(outcome.customers);
    if (mean / theory - 1.0).abs() > tolerance {
        eprintln!(
            "mean response {mean:.4} s is more than {:.0}% away from Erlang C ({theory:.4} s)",
            tolerance * 100.0
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Parses the command line, runs `simulate` and reports, or prints the error.
pub fn main_with(simulator: &str, simulate: impl FnOnce(Params) -> Outcome) -> ExitCode {
    match Params::from_args() {
        Ok(params) => report(simulator, &simulate(params)),
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_gives_the_figure_of_the_docs() {
        let r = erlang_c_response_s(ARRIVAL_RATE, MEAN_SERVICE_S, SERVERS);
        assert!((r - 2.9694).abs() < 1e-4, "{r}");
    }
}
