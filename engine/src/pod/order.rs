//! The order in which a pod's members start: dependencies (`--requires`)
//! first, otherwise creation order. Stopping runs the same order backwards.

use std::collections::{BTreeSet, HashMap};

use crate::state::ContainerRecord;

/// Indices of `members` in start order: a container comes after every
/// member it requires (requirements outside `members` are ignored here),
/// ties broken by the order of `members`. Returns the ids on a cycle.
pub fn start_order(members: &[ContainerRecord]) -> Result<Vec<usize>, Vec<String>> {
    let index: HashMap<&str, usize> = members
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut missing: Vec<usize> = vec![0; members.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); members.len()];
    for (i, c) in members.iter().enumerate() {
        let deps: BTreeSet<usize> = c
            .options
            .requires
            .iter()
            .filter_map(|r| index.get(r.as_str()).copied())
            .filter(|&d| d != i)
            .collect();
        missing[i] = deps.len();
        for d in deps {
            dependents[d].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..members.len()).filter(|&i| missing[i] == 0).collect();
    let mut order = Vec::with_capacity(members.len());
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &d in &dependents[i] {
            missing[d] -= 1;
            if missing[d] == 0 {
                ready.insert(d);
            }
        }
    }
    if order.len() != members.len() {
        return Err((0..members.len())
            .filter(|i| missing[*i] > 0)
            .map(|i| members[i].id.clone())
            .collect());
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::ContainerOptions;

    fn c(id: &str, requires: &[&str]) -> ContainerRecord {
        ContainerRecord::new_created(
            id.into(),
            id.into(),
            ContainerOptions {
                requires: requires.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            },
            vec![],
            String::new(),
            0,
        )
    }

    fn ids(members: &[ContainerRecord]) -> Vec<&str> {
        start_order(members)
            .unwrap()
            .into_iter()
            .map(|i| members[i].id.as_str())
            .collect()
    }

    #[test]
    fn dependencies_first_then_creation_order() {
        let m = [c("a", &["c"]), c("b", &[]), c("c", &["b"]), c("d", &["x"])];
        assert_eq!(ids(&m), ["b", "c", "a", "d"]);
        let m = [c("a", &[]), c("b", &[]), c("c", &[])];
        assert_eq!(ids(&m), ["a", "b", "c"]);
    }

    #[test]
    fn cycles_are_reported() {
        let m = [c("a", &["b"]), c("b", &["a"]), c("z", &[])];
        assert_eq!(start_order(&m).unwrap_err(), ["a", "b"]);
    }
}
