//! The closed-form references, from the library.

pub use scalesim::theory::{
    che_lru_hit_ratio, erlang_b, erlang_c, expected_distinct, fifo_hit_ratio, md1k_blocking,
    mg1_wait, mmc_wait, mmck_distribution, mva, token_bucket_admitted,
};
