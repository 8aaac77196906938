//! The front-door traits for [`crate::RemoteEngine`]: the operations in
//! `ops/` where the API carries them, "not supported in remote mode yet"
//! for the rest.

mod build;
mod container_copy;
mod container_logs;
mod container_run;
mod containers;
mod images;
mod kube;
mod manifests;
mod networks;
mod pods;
mod secrets;
mod system;
mod volumes;
