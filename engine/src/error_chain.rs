//! An error printed with its causes: the front door's formatting (it lives in
//! `rpod_api` so every client prints errors the same way).

pub use rpod_api::error_chain::display_chain;
pub(crate) use rpod_api::error_chain::io_reason;
