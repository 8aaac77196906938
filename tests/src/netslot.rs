//! A network slot per test root: a bridge name and a subnet no other test
//! running at the same time uses (tests run in parallel, each in its own
//! process, and bridges, subnets and firewall rules are host-wide). A slot
//! is held by an exclusive `flock` on `$TMPDIR/rpod-test-netslots/N`, which
//! the kernel releases when the holder dies, so a crashed test frees it.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

use nix::fcntl::{Flock, FlockArg};

/// Slots 0..SLOTS: bridge `rptN`, subnet 10.190.N.0/24.
const SLOTS: u16 = 250;

/// One held slot; released on drop.
pub struct NetSlot {
    pub index: u16,
    _lock: Flock<File>,
}

impl NetSlot {
    /// The first free slot. Panics when all are held.
    pub fn take() -> NetSlot {
        let dir = std::env::temp_dir().join("rpod-test-netslots");
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        // Start at a pid-dependent slot so parallel tests rarely contend.
        let start = (std::process::id() % u32::from(SLOTS)) as u16;
        for i in 0..SLOTS {
            let index = (start + i) % SLOTS;
            let path: PathBuf = dir.join(index.to_string());
            let Ok(file) = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
            else {
                continue;
            };
            if let Ok(lock) = Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                return NetSlot { index, _lock: lock };
            }
        }
        panic!("all {SLOTS} test network slots are in use");
    }

    /// The default network's bridge in this slot (at most 15 characters).
    pub fn bridge(&self) -> String {
        format!("rpt{}", self.index)
    }

    /// The default network's subnet in this slot.
    pub fn subnet(&self) -> String {
        format!("10.190.{}.0/24", self.index)
    }
}
