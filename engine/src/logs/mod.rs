//! Reading container logs: the engine's side of `logs` and `pod logs`.
//!
//! The file format and the rotation naming belong to
//! [`rpod_proto::log_format`] (the monitor writes with it). Here:
//! [`follow`] reads one log across rotations, [`journal_source`] a
//! journald log, [`source`] turns what was read
//! into records and lines (`--tail`, `--since`/`--until`), and [`reader`] is
//! the [`rpod_api::logs::LogLineStream`] the front door returns, reading
//! several containers and following them until they exit.

mod follow;
mod journal_source;
pub(crate) mod reader;
mod source;
mod watch;

pub(crate) use reader::{LogReader, LogTarget, Order};
