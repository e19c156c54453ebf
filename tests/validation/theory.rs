//! The closed-form references, from the library.

pub use scalesim::theory::{erlang_b, erlang_c, mg1_wait, mmc_wait, mmck_distribution};
