//! Machine sizes and prices: the built-in catalogue that makes vertical versus
//! horizontal scaling a real trade-off.
//!
//! Price grows faster than cores (a machine with twice the cores costs a bit more
//! than twice as much), faster cores cost quadratically more, and there is a
//! hardware ceiling: no machine has more than [`MAX_CORES`] cores or cores faster
//! than [`MAX_SPEED`].

/// One size of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MachineSize {
    /// Name, as written in `machine:`.
    pub name: &'static str,
    /// Cores.
    pub cores: u32,
    /// Price per hour at speed 1.0.
    pub price_per_hour: f64,
}

/// The catalogue, from the smallest to the largest size.
pub const CATALOGUE: &[MachineSize] = &[
    MachineSize {
        name: "xsmall",
        cores: 1,
        price_per_hour: 0.048,
    },
    MachineSize {
        name: "small",
        cores: 2,
        price_per_hour: 0.10,
    },
    MachineSize {
        name: "medium",
        cores: 4,
        price_per_hour: 0.21,
    },
    MachineSize {
        name: "large",
        cores: 8,
        price_per_hour: 0.45,
    },
    MachineSize {
        name: "xlarge",
        cores: 16,
        price_per_hour: 0.96,
    },
    MachineSize {
        name: "2xlarge",
        cores: 32,
        price_per_hour: 2.05,
    },
    MachineSize {
        name: "4xlarge",
        cores: 64,
        price_per_hour: 4.40,
    },
];

/// The most cores a machine can have.
pub const MAX_CORES: u32 = 64;
/// The fastest relative core speed a machine can have.
pub const MAX_SPEED: f64 = 2.0;

/// Returns the size called `name`.
pub fn size(name: &str) -> Option<&'static MachineSize> {
    CATALOGUE.iter().find(|m| m.name == name)
}

/// Returns the names of all sizes, for error messages.
pub fn names() -> String {
    CATALOGUE
        .iter()
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Returns the catalogue price per hour of a machine with `cores` cores at `speed`:
/// the smallest size with enough cores, times speed squared.
pub fn price(cores: u32, speed: f64) -> f64 {
    let base = CATALOGUE
        .iter()
        .find(|m| m.cores >= cores)
        .map_or(f64::INFINITY, |m| m.price_per_hour);
    base * speed * speed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_grows_faster_than_cores() {
        for pair in CATALOGUE.windows(2) {
            let per_core = |m: &MachineSize| m.price_per_hour / f64::from(m.cores);
            assert!(
                per_core(&pair[1]) > per_core(&pair[0]),
                "{} vs {}",
                pair[1].name,
                pair[0].name
            );
        }
        assert_eq!(price(3, 1.0), 0.21);
        assert!((price(8, 2.0) - 1.8).abs() < 1e-12);
        assert_eq!(CATALOGUE.last().map(|m| m.cores), Some(MAX_CORES));
    }
}
