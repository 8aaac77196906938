//! Bounded fan-out of one request over many objects (`start`, `restart`,
//! `pod start` of many): at most [`jobs`] at a time, results in the order
//! of the input.

use std::future::Future;

use futures_util::stream::{self, Stream, StreamExt};

/// How many operations on distinct objects run at once: three per CPU plus
/// one, so that processes waiting on children (the monitor, the runtime)
/// keep the CPUs busy without starting hundreds of runtimes together.
pub fn jobs() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    cpus * 3 + 1
}

/// Runs `op` on every item, at most `limit` at a time; yields the results in
/// the order of `items`, each once it and all before it are done.
pub fn ordered<I, F, Fut>(items: I, limit: usize, op: F) -> impl Stream<Item = Fut::Output>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future,
{
    stream::iter(items.into_iter().map(op)).buffered(limit.max(1))
}

/// [`ordered`], collected.
pub async fn all_ordered<I, F, Fut>(items: I, limit: usize, op: F) -> Vec<Fut::Output>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future,
{
    ordered(items, limit, op).collect().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Results keep the input's order whatever order the operations end
    /// in, and no more than `limit` run at once.
    #[tokio::test]
    async fn order_kept_and_bound_respected() {
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let out = all_ordered(0..20u32, 3, |i| {
            let (running, peak) = (&running, &peak);
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Later items finish first: they yield fewer times.
                for _ in 0..(20 - i) {
                    tokio::task::yield_now().await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
                i * 2
            }
        })
        .await;
        assert_eq!(out, (0..20).map(|i| i * 2).collect::<Vec<_>>());
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= 3, "{peak} ran at once");
        assert!(peak > 1, "nothing ran concurrently");
    }
}
