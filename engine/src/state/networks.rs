//! A container's attachments to networks and the addresses rpod's IPAM gave
//! it there. Rows live from `create` to removal ([`Db::delete_container`]
//! deletes them with the container); addresses are unique per network and
//! family (the schema's unique indexes), so a concurrent allocation by
//! another process fails with [`StateError::AddressTaken`] instead of
//! handing out an address twice.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rusqlite::{params, Row};

use super::db::{to_json, Db, StateError};

/// One container on one network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkAttachment {
    pub container_id: String,
    /// The network's name.
    pub network: String,
    /// The interface inside the container (`eth0`, ...).
    pub interface: String,
    pub ipv4: Option<Ipv4Addr>,
    pub ipv6: Option<Ipv6Addr>,
    /// As the backend reported it (or `--mac-address`), lower case.
    pub mac: Option<String>,
    /// `--network-alias` and `alias=`: extra DNS names on this network.
    pub aliases: Vec<String>,
    /// The addresses were asked for (`--ip`, `ip=`), not allocated: kept
    /// when the container stops.
    pub static_ip: bool,
}

impl NetworkAttachment {
    /// The attachment's addresses, IPv4 first.
    pub fn addresses(&self) -> Vec<IpAddr> {
        let v4 = self.ipv4.map(IpAddr::V4);
        let v6 = self.ipv6.map(IpAddr::V6);
        v4.into_iter().chain(v6).collect()
    }
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<(NetworkAttachment, String)> {
    let parse = |col: &str| -> rusqlite::Result<Option<String>> { r.get(col) };
    Ok((
        NetworkAttachment {
            container_id: r.get("container_id")?,
            network: r.get("network")?,
            interface: r.get("interface")?,
            ipv4: parse("ipv4")?.and_then(|s| s.parse().ok()),
            ipv6: parse("ipv6")?.and_then(|s| s.parse().ok()),
            mac: r.get("mac")?,
            aliases: Vec::new(),
            static_ip: r.get("static_ip")?,
        },
        r.get("aliases")?,
    ))
}

fn decode((mut a, aliases): (NetworkAttachment, String)) -> Result<NetworkAttachment, StateError> {
    a.aliases = serde_json::from_str(&aliases).map_err(|e| StateError::Corrupt {
        id: a.container_id.clone(),
        what: format!("aliases on network {}: {e}", a.network),
    })?;
    Ok(a)
}

/// A unique-index violation on the address columns means another container
/// holds the address.
fn address_taken(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, Some(msg))
        if f.code == rusqlite::ErrorCode::ConstraintViolation
            && (msg.contains(".ipv4") || msg.contains(".ipv6")))
}

impl Db {
    /// Records `a` (a new attachment of its container to its network).
    pub fn attach_network(&self, a: &NetworkAttachment) -> Result<(), StateError> {
        let res = self.conn().execute(
            "INSERT INTO network_attachments
                (container_id, network, interface, ipv4, ipv6, mac, aliases, static_ip)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                a.container_id,
                a.network,
                a.interface,
                a.ipv4.map(|ip| ip.to_string()),
                a.ipv6.map(|ip| ip.to_string()),
                a.mac,
                to_json(&a.aliases),
                a.static_ip,
            ],
        );
        match res {
            Ok(_) => Ok(()),
            Err(e) if address_taken(&e) => Err(StateError::AddressTaken {
                network: a.network.clone(),
            }),
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StateError::AlreadyAttached {
                    container: a.container_id.clone(),
                    network: a.network.clone(),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Forgets the container's attachment to `network` (its addresses are
    /// free again). Returns whether there was one.
    pub fn detach_network(&self, container_id: &str, network: &str) -> Result<bool, StateError> {
        let n = self.conn().execute(
            "DELETE FROM network_attachments WHERE container_id = ?1 AND network = ?2",
            params![container_id, network],
        )?;
        Ok(n > 0)
    }

    /// Sets the addresses and MAC of an attachment (IPAM's choice, or what
    /// the backend reported). Fails with [`StateError::AddressTaken`] when
    /// another container holds one of the addresses on that network.
    pub fn set_network_addresses(&self, a: &NetworkAttachment) -> Result<(), StateError> {
        let res = self.conn().execute(
            "UPDATE network_attachments SET ipv4 = ?3, ipv6 = ?4, mac = ?5
             WHERE container_id = ?1 AND network = ?2",
            params![
                a.container_id,
                a.network,
                a.ipv4.map(|ip| ip.to_string()),
                a.ipv6.map(|ip| ip.to_string()),
                a.mac,
            ],
        );
        match res {
            Ok(_) => Ok(()),
            Err(e) if address_taken(&e) => Err(StateError::AddressTaken {
                network: a.network.clone(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The container's attachments, in the order they were made.
    pub fn network_attachments(
        &self,
        container_id: &str,
    ) -> Result<Vec<NetworkAttachment>, StateError> {
        self.attachments_where("container_id", container_id)
    }

    /// Every container's attachment to `network` (whoever uses it, running
    /// or not: `network rm`/`prune` refuse while there is one).
    pub fn network_attachments_on(
        &self,
        network: &str,
    ) -> Result<Vec<NetworkAttachment>, StateError> {
        self.attachments_where("network", network)
    }

    /// The addresses allocated on `network`, each with its container's id.
    pub fn allocated_ips(&self, network: &str) -> Result<Vec<(IpAddr, String)>, StateError> {
        Ok(self
            .network_attachments_on(network)?
            .into_iter()
            .flat_map(|a| {
                let id = a.container_id.clone();
                a.addresses().into_iter().map(move |ip| (ip, id.clone()))
            })
            .collect())
    }

    fn attachments_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Vec<NetworkAttachment>, StateError> {
        let rows = {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT * FROM network_attachments WHERE {column} = ?1 ORDER BY rowid"
            ))?;
            let rows = stmt
                .query_map(params![value], from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows
        };
        rows.into_iter().map(decode).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn att(id: &str, net: &str, ip: Option<&str>) -> NetworkAttachment {
        NetworkAttachment {
            container_id: id.into(),
            network: net.into(),
            interface: "eth0".into(),
            ipv4: ip.map(|i| i.parse().unwrap()),
            aliases: vec!["web".into()],
            ..Default::default()
        }
    }

    #[test]
    fn attach_list_allocate_detach() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        db.attach_network(&att("a", "podman", Some("10.79.0.2")))
            .unwrap();
        db.attach_network(&att("b", "podman", None)).unwrap();
        db.attach_network(&att("b", "other", Some("10.79.0.2")))
            .unwrap();
        assert!(matches!(
            db.attach_network(&att("b", "podman", None)),
            Err(StateError::AlreadyAttached { .. })
        ));
        let on = db.network_attachments_on("podman").unwrap();
        assert_eq!(on.len(), 2);
        assert_eq!(on[0].aliases, vec!["web".to_string()]);
        assert_eq!(db.network_attachments("b").unwrap().len(), 2);
        let mut b = att("b", "podman", Some("10.79.0.2"));
        let taken = db.set_network_addresses(&b).unwrap_err();
        assert!(matches!(taken, StateError::AddressTaken { .. }), "{taken}");
        b.ipv4 = Some("10.79.0.3".parse().unwrap());
        b.mac = Some("aa:bb:cc:dd:ee:ff".into());
        db.set_network_addresses(&b).unwrap();
        let ips = db.allocated_ips("podman").unwrap();
        assert_eq!(
            ips,
            vec![
                ("10.79.0.2".parse().unwrap(), "a".to_string()),
                ("10.79.0.3".parse().unwrap(), "b".to_string())
            ]
        );
        assert!(db.detach_network("a", "podman").unwrap());
        assert!(!db.detach_network("a", "podman").unwrap());
        db.delete_container("b").unwrap();
        assert!(db.network_attachments_on("podman").unwrap().is_empty());
        assert!(db.network_attachments("b").unwrap().is_empty());
    }
}
