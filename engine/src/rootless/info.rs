//! What `info` says of a rootless rpod: rootless, the namespace's id
//! mappings, the network command, the service socket under the user's run
//! directory.

use rpod_api::info::{HostInfo, IdMap as InfoIdMap, IdMappings, RemoteSocket};

use crate::idmap::IdMap;

/// Fills the rootless parts of `host` (nothing for root).
pub fn fill_host(host: &mut HostInfo) {
    if !super::is_rootless() {
        return;
    }
    host.security.rootless = true;
    host.id_mappings = IdMappings {
        uid_map: Some(entries(&super::uid_map())),
        gid_map: Some(entries(&super::gid_map())),
    };
    host.rootless_network_cmd = match super::network::default_mode() {
        Ok(crate::container::NetworkMode::Slirp4netns(_)) => "slirp4netns".into(),
        _ => "pasta".into(),
    };
    if let Some(uri) = super::user_service_uri() {
        let exists = uri
            .strip_prefix("unix://")
            .is_some_and(|p| std::path::Path::new(p).exists());
        host.remote_socket = Some(RemoteSocket { path: uri, exists });
    }
}

fn entries(map: &[IdMap]) -> Vec<InfoIdMap> {
    map.iter()
        .map(|m| InfoIdMap {
            container_id: i64::from(m.container),
            host_id: i64::from(m.host),
            size: i64::from(m.size),
        })
        .collect()
}
