//! The operations carried over the libpod API, as methods the front-door
//! trait impls (`front_door/`) call.

mod build;
mod build_context;
mod containers;
mod copy;
mod events;
mod export;
mod image_transfer;
mod images;
mod logs;
mod pod_stats;
mod pods;
mod run;
mod spec;
mod stats;
pub mod system;
mod update;

use std::collections::BTreeMap;

use crate::query::encode;

/// Filters as libpod takes them: a JSON object of lists.
pub(crate) fn filters_json(filters: &BTreeMap<String, Vec<String>>) -> String {
    serde_json::to_string(filters).unwrap_or_else(|_| "{}".to_owned())
}

/// `key=value` filters as libpod's JSON.
pub(crate) fn filter_list_json(filters: &[String]) -> String {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in filters {
        let (k, v) = f.split_once('=').unwrap_or((f.as_str(), ""));
        map.entry(k.to_owned()).or_default().push(v.to_owned());
    }
    filters_json(&map)
}

/// An object's path segment.
pub(crate) fn seg(name: &str) -> String {
    encode(name)
}
