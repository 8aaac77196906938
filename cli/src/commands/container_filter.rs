//! `--filter KEY=VALUE` on containers (the subset `start` and
//! `container prune` need): `restart-policy`, `name`, `id`, `status`,
//! `label`, `until`, `exited`. Filters with different keys must all match; values of
//! the same key are alternatives.

use std::collections::BTreeMap;

use rpod_engine::state::{ContainerRecord, ContainerState};

use crate::cli_error::{CliError, CliResult};

pub struct Filters(BTreeMap<String, Vec<String>>);

/// The `--filter` keys of `start` and `restart`.
pub const START_FILTER_KEYS: &[&str] = &[
    "restart-policy",
    "name",
    "id",
    "status",
    "label",
    "until",
    "exited",
];

/// The values `restart-policy=` accepts (Podman's RestartPolicyMap; `none`
/// and `""`: no policy given).
const RESTART_POLICIES: &[&str] = &["", "none", "no", "always", "on-failure", "unless-stopped"];

impl Filters {
    pub fn parse(specs: &[String], allowed: &[&str]) -> CliResult<Filters> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for spec in specs {
            let (k, v) = spec
                .split_once('=')
                .ok_or_else(|| CliError::usage(format!("invalid filter {spec:?}")))?;
            if !allowed.contains(&k) {
                return Err(CliError::usage(format!("{k} is an invalid filter")));
            }
            if k == "exited" && v.parse::<i32>().is_err() {
                return Err(CliError::usage(format!(
                    "exited code out of range {v:?}: strconv.ParseInt: parsing {v:?}: invalid syntax"
                )));
            }
            map.entry(k.to_owned()).or_default().push(v.to_owned());
        }
        // Podman names every unknown restart policy at once.
        if let Some(policies) = map.get("restart-policy") {
            let invalid: Vec<&str> = policies
                .iter()
                .map(String::as_str)
                .filter(|p| !RESTART_POLICIES.contains(p))
                .collect();
            if !invalid.is_empty() {
                let what = if invalid.len() > 1 {
                    "invalid restart policies"
                } else {
                    "invalid restart policy"
                };
                return Err(CliError::usage(format!("{} {what}", invalid.join(", "))));
            }
        }
        Ok(Filters(map))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, c: &ContainerRecord) -> bool {
        self.0.iter().all(|(k, values)| {
            values.iter().any(|v| match k.as_str() {
                "restart-policy" => {
                    let p = c.options.restart.map_or("no", |r| r.policy.as_str());
                    p == v || (matches!(v.as_str(), "no" | "none") && matches!(p, "" | "no"))
                }
                "exited" => {
                    c.state == rpod_engine::state::ContainerState::Exited
                        && c.exit_code.is_some_and(|code| v.parse() == Ok(code))
                }
                "name" => c.name.contains(v.as_str()),
                "id" => c.id.starts_with(v.as_str()),
                "status" => c.state.as_str() == v,
                "label" => match v.split_once('=') {
                    Some((lk, lv)) => c.options.labels.iter().any(|(a, b)| a == lk && b == lv),
                    None => c.options.labels.iter().any(|(a, _)| a == v),
                },
                "until" => until_nanos(v).is_some_and(|t| c.created_at < t),
                _ => false,
            })
        })
    }
}

/// `until=`: a Unix timestamp or a Go duration before now.
pub fn until_nanos(v: &str) -> Option<i64> {
    let now = chrono::Utc::now().timestamp_nanos_opt()?;
    if let Ok(secs) = v.parse::<i64>() {
        return Some(secs * 1_000_000_000);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return t.timestamp_nanos_opt();
    }
    let d = super::survival_flags::parse_go_duration(v)?;
    Some(now - d.as_nanos() as i64)
}

/// The container states Podman accepts in `status=` filters.
const STATUSES: &[&str] = &[
    "unknown",
    "configured",
    "created",
    "running",
    "stopped",
    "paused",
    "exited",
    "removing",
    "stopping",
];

/// What `ps --filter` needs besides the container itself.
pub struct PsContext<'a> {
    /// Every container (for `before=`/`since=` lookups).
    pub all: &'a [ContainerRecord],
    /// Pods as (id, name).
    pub pods: &'a [(String, String)],
}

/// One prepared `ps --filter` key (Podman's GenerateContainerFilterFuncs): values are
/// validated and looked up once; values of one key are alternatives (label: all must match).
enum PsFilter {
    Id(Vec<IdMatch>),
    Label(Vec<String>),
    NotLabel(Vec<String>),
    Name(Vec<regex::Regex>),
    Exited(Vec<i32>),
    Status(Vec<String>),
    Ancestor(Vec<(String, Option<regex::Regex>)>),
    Before(i64),
    Since(i64),
    Volume(Vec<String>),
    Health(Vec<String>),
    Until(i64),
    Pod(Vec<String>),
    /// rpod has no networks yet: no container is on any network.
    Network,
    RestartPolicy(Vec<String>),
    Command(Vec<regex::Regex>),
}

/// `ps --filter` specs, prepared (the conditions of different keys must all hold).
pub struct PsFilters(Vec<PsFilter>);

/// An `id=` filter value (Podman's FilterID): compared in lower case; only
/// hex digits is an id prefix, anything else a regular expression.
enum IdMatch {
    Prefix(String),
    Regex(regex::Regex),
}

impl IdMatch {
    fn parse(value: &str) -> CliResult<IdMatch> {
        let lower = value.to_ascii_lowercase();
        if lower.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(IdMatch::Prefix(lower));
        }
        regex::Regex::new(&lower)
            .map(IdMatch::Regex)
            .map_err(|e| CliError::usage(e.to_string()))
    }

    fn matches(&self, id: &str) -> bool {
        match self {
            IdMatch::Prefix(p) => id.starts_with(p.as_str()),
            IdMatch::Regex(r) => r.is_match(id),
        }
    }
}

fn regexes(values: &[String]) -> CliResult<Vec<regex::Regex>> {
    values
        .iter()
        .map(|v| regex::Regex::new(v).map_err(|e| CliError::usage(e.to_string())))
        .collect()
}

/// A container by full id, name or unique id prefix.
fn lookup<'a>(all: &'a [ContainerRecord], key: &str) -> CliResult<&'a ContainerRecord> {
    if let Some(c) = all.iter().find(|c| c.id == key || c.name == key) {
        return Ok(c);
    }
    let mut found = all.iter().filter(|c| c.id.starts_with(key));
    match (found.next(), found.next()) {
        (Some(c), None) => Ok(c),
        (Some(_), Some(_)) => Err(CliError::usage(format!(
            "more than one result for container {key:?}: container already exists"
        ))),
        _ => Err(CliError::usage(format!(
            "no container with name or ID {key:?} found: no such container"
        ))),
    }
}

/// Go's `filepath.Match` for label keys (`*`, `?`, no classes).
fn glob(pattern: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len()).any(|i| go(rest, &s[i..])),
            Some(('?', rest)) => !s.is_empty() && go(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    go(&p, &s)
}

/// Whether label filter `spec` (`key`, `key=value`, key may be a glob) matches a label.
fn label_matches(spec: &str, labels: &[(String, String)]) -> bool {
    let (key, value) = spec.split_once('=').unwrap_or((spec, ""));
    labels
        .iter()
        .any(|(k, v)| (value.is_empty() || v == value) && (k == key || glob(key, k)))
}

impl PsFilters {
    /// Parses and validates `--filter KEY=VALUE` specs as Podman's `ps` does.
    pub fn parse(specs: &[String], ctx: &PsContext<'_>) -> CliResult<PsFilters> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for spec in specs {
            let (k, v) = spec
                .split_once('=')
                .ok_or_else(|| CliError::usage(format!("invalid filter {spec:?}")))?;
            map.entry(k.to_owned()).or_default().push(v.to_owned());
        }
        let mut out = Vec::new();
        for (key, values) in map {
            out.push(match key.as_str() {
                "id" => PsFilter::Id(
                    values
                        .iter()
                        .map(|v| IdMatch::parse(v))
                        .collect::<CliResult<_>>()?,
                ),
                "label" => PsFilter::Label(values),
                "label!" => PsFilter::NotLabel(values),
                "name" => PsFilter::Name(regexes(
                    &values
                        .iter()
                        .map(|v| v.replace('/', ""))
                        .collect::<Vec<_>>(),
                )?),
                "exited" => PsFilter::Exited(
                    values
                        .iter()
                        .map(|v| {
                            v.parse::<i32>().map_err(|e| {
                                CliError::usage(format!("exited code out of range {v:?}: {e}"))
                            })
                        })
                        .collect::<CliResult<_>>()?,
                ),
                "status" => {
                    if let Some(bad) = values.iter().find(|v| !STATUSES.contains(&v.as_str())) {
                        return Err(CliError::usage(format!(
                            "unknown container state: {bad}: invalid argument"
                        )));
                    }
                    PsFilter::Status(values)
                }
                "ancestor" => PsFilter::Ancestor(
                    values
                        .iter()
                        .map(|v| (v.clone(), regex::Regex::new(v).ok()))
                        .collect(),
                ),
                "before" | "since" => {
                    let mut at = None::<i64>;
                    for v in &values {
                        let c = lookup(ctx.all, v)?;
                        at = Some(at.map_or(c.created_at, |t| t.min(c.created_at)));
                    }
                    let at = at.unwrap_or(0);
                    if key == "before" {
                        PsFilter::Before(at)
                    } else {
                        PsFilter::Since(at)
                    }
                }
                "volume" => PsFilter::Volume(values),
                "health" => PsFilter::Health(values),
                "until" => {
                    let mut until = None;
                    for v in &values {
                        until = Some(until_nanos(v).ok_or_else(|| {
                            CliError::usage(format!("invalid until filter value {v:?}"))
                        })?);
                    }
                    PsFilter::Until(until.unwrap_or(0))
                }
                "pod" => PsFilter::Pod(
                    values
                        .iter()
                        .filter_map(|v| {
                            ctx.pods
                                .iter()
                                .find(|(id, name)| id == v || name == v)
                                .or_else(|| {
                                    ctx.pods.iter().find(|(id, _)| id.starts_with(v.as_str()))
                                })
                                .map(|(id, _)| id.clone())
                        })
                        .collect(),
                ),
                "network" => PsFilter::Network,
                "restart-policy" => {
                    let bad: Vec<&str> = values
                        .iter()
                        .map(String::as_str)
                        .filter(|v| !RESTART_POLICIES.contains(v))
                        .collect();
                    if !bad.is_empty() {
                        let what = if bad.len() > 1 {
                            "invalid restart policies"
                        } else {
                            "invalid restart policy"
                        };
                        return Err(CliError::usage(format!("{} {what}", bad.join(", "))));
                    }
                    PsFilter::RestartPolicy(values)
                }
                "command" => PsFilter::Command(regexes(&values)?),
                other => return Err(CliError::usage(format!("{other} is an invalid filter"))),
            });
        }
        Ok(PsFilters(out))
    }

    /// Whether a status filter was given (Podman then lists all containers).
    pub fn has_status(&self) -> bool {
        self.0.iter().any(|f| matches!(f, PsFilter::Status(_)))
    }

    /// Whether `c` (whose health status is `health`, if it has a health check) passes.
    pub fn matches(&self, c: &ContainerRecord, health: Option<&str>) -> bool {
        let labels = &c.options.labels;
        self.0.iter().all(|f| match f {
            PsFilter::Id(v) => v.iter().any(|m| m.matches(&c.id)),
            PsFilter::Label(v) => v.iter().all(|s| label_matches(s, labels)),
            PsFilter::NotLabel(v) => !v.iter().all(|s| label_matches(s, labels)),
            PsFilter::Name(v) => v.iter().any(|r| r.is_match(&c.name)),
            PsFilter::Exited(codes) => {
                c.state == ContainerState::Exited && codes.contains(&c.exit_code.unwrap_or(0))
            }
            PsFilter::Status(v) => {
                // Podman 5.8 lists configured (and initialized) containers as `created`.
                let state = match c.state {
                    ContainerState::Initialized => "created",
                    s => s.as_str(),
                };
                v.iter()
                    .any(|s| state == if s == "stopped" { "exited" } else { s.as_str() })
            }
            PsFilter::Ancestor(v) => v.iter().any(|(text, re)| {
                let (name, tag) = c.image_name.split_once(':').unwrap_or(("", ""));
                c.image_id.contains(text.as_str())
                    || re.as_ref().is_some_and(|re| {
                        re.is_match(&c.image_name) || (tag == "latest" && re.is_match(name))
                    })
            }),
            PsFilter::Before(t) => c.created_at < *t,
            PsFilter::Since(t) => c.created_at > *t,
            PsFilter::Volume(v) => v.iter().any(|spec| {
                let (source, dest) = spec.split_once(':').unwrap_or((spec, ""));
                c.options.mounts.iter().any(|m| {
                    if dest.is_empty() {
                        m.destination == source
                    } else {
                        m.source == source && m.destination == dest
                    }
                })
            }),
            PsFilter::Health(v) => health.is_some_and(|h| v.iter().any(|s| s == h)),
            PsFilter::Until(t) => c.created_at < *t,
            PsFilter::Pod(ids) => c
                .options
                .pod
                .as_ref()
                .is_some_and(|m| ids.contains(&m.pod_id)),
            PsFilter::Network => false,
            PsFilter::RestartPolicy(v) => {
                let p = c.options.restart.map_or("", |r| r.policy.as_str());
                v.iter().any(|want| {
                    want == p
                        || (matches!(want.as_str(), "no" | "none") && p.is_empty())
                        || (matches!(want.as_str(), "" | "none") && p == "no")
                })
            }
            PsFilter::Command(v) => c
                .command
                .first()
                .is_some_and(|cmd| v.iter().any(|r| r.is_match(cmd))),
        })
    }
}
