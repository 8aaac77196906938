//! Requests and results of the `ContainerRun` service: what `create`/`run`
//! ask for ([`spec`]), pull progress delivered while they pull
//! (`front_door::images::ProgressSink`), and the streams of an attached process
//! ([`session`]: `run`, `start -a`, `attach`, `exec`).

pub mod limits;
pub mod mount_flags;
mod mount_kinds;
pub mod namespaces;
pub mod session;
pub mod spec;
pub mod update;

pub use limits::{
    normalize_capabilities, BlkioDevice, DeviceSpec, ResourceSpec, SecuritySpec, Ulimit,
    KNOWN_CAPABILITIES,
};
pub use namespaces::{CgroupSpec, NamespaceSpec};
pub use session::{
    AttachControl, AttachEnd, AttachInput, AttachOptions, AttachOutput, AttachSession, ExecOptions,
    SessionInfo, StartAttachOptions,
};
pub use spec::{
    BindMount, ContainerSpec, CreateReport, CreateSpec, FsMount, HealthCheck, HealthLogSpec,
    HealthOnFailure, ImageMount, ImageVolumeMode, InitCtrMode, NamedVolume, NetworkSpec, PodTarget,
    PullPolicy, RestartPolicy, RestartPolicyName, RunSpec, SdNotifyMode, StartupHealthCheck,
    TmpfsMount, DEFAULT_HEALTH_MAX_LOG_COUNT, DEFAULT_HEALTH_MAX_LOG_SIZE, PROPAGATIONS,
};
pub use update::{HealthUpdate, UpdateOptions};
