//! Engine-typed image helpers that commands outside the image area still call
//! (`run`'s pull policy and `--rmi`, `diff`, `system prune`) until they go
//! through the front door themselves; the logic lives in the engine's
//! `front_door::images`. Delete this file once nothing uses it.

use rpod_engine::front_door::images::remove;
use rpod_engine::Engine;

/// `run --rmi`: removes `name`'s image unless a container still uses it.
pub fn remove_unused(engine: &Engine, name: &str) {
    remove::remove_unused(engine, name)
}
