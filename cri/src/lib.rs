//! rpod's CRI v1 endpoint (`rpod cri serve`): the kubelet's RuntimeService
//! and ImageService over gRPC on a unix socket, served over the front door
//! (`rpod_api::FrontDoor`). A pod sandbox is an rpod pod (its infra
//! container holds the namespaces); a CRI container is an rpod container in
//! that pod, so both show in `rpod pod ps` and `rpod ps`. What CRI needs
//! that rpod's objects do not carry (metadata, annotations, the log path)
//! rides in one label per object ([`meta`]). `Exec`, `Attach` and
//! `PortForward` answer URLs of a streaming server on TCP ([`stream`]).

mod cni_conf;
mod container;
mod events;
mod exec;
mod image;
mod meta;
mod runtime;
mod sandbox;
mod sandbox_resources;
mod sandbox_security;
mod security;
mod serve;
mod stats;
mod status;
mod stream;
mod streaming;

pub use cni_conf::{
    ensure as ensure_cni_network, load as load_cni_config, CniConfError, CniNetwork,
};
pub use serve::{bind, bind_stream, serve, socket_path, CriOptions, ServeError};

/// The CRI v1 messages, clients and servers (the `k8s-cri` crate), for
/// clients such as the integration tests.
pub use k8s_cri::v1 as proto;
