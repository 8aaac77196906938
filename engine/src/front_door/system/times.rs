//! The times users give `events --since/--until` and `--filter until=`: the
//! front door's parsing (`rpod_api::input_time`), under the names the system
//! service uses.

pub(crate) use rpod_api::input_time::parse_since as parse_time;
pub(crate) use rpod_api::input_time::until_nanos;
