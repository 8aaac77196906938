//! `port`: the published ports of running containers, as Podman prints
//! them (`80/tcp -> 0.0.0.0:8080`; with a port given, only the host side).

use clap::Args;
use rpod_api::container::{ContainerListOptions, InspectOptions};
use rpod_api::ps::{ListContainer, PortMapping};

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct PortArgs {
    /// Display port information for all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// CONTAINER [PRIVATE_PORT[/PROTO]]
    args: Vec<String>,
}

/// One line per published container port and protocol.
fn lines(m: &PortMapping) -> Vec<(u16, String, String)> {
    let host_ip = if m.host_ip.is_empty() {
        "0.0.0.0"
    } else {
        &m.host_ip
    };
    let mut out = Vec::new();
    for i in 0..m.range.max(1) {
        for proto in m.protocol.split(',') {
            out.push((
                m.container_port + i,
                proto.to_owned(),
                format!("{host_ip}:{}", m.host_port + i),
            ));
        }
    }
    out
}

pub async fn run(g: &Globals, a: PortArgs) -> CliResult {
    let (name, port) = match (a.all || a.latest, a.args.as_slice()) {
        (true, [p]) if a.latest => (None, Some(p.clone())),
        (true, []) => (None, None),
        (true, _) => {
            return Err(CliError::usage(
                "no arguments are needed with --all or --latest",
            ))
        }
        (false, [n]) => (Some(n.clone()), None),
        (false, [n, p]) => (Some(n.clone()), Some(p.clone())),
        (false, _) => {
            return Err(CliError::usage(
                "you must supply a running container name or id",
            ))
        }
    };
    let wanted = match &port {
        None => None,
        Some(p) => {
            let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
            let num: u16 = num
                .parse()
                .map_err(|_| CliError::usage(format!("invalid port {p:?}")))?;
            Some((num, proto.to_owned()))
        }
    };
    let front = open_front_door(g)?;
    let mut containers: Vec<ListContainer> = front
        .container_list(ContainerListOptions {
            latest: a.latest,
            ..Default::default()
        })
        .await?;
    if let Some(n) = &name {
        let (found, errors) = front
            .container_inspect(std::slice::from_ref(n), InspectOptions::default())
            .await?;
        let Some(c) = found.first() else {
            return Err(errors
                .into_iter()
                .next()
                .map(Into::into)
                .unwrap_or_else(|| {
                    CliError::usage(format!("no container with name or ID {n:?} found"))
                }));
        };
        containers.retain(|l| l.id == c.id);
    }
    let mut found = false;
    for c in &containers {
        for m in c.ports.iter().flatten() {
            for (ctr_port, proto, host) in lines(m) {
                match &wanted {
                    None if a.all => println!(
                        "{}\t{ctr_port}/{proto} -> {host}",
                        &c.id[..12.min(c.id.len())]
                    ),
                    None => println!("{ctr_port}/{proto} -> {host}"),
                    Some((p, pr)) if *p == ctr_port && *pr == proto => {
                        println!("{host}");
                        found = true;
                    }
                    Some(_) => {}
                }
            }
        }
    }
    if let (Some(p), false) = (&port, found) {
        return Err(CliError::usage(format!(
            "failed to find published port {p:?}"
        )));
    }
    Ok(0)
}
