//! The state database: SQLite (bundled) in WAL mode at `<root>/db.sqlite`.
//! Every transition is one transaction; transient states are recorded so an
//! interrupted operation is detected on the next touch.

/// The columns of a container row that `RawRow::from_row` reads, in its order.
macro_rules! container_columns {
    () => {
        "id, name, image_id, image_name, options, command, state, created_at, started_at, \
         finished_at, exit_code, exit_signal, oom_killed, pid, monitor_pid, runtime, error, \
         generation"
    };
}

mod db;
pub(crate) mod integrity;
mod networks;
mod pods;
mod records;
mod schema;
mod secrets;
pub(crate) mod snapshot;
mod volumes;

pub use db::{Db, StateError};
pub use networks::NetworkAttachment;
pub use records::{ContainerRecord, ContainerState, ExitInfo};
pub use secrets::SecretRecord;
