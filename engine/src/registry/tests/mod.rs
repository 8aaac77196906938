//! Pulls against real registries and a pull killed mid-way.

mod pull;
mod pull_kill;
mod pull_stream;
