//! Kubernetes YAML: `kube play` (YAML → pods, containers, volumes,
//! secrets), `kube down` and `kube generate` (containers, pods and volumes
//! → YAML), with k8s-openapi's schema-exact types. Play and down are built
//! on the front door's own operations, so they follow exactly the rules of
//! `pod create`, `create`, `volume create` and `secret create`.

mod build;
mod container;
pub(crate) mod down;
pub(crate) mod generate;
mod generate_annotations;
mod image_volumes;
mod parse;
pub(crate) mod play;
mod pod;
mod pod_options;
mod probes;
mod quantity;
mod sources;
mod volumes;
