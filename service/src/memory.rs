//! Giving memory back while idle: a request's allocations (request and
//! response bodies, reports, SQLite's statement buffers) are freed when it
//! ends, but glibc's allocator keeps the freed pages of each of its arenas
//! (one per thread that allocated, up to eight per CPU) for later
//! allocations. A service mostly waits, so once no request has been in
//! flight for a moment those pages go back to the kernel (`malloc_trim`,
//! which also releases whole free pages inside each arena's heap). The next
//! request pays a few page faults; an idle service holds only what it uses.

use std::sync::Arc;
use std::time::Duration;

use crate::idle::Activity;

/// How long the service must be without requests before it trims: long
/// enough that a client's burst of requests (`docker ps` is two) does not
/// trim between them.
pub const TRIM_AFTER: Duration = Duration::from_millis(500);

/// The trimming task, ended when this is dropped (the service ends).
pub struct Trimmer(tokio::task::JoinHandle<()>);

impl Trimmer {
    pub fn start(activity: Arc<Activity>) -> Trimmer {
        Trimmer(tokio::spawn(trim_when_idle(activity)))
    }
}

impl Drop for Trimmer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Trims after every busy spell once `TRIM_AFTER` has passed without
/// requests; runs until the service ends (the task is dropped).
pub async fn trim_when_idle(activity: Arc<Activity>) {
    loop {
        activity.busy().await;
        activity.idle_for(TRIM_AFTER).await;
        let released = release_free_memory();
        tracing::debug!("API service idle: free heap memory returned to the kernel ({released})");
    }
}

/// Returns the allocator's free pages to the kernel; whether any were.
#[cfg(target_env = "gnu")]
pub fn release_free_memory() -> bool {
    // SAFETY: malloc_trim only walks the allocator's own arenas under their
    // locks; it takes no pointers from us and is safe to call from any
    // thread at any time.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Other C libraries have no `malloc_trim`: nothing to do.
#[cfg(not(target_env = "gnu"))]
pub fn release_free_memory() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resident pages of this process, from /proc/self/statm.
    fn resident_bytes() -> u64 {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
        let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
        pages * 4096
    }

    #[cfg(target_env = "gnu")]
    #[test]
    fn freed_heap_pages_go_back_to_the_kernel() {
        const BLOCK: usize = 4096;
        const BLOCKS: usize = 16 * 1024; // 64 MiB of small (non-mmap) blocks
        let mut blocks: Vec<Vec<u8>> = (0..BLOCKS).map(|i| vec![i as u8; BLOCK]).collect();
        // The last block stays: the freed ones lie below it, where free()
        // does not give them back by itself.
        let keep = blocks.pop().unwrap();
        drop(blocks);
        let before = resident_bytes();
        assert!(
            release_free_memory(),
            "malloc_trim found nothing to release"
        );
        let after = resident_bytes();
        assert!(
            before.saturating_sub(after) > 32 << 20,
            "resident {before} -> {after}: the freed 64 MiB stayed"
        );
        assert_eq!(keep[0], (BLOCKS - 1) as u8);
    }
}
