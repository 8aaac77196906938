//! `--filter KEY=VALUE` on containers, with Podman's rules
//! (pkg/domain/filters.GenerateContainerFilterFuncs): one filter for `ps`, `stop`,
//! `rm`, `restart`, `pause`, `start` and `container prune`. Values are validated
//! and looked up once; the conditions of different keys must all hold, values of
//! one key are alternatives (`label`: all must match).

use rpod_api::container::Filters;
use rpod_api::Error;

use crate::state::{ContainerRecord, ContainerState};

/// The values `restart-policy=` accepts (Podman's RestartPolicyMap; `none`
/// and `""`: no policy given).
const RESTART_POLICIES: &[&str] = &["", "none", "no", "always", "on-failure", "unless-stopped"];

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

/// What filters look up besides the container itself.
#[derive(Default)]
pub struct FilterContext<'a> {
    /// Every container (for `before=`/`since=`).
    pub all: &'a [ContainerRecord],
    /// Pods as (id, name) (for `pod=`).
    pub pods: &'a [(String, String)],
}

/// One prepared filter key.
enum Filter {
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
    /// Network names: containers attached to any of them.
    Network(Vec<String>),
    RestartPolicy(Vec<String>),
    Command(Vec<regex::Regex>),
}

/// Container filters, prepared.
pub struct ContainerFilters(Vec<Filter>);

/// An `id=` filter value (Podman's FilterID): compared in lower case; only
/// hex digits is an id prefix, anything else a regular expression.
pub(crate) enum IdMatch {
    Prefix(String),
    Regex(regex::Regex),
}

impl IdMatch {
    /// Podman's `FilterID`: a hex value is an id prefix, anything else a
    /// regular expression.
    pub(crate) fn parse(value: &str) -> Result<IdMatch, Error> {
        let lower = value.to_ascii_lowercase();
        if lower.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(IdMatch::Prefix(lower));
        }
        regex::Regex::new(&lower)
            .map(IdMatch::Regex)
            .map_err(|e| Error::invalid(e.to_string()))
    }

    pub(crate) fn matches(&self, id: &str) -> bool {
        match self {
            IdMatch::Prefix(p) => id.starts_with(p.as_str()),
            IdMatch::Regex(r) => r.is_match(id),
        }
    }
}

pub(crate) fn regexes(values: &[String]) -> Result<Vec<regex::Regex>, Error> {
    values
        .iter()
        .map(|v| regex::Regex::new(v).map_err(|e| Error::invalid(e.to_string())))
        .collect()
}

/// A container by full id, name or unique id prefix.
fn lookup<'a>(all: &'a [ContainerRecord], key: &str) -> Result<&'a ContainerRecord, Error> {
    if let Some(c) = all.iter().find(|c| c.id == key || c.name == key) {
        return Ok(c);
    }
    let mut found = all.iter().filter(|c| c.id.starts_with(key));
    match (found.next(), found.next()) {
        (Some(c), None) => Ok(c),
        (Some(_), Some(_)) => Err(Error::invalid(format!(
            "more than one result for container {key:?}: container already exists"
        ))),
        _ => Err(Error::invalid(format!(
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
pub(crate) fn label_matches(spec: &str, labels: &[(String, String)]) -> bool {
    let (key, value) = spec.split_once('=').unwrap_or((spec, ""));
    labels
        .iter()
        .any(|(k, v)| (value.is_empty() || v == value) && (k == key || glob(key, k)))
}

/// Go's strconv.ParseInt message for an exit code.
fn parse_exit_code(v: &str) -> Result<i32, Error> {
    v.parse::<i32>().map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        Error::invalid(format!(
            "exited code out of range {v:?}: strconv.ParseInt: parsing {v:?}: {why}"
        ))
    })
}

pub use rpod_api::input_time::until_nanos;

/// Podman names every unknown restart policy at once.
fn check_restart_policies(values: &[String]) -> Result<(), Error> {
    let bad: Vec<&str> = values
        .iter()
        .map(String::as_str)
        .filter(|v| !RESTART_POLICIES.contains(v))
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    let what = if bad.len() > 1 {
        "invalid restart policies"
    } else {
        "invalid restart policy"
    };
    Err(Error::invalid(format!("{} {what}", bad.join(", "))))
}

impl ContainerFilters {
    /// Validates and prepares `filters` as Podman does.
    pub fn parse(filters: &Filters, ctx: &FilterContext<'_>) -> Result<ContainerFilters, Error> {
        let mut out = Vec::new();
        for (key, values) in filters {
            let values = values.clone();
            out.push(match key.as_str() {
                "id" => Filter::Id(
                    values
                        .iter()
                        .map(|v| IdMatch::parse(v))
                        .collect::<Result<_, _>>()?,
                ),
                "label" => Filter::Label(values),
                "label!" => Filter::NotLabel(values),
                "name" => Filter::Name(regexes(
                    &values
                        .iter()
                        .map(|v| v.replace('/', ""))
                        .collect::<Vec<_>>(),
                )?),
                "exited" => Filter::Exited(
                    values
                        .iter()
                        .map(|v| parse_exit_code(v))
                        .collect::<Result<_, _>>()?,
                ),
                "status" => {
                    if let Some(bad) = values.iter().find(|v| !STATUSES.contains(&v.as_str())) {
                        return Err(Error::invalid(format!(
                            "unknown container state: {bad}: invalid argument"
                        )));
                    }
                    Filter::Status(values)
                }
                "ancestor" => Filter::Ancestor(
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
                        Filter::Before(at)
                    } else {
                        Filter::Since(at)
                    }
                }
                "volume" => Filter::Volume(values),
                "health" => Filter::Health(values),
                "until" => {
                    let mut until = None;
                    for v in &values {
                        until = Some(until_nanos(v).ok_or_else(|| {
                            Error::invalid(format!("invalid until filter value {v:?}"))
                        })?);
                    }
                    Filter::Until(until.unwrap_or(0))
                }
                "pod" => Filter::Pod(
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
                "network" => Filter::Network(values),
                "restart-policy" => {
                    check_restart_policies(&values)?;
                    Filter::RestartPolicy(values)
                }
                "command" => Filter::Command(regexes(&values)?),
                other => return Err(Error::invalid(format!("{other} is an invalid filter"))),
            });
        }
        Ok(ContainerFilters(out))
    }

    /// Whether a status filter was given (Podman then lists all containers).
    pub fn has_status(&self) -> bool {
        self.0.iter().any(|f| matches!(f, Filter::Status(_)))
    }

    /// Whether a health filter was given (the caller then passes health states).
    pub fn has_health(&self) -> bool {
        self.0.iter().any(|f| matches!(f, Filter::Health(_)))
    }

    /// Whether `c` (whose health status is `health`, if it has a health check) passes.
    pub fn matches(&self, c: &ContainerRecord, health: Option<&str>) -> bool {
        let labels = &c.options.labels;
        self.0.iter().all(|f| match f {
            Filter::Id(v) => v.iter().any(|m| m.matches(&c.id)),
            Filter::Label(v) => v.iter().all(|s| label_matches(s, labels)),
            Filter::NotLabel(v) => !v.iter().all(|s| label_matches(s, labels)),
            Filter::Name(v) => v.iter().any(|r| r.is_match(&c.name)),
            Filter::Exited(codes) => {
                c.state == ContainerState::Exited && codes.contains(&c.exit_code.unwrap_or(0))
            }
            Filter::Status(v) => {
                // Podman 5.8 lists configured (and initialized) containers as `created`.
                let state = match c.state {
                    ContainerState::Initialized => "created",
                    s => s.as_str(),
                };
                v.iter()
                    .any(|s| state == if s == "stopped" { "exited" } else { s.as_str() })
            }
            Filter::Ancestor(v) => v.iter().any(|(text, re)| {
                let (name, tag) = c.image_name.split_once(':').unwrap_or(("", ""));
                c.image_id.contains(text.as_str())
                    || re.as_ref().is_some_and(|re| {
                        re.is_match(&c.image_name) || (tag == "latest" && re.is_match(name))
                    })
            }),
            Filter::Before(t) => c.created_at < *t,
            Filter::Since(t) => c.created_at > *t,
            Filter::Volume(v) => v.iter().any(|spec| {
                let (source, dest) = spec.split_once(':').unwrap_or((spec, ""));
                let bind = c.options.mounts.iter().any(|m| {
                    if dest.is_empty() {
                        m.destination == source
                    } else {
                        m.source == source && m.destination == dest
                    }
                });
                let tmpfs =
                    dest.is_empty() && c.options.tmpfs.iter().any(|t| t.destination == source);
                // A named volume by its name (and destination).
                let volume = c
                    .options
                    .volumes
                    .iter()
                    .any(|v| v.name == source && (dest.is_empty() || v.destination == dest));
                bind || tmpfs || volume
            }),
            Filter::Health(v) => health.is_some_and(|h| v.iter().any(|s| s == h)),
            Filter::Until(t) => c.created_at < *t,
            Filter::Pod(ids) => c
                .options
                .pod
                .as_ref()
                .is_some_and(|m| ids.contains(&m.pod_id)),
            Filter::Network(names) => names.iter().any(|n| c.options.net.networks.contains_key(n)),
            Filter::RestartPolicy(v) => {
                let p = c.options.restart.map_or("", |r| r.policy.as_str());
                v.iter().any(|want| {
                    want == p
                        || (matches!(want.as_str(), "no" | "none") && p.is_empty())
                        || (matches!(want.as_str(), "" | "none") && p == "no")
                })
            }
            Filter::Command(v) => c
                .command
                .first()
                .is_some_and(|cmd| v.iter().any(|r| r.is_match(cmd))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Groups `KEY=VALUE` specs by key, as Podman's CLI does before asking.
    fn group_specs(specs: &[String]) -> Result<Filters, Error> {
        let mut map = Filters::new();
        for spec in specs {
            let (k, v) = spec
                .split_once('=')
                .ok_or_else(|| Error::invalid(format!("invalid filter {spec:?}")))?;
            map.entry(k.to_owned()).or_default().push(v.to_owned());
        }
        Ok(map)
    }

    fn specs(s: &[&str]) -> Filters {
        group_specs(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn validation_messages() {
        let ctx = FilterContext::default();
        let err = |s: &[&str]| {
            ContainerFilters::parse(&specs(s), &ctx)
                .err()
                .unwrap()
                .message
        };
        assert_eq!(err(&["bogus=1"]), "bogus is an invalid filter");
        assert_eq!(
            err(&["restart-policy=fakepolicy"]),
            "fakepolicy invalid restart policy"
        );
        assert_eq!(
            err(&["restart-policy=a", "restart-policy=b"]),
            "a, b invalid restart policies"
        );
        assert_eq!(
            err(&["exited=x"]),
            "exited code out of range \"x\": strconv.ParseInt: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            err(&["status=weird"]),
            "unknown container state: weird: invalid argument"
        );
        assert_eq!(
            group_specs(&["nokey".to_string()]).unwrap_err().message,
            "invalid filter \"nokey\""
        );
    }

    #[test]
    fn globs_and_labels() {
        assert!(glob("a*", "abc"));
        assert!(!glob("a?", "abc"));
        let labels = vec![("app".to_string(), "web".to_string())];
        assert!(label_matches("app", &labels));
        assert!(label_matches("a*=web", &labels));
        assert!(!label_matches("app=db", &labels));
    }
}
