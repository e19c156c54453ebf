//! The failure schedule: crashes, power losses and slow-downs, at set times or
//! at random (MTBF / MTTR), and the component that carries them out.
//!
//! The schedule sends each affected component a `Msg::Control` order; the
//! component decides what a crash means for it (a server loses the requests it
//! holds, a balancer pair fails over...). A machine comes back after its repair
//! time plus its component's `boot` time, empty.

pub mod injector;
pub mod spec;

pub use injector::Injector;
pub use spec::{parse, FailureSpec};
