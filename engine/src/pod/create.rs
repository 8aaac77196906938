//! `pod create`, and creating a container into a pod (`--pod`), with its
//! dependencies (`--requires`) resolved to ids.

use super::records::{PodOptions, PodRecord, PodTransition, SHAREABLE};
use super::{lock_name, PodError};
use crate::container::names::{is_valid_name, new_id, random_name};
use crate::container::PodMembership;
use crate::container::{ContainerError, ContainerHandle, ContainerOptions, InitCtrMode};
use crate::engine::{Engine, EngineCtx};
use crate::state::StateError;

/// What `pod create` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewPod {
    pub name: Option<String>,
    pub options: PodOptions,
}

/// How a new container relates to pods and other containers.
#[derive(Debug, Clone, Default)]
pub struct MemberSpec {
    /// `--pod`: name or id of an existing pod.
    pub pod: Option<String>,
    /// `--requires`: names or ids of existing containers.
    pub requires: Vec<String>,
    /// `--init-ctr`.
    pub init_ctr: Option<InitCtrMode>,
    /// Whether the user chose a `--network` (conflicts with a shared one).
    pub network_given: bool,
}

impl Engine {
    /// Creates a pod and (unless `--infra=false`) its infra container.
    pub async fn create_pod(&self, new: NewPod) -> Result<PodRecord, PodError> {
        let mut options = new.options;
        for s in &options.share {
            if !SHAREABLE.contains(&s.as_str()) {
                return Err(PodError::InvalidArg(format!(
                    "invalid kernel namespace to share: {s}. Options are: cgroup, ipc, net, pid, uts or none"
                )));
            }
        }
        if !options.infra {
            if !options.share.is_empty() {
                return Err(PodError::InvalidArg(
                    "You cannot share kernel namespaces on the pod level without an infra container"
                        .into(),
                ));
            }
            if options.infra_command.is_some()
                || options.infra_name.is_some()
                || options.infra_image.is_some()
            {
                return Err(PodError::InvalidArg(
                    "cannot set infra options (--infra-command, --infra-image, --infra-name) with --infra=false"
                        .into(),
                ));
            }
        }
        if let Some(n) = &new.name {
            if !is_valid_name(n) {
                return Err(ContainerError::InvalidName(n.clone()).into());
            }
        }
        if options.hostname.as_deref() == Some("") {
            options.hostname = None;
        }
        let explicit = new.name.is_some();
        let mut rec = PodRecord {
            id: new_id(),
            name: new.name.unwrap_or_else(random_name),
            options,
            infra_id: None,
            transition: PodTransition::Idle,
            created_at: crate::container::reconcile::now_nanos(),
        };
        let mut attempts = 0;
        loop {
            match self.ctx().db.insert_pod(&rec) {
                Ok(()) => break,
                Err(StateError::PodNameInUse(_)) if !explicit && attempts < 16 => {
                    attempts += 1;
                    rec.name = format!("{}_{}", random_name(), &rec.id[..6]);
                }
                Err(e) => return Err(e.into()),
            }
        }
        if rec.options.infra {
            // A failure leaves the pod without infra; `pod start` retries.
            let infra = ensure_infra(self, &rec).await;
            if let Err(e) = infra {
                let _ = self.ctx().db.delete_pod(&rec.id);
                return Err(e);
            }
            rec.infra_id = Some(infra?);
        }
        Ok(rec)
    }

    /// Every pod, oldest first.
    pub fn pods(&self) -> Result<Vec<PodRecord>, PodError> {
        Ok(self.ctx().db.list_pods()?)
    }

    /// The containers of a pod (infra included), reconciled, oldest first.
    pub fn pod_members(
        &self,
        pod_id: &str,
    ) -> Result<Vec<crate::state::ContainerRecord>, PodError> {
        let mut out = Vec::new();
        for rec in self.ctx().db.pod_members(pod_id)? {
            out.push(crate::container::reconcile::refresh(self.ctx(), rec)?);
        }
        Ok(out)
    }

    /// Creates a container like [`Engine::create_container`], as a member
    /// of a pod and/or with dependencies. The pod's lock is held while the
    /// container is added, so a pod being removed never gains a member.
    pub async fn create_container_with(
        &self,
        mut options: ContainerOptions,
        name: Option<String>,
        member: MemberSpec,
    ) -> Result<ContainerHandle, PodError> {
        let ctx = self.ctx();
        options.requires = resolve_requires(ctx, &member.requires)?;
        let Some(pod_name) = member.pod else {
            if member.init_ctr.is_some() {
                return Err(PodError::InvalidArg(
                    "must specify a pod with --pod when using --init-ctr".into(),
                ));
            }
            return Ok(self.create_container(options, name).await?);
        };
        let found = ctx
            .db
            .find_pod(&pod_name)?
            .ok_or_else(|| PodError::NotFound(pod_name.clone()))?;
        let _guard = crate::lock::lock_exclusive(&ctx.config.lock_dir(), &lock_name(&found.id))?;
        let pod = ctx
            .db
            .pod_by_id(&found.id)?
            .ok_or_else(|| PodError::NotFound(pod_name.clone()))?;
        if pod.transition == PodTransition::Removing {
            return Err(PodError::StateImproper(format!(
                "pod {} is being removed",
                pod.name
            )));
        }
        if pod.options.shares("net") && member.network_given {
            return Err(PodError::InvalidArg(
                "invalid config provided: networks must be defined when the pod is created: network cannot be configured when it is shared with a pod".into(),
            ));
        }
        if pod.options.shares("uts") {
            if options.hostname.as_deref().is_some_and(|h| !h.is_empty()) {
                return Err(PodError::InvalidArg(
                    "invalid config provided: cannot set hostname when joining the pod UTS namespace: invalid configuration"
                        .into(),
                ));
            }
            options.hostname = Some(pod.hostname());
        }
        if options.user.as_deref().is_none_or(str::is_empty) {
            options.user.clone_from(&pod.options.user);
        }
        options.pod = Some(membership(&pod, false, member.init_ctr));
        Ok(self.create_container(options, name).await?)
    }
}

fn resolve_requires(ctx: &EngineCtx, names: &[String]) -> Result<Vec<String>, PodError> {
    let mut ids = Vec::new();
    for n in names
        .iter()
        .flat_map(|n| n.split(','))
        .filter(|n| !n.is_empty())
    {
        let rec = ctx
            .db
            .find_container(n)?
            .ok_or_else(|| ContainerError::NotFound(n.to_owned()))?;
        if !ids.contains(&rec.id) {
            ids.push(rec.id);
        }
    }
    Ok(ids)
}

/// The pod's infra container id, creating the container (and the infra
/// image) if a previous attempt was cut off before it existed.
pub(crate) async fn ensure_infra(engine: &Engine, pod: &PodRecord) -> Result<String, PodError> {
    let ctx = engine.ctx();
    if let Some(id) = &pod.infra_id {
        if ctx.db.container_by_id(id)?.is_some() {
            return Ok(id.clone());
        }
    }
    // Created but not recorded in the pod row (cut off in between).
    if let Some(infra) = ctx
        .db
        .pod_members(&pod.id)?
        .into_iter()
        .find(|c| c.options.pod.as_ref().is_some_and(|m| m.infra))
    {
        ctx.db.set_pod_infra(&pod.id, &infra.id)?;
        return Ok(infra.id);
    }
    let (network, net) = infra_network(&ctx.config.network, pod)?;
    let own = &pod.options.infra_security;
    let mut options = ContainerOptions {
        network,
        net,
        entrypoint: pod.options.infra_command.clone(),
        hostname: pod.options.shares("uts").then(|| pod.hostname()),
        user: own.user.clone().or_else(|| pod.options.user.clone()),
        group_add: own.group_add.clone(),
        read_only: own.read_only,
        security: own.security.clone(),
        labels: vec![("io.rpod.infra".into(), "true".into())],
        restart: pod.options.restart,
        pod: Some(membership(pod, true, None)),
        namespaces: crate::container::ns_modes::NamespaceModes {
            user: pod.options.userns.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    match &pod.options.infra_image {
        // Pulled by the front door when it was missing.
        Some(image) => options.image = image.clone(),
        None => {
            let root = super::infra_rootfs::infra_root(&ctx.config.runroot)?;
            options.rootfs = Some(root.rootfs);
            options.mounts.push(root.catatonit);
            options.entrypoint.get_or_insert(root.entrypoint);
        }
    }
    let name = pod
        .options
        .infra_name
        .clone()
        .unwrap_or_else(|| format!("{}-infra", pod.short_id()));
    let handle = engine.create_container(options, Some(name)).await?;
    ctx.db.set_pod_infra(&pod.id, &handle.id)?;
    Ok(handle.id)
}

/// The network of a pod's infra container, which its members share: the
/// engine's default mode (the default bridge network for root), with the
/// pod's published ports. A pod not sharing its network namespace keeps
/// the infra container on loopback.
fn infra_network(
    config: &crate::network::config::NetworkConfig,
    pod: &PodRecord,
) -> Result<(crate::container::NetworkMode, crate::container::NetOptions), PodError> {
    use crate::container::{NetOptions, NetworkMode};
    use crate::network::config::DefaultMode;
    let mut net = NetOptions::default();
    if !pod.options.shares("net") {
        return Ok((NetworkMode::None, net));
    }
    if let Some(given) = &pod.options.infra_network {
        return Ok(given.clone());
    }
    let mode = match config.default_mode {
        DefaultMode::Bridge if crate::rootless::is_rootless() => {
            crate::rootless::network::default_mode().map_err(PodError::InvalidArg)?
        }
        DefaultMode::Bridge => NetworkMode::Bridge,
        DefaultMode::None => NetworkMode::None,
        DefaultMode::Host => NetworkMode::Host,
    };
    if mode == NetworkMode::Bridge {
        let attach = crate::network::mode::NetworkAttach {
            interface_name: Some("eth0".into()),
            ..Default::default()
        };
        net.networks.insert(config.default.name.clone(), attach);
    }
    if matches!(
        mode,
        NetworkMode::Bridge | NetworkMode::Pasta(_) | NetworkMode::Slirp4netns(_)
    ) {
        for p in &pod.options.ports {
            net.ports.push(
                crate::network::ports::parse_publish(p)
                    .map_err(|e| PodError::InvalidArg(e.to_string()))?,
            );
        }
    }
    Ok((mode, net))
}

/// The place in `pod` of a new container: the pod's cgroup, and the
/// namespaces its infra container holds for the others.
fn membership(pod: &PodRecord, infra: bool, init_ctr: Option<InitCtrMode>) -> PodMembership {
    let shared = if pod.options.infra {
        pod.options.share.clone()
    } else {
        Vec::new()
    };
    PodMembership {
        pod_id: pod.id.clone(),
        infra,
        init_ctr,
        // `--share-parent=false`: the parent a container outside pods has.
        cgroup_parent: if pod.options.no_share_parent && !infra {
            "/rpod".to_owned()
        } else {
            pod.cgroup_parent()
        },
        shared,
    }
}
