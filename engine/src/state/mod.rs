//! The state database: SQLite (bundled) in WAL mode at `<root>/db.sqlite`.
//! Every transition is one transaction; transient states are recorded so an
//! interrupted operation is detected on the next touch.

mod db;
pub(crate) mod integrity;
mod networks;
mod pods;
mod records;
mod schema;
pub(crate) mod snapshot;

pub use db::{Db, StateError};
pub use integrity::REPAIR_COMMAND;
pub use networks::NetworkAttachment;
pub use records::{ContainerRecord, ContainerState, ExitInfo};
