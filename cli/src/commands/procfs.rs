//! The host's /proc for `pod top`: the engine's reader (`top` builds its table in
//! the engine). This shim goes when `pod top` moves behind the Pods front door.

pub(super) use rpod_engine::container::procfs::{
    all_processes, clock_ticks, descendants, uptime_secs, Proc,
};
