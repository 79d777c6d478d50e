//! Work spread over the machine's cores in plain threads (ingest is CPU-bound and synchronous).

/// Applies `f` to each item on up to `threads` threads (items dealt round-robin) and returns
/// the results in the items' order; the first error wins. A thread that panics is reported as
/// `stopped` (an internal error), not propagated.
pub fn map_in_order<T, R, E>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> Result<R, E> + Sync,
    stopped: impl Fn() -> E,
) -> Result<Vec<R>, E>
where
    T: Send,
    R: Send,
    E: Send,
{
    let n = items.len();
    let threads = threads.clamp(1, n.max(1));
    let mut lanes: Vec<Vec<(usize, T)>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        lanes[i % threads].push((i, item));
    }
    let f = &f;
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = lanes
            .into_iter()
            .map(|lane| {
                s.spawn(move || {
                    lane.into_iter()
                        .map(|(i, item)| f(item).map(|r| (i, r)))
                        .collect::<Result<Vec<_>, E>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(n);
        for h in handles {
            all.extend(h.join().map_err(|_| stopped())??);
        }
        Ok(all)
    })?;
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, r)| r).collect())
}

/// The machine's cores, at most `max`.
pub fn available(max: usize) -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(max))
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_order_and_errors_win() {
        let r: Result<Vec<u32>, String> = super::map_in_order(
            (0..10).collect(),
            3,
            |x: u32| Ok(x * 2),
            || "stopped".into(),
        );
        assert_eq!(r.unwrap(), (0..10).map(|x| x * 2).collect::<Vec<_>>());
        let e: Result<Vec<u32>, String> = super::map_in_order(
            (0..10).collect(),
            3,
            |x: u32| {
                if x == 7 {
                    Err(format!("bad {x}"))
                } else {
                    Ok(x)
                }
            },
            || "stopped".into(),
        );
        assert_eq!(e.unwrap_err(), "bad 7");
    }
}
