//! The state database: SQLite (bundled) in WAL mode at `<root>/db.sqlite`.
//! Every transition is one transaction; transient states are recorded so an
//! interrupted operation is detected on the next touch.

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
