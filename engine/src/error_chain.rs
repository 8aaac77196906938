//! An error printed with its causes: the front door's formatting (it lives in
//! `rpod_api` so every client prints errors the same way).

pub use rpod_api::error_chain::display_chain;
/// Go-style lower-case reason of an I/O error ("no such file or directory").
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = s.split(" (os error").next().unwrap_or(&s).to_owned();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => s,
    }
}
