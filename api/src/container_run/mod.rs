//! Requests and results of the `ContainerRun` service: what `create`/`run`
//! ask for ([`spec`]), pull progress delivered while they pull
//! ([`pull_progress`]), and the streams of an attached process
//! ([`session`]: `run`, `start -a`, `attach`, `exec`).

pub mod pull_progress;
pub mod session;
pub mod spec;

pub use pull_progress::{PullProgress, PullProgressSender};
pub use session::{
    AttachControl, AttachEnd, AttachInput, AttachOptions, AttachOutput, AttachSession, ExecOptions,
    SessionInfo, StartAttachOptions,
};
pub use spec::{
    BindMount, ContainerSpec, CreateReport, CreateSpec, HealthCheck, HealthOnFailure, InitCtrMode,
    NetworkMode, PodTarget, PullPolicy, RestartPolicy, RestartPolicyName, RunSpec, SdNotifyMode,
};
