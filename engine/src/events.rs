//! The events file (`<root>/events/events.log`): one JSON object per line,
//! appended by the engine and by the monitors (see `rpod_proto::events`),
//! read back by `rpod events`; or, with the journald backend, journal
//! entries with Podman's `PODMAN_*` fields (read back through
//! [`crate::journal`]).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

pub use rpod_proto::events::{Event, EventsConfig};

use crate::config::{EngineConfig, EventsLogger};
use crate::state::ContainerRecord;

/// Where events are appended: containers.conf's `events_logfile_path`,
/// else `events/events.log` under `--tmpdir` or the root.
pub fn events_file(config: &EngineConfig) -> PathBuf {
    if let Some(p) = &config.containers_conf.engine.events_logfile_path {
        return p.clone();
    }
    config
        .tmp_dir
        .as_ref()
        .unwrap_or(&config.root)
        .join("events")
        .join("events.log")
}

/// What a container's monitor needs to write that container's events;
/// `None` when events are off (`--events-backend none`).
pub fn monitor_events_config(config: &EngineConfig, rec: &ContainerRecord) -> Option<EventsConfig> {
    (config.events_logger != EventsLogger::None).then(|| events_config(config, rec))
}

/// What a container's monitor needs to write that container's events.
pub fn events_config(config: &EngineConfig, rec: &ContainerRecord) -> EventsConfig {
    EventsConfig {
        path: events_file(config),
        name: rec.name.clone(),
        image: rec.image_name.clone(),
        labels: rec.options.labels.iter().cloned().collect(),
        journald: config.events_logger == EventsLogger::Journald,
        max_size: config.events_max_size,
    }
}

/// Appends a container event. Best effort: a full disk must not fail a
/// container operation, so errors are only logged.
pub fn container_event(config: &EngineConfig, rec: &ContainerRecord, status: &str) {
    container_event_with(config, rec, status, |_| {});
}

/// Like [`container_event`], letting the caller fill in details.
pub fn container_event_with(
    config: &EngineConfig,
    rec: &ContainerRecord,
    status: &str,
    fill: impl FnOnce(&mut Event),
) {
    let cfg = events_config(config, rec);
    let mut event = Event::container(
        &cfg,
        &rec.id,
        status,
        crate::container::reconcile::now_nanos(),
    );
    fill(&mut event);
    write(config, &event);
}

/// Appends a network event (`create`, `remove`) for `network`.
pub fn network_event(
    config: &EngineConfig,
    network: &crate::network::types::Network,
    status: &str,
) {
    let event = Event::network(
        &network.id,
        &network.name,
        &network.driver,
        status,
        crate::container::reconcile::now_nanos(),
    );
    write(config, &event);
}

/// An event about an object that is neither a container nor a network:
/// a volume (by `name`) or a secret (by `id`), as Podman writes them.
fn object_event(kind: &str, id: &str, name: &str, status: &str) -> Event {
    Event {
        id: id.to_owned(),
        image: String::new(),
        name: name.to_owned(),
        network: String::new(),
        status: status.to_owned(),
        kind: kind.to_owned(),
        time_nano: crate::container::reconcile::now_nanos(),
        exit_code: None,
        health_status: String::new(),
        attributes: Default::default(),
        container_inspect_data: String::new(),
        error: String::new(),
    }
}

/// Appends an image event as Podman writes them: the image's ID (empty
/// for a failed pull) and a name — the reference pulled, the push
/// destination, the archive saved to or loaded from, the tag added or
/// removed.
pub fn image_event(config: &EngineConfig, id: &str, name: &str, status: &str) {
    write(config, &object_event("image", id, name, status));
}

/// Appends a `pull-error` event: the reference and why the pull failed.
pub fn image_pull_error_event(config: &EngineConfig, name: &str, error: &str) {
    let mut event = object_event("image", "", name, "pull-error");
    event.error = error.to_owned();
    write(config, &event);
}

/// Appends a volume event (`create`, `remove`, `prune`).
pub fn volume_event(config: &EngineConfig, name: &str, status: &str) {
    write(config, &object_event("volume", "", name, status));
}

/// Appends a secret event (`create`, `remove`).
pub fn secret_event(config: &EngineConfig, id: &str, status: &str) {
    write(config, &object_event("secret", id, "", status));
}

/// `network connect`/`disconnect` of a container: the container's ID and
/// name with the network's name, as Podman writes them.
pub fn container_network_event(
    config: &EngineConfig,
    rec: &crate::state::ContainerRecord,
    network: &str,
    status: &str,
) {
    let mut event = Event::network(
        &rec.id,
        network,
        "",
        status,
        crate::container::reconcile::now_nanos(),
    );
    event.name = rec.name.clone();
    event.attributes.clear();
    write(config, &event);
}

/// Appends `event`, creating the events directory if needed.
pub fn write(config: &EngineConfig, event: &Event) {
    match config.events_logger {
        EventsLogger::None => return,
        EventsLogger::Journald => {
            let sent = rpod_proto::journal::Journal::connect()
                .and_then(|j| j.send(&rpod_proto::events::journal_fields(event)));
            if let Err(e) = sent {
                tracing::warn!("writing event to the journal: {e}");
            }
            return;
        }
        EventsLogger::File => {}
    }
    let path = events_file(config);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = rpod_proto::events::append(&path, event, config.events_max_size) {
        tracing::warn!("writing event to {}: {e}", path.display());
    }
}

/// Where a read of the events file stopped: the byte offset after the
/// last complete line, in the file with this inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FilePosition {
    pub offset: u64,
    pub inode: Option<u64>,
}

/// Reads events from `from` on; returns them and where the read stopped (a
/// line still being written is left for later). When the file was rotated
/// since (another inode), the new file is read from its start, skipping
/// the events before its rotation `end` marker, which were read already.
pub fn read_from(
    config: &EngineConfig,
    from: FilePosition,
) -> std::io::Result<(Vec<Event>, FilePosition)> {
    use std::io::{Seek, SeekFrom};
    use std::os::unix::fs::MetadataExt;
    let path = events_file(config);
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Vec::new(), FilePosition::default()))
        }
        Err(e) => return Err(e),
    };
    let inode = file.metadata()?.ino();
    let rotated = from.inode.is_some_and(|i| i != inode);
    let offset = if rotated { 0 } else { from.offset };
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::new(file);
    let mut events = Vec::new();
    let mut pos = offset;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        pos += n as u64;
        match rpod_proto::events::parse_file_line(&line) {
            Some(ev) => events.push(ev),
            None => tracing::debug!("skipping unreadable event line"),
        }
    }
    if rotated {
        if let Some(end) = events.iter().position(is_rotation_end) {
            events.drain(..end);
        }
    }
    let next = FilePosition {
        offset: pos,
        inode: Some(inode),
    };
    Ok((events, next))
}

fn is_rotation_end(e: &Event) -> bool {
    e.kind == "system"
        && e.status == rpod_proto::events::ROTATION_STATUS
        && e.attributes
            .get(rpod_proto::events::ROTATE_ATTRIBUTE)
            .is_some_and(|v| v == "end")
}

/// The journal entries that are this user's rpod events.
fn events_match() -> Vec<String> {
    vec![
        format!(
            "SYSLOG_IDENTIFIER={}",
            rpod_proto::events::JOURNAL_IDENTIFIER
        ),
        crate::journal::uid_match(),
    ]
}

/// Reads events from the journal after `cursor` (from `since`, Unix
/// nanoseconds, when there is no cursor); returns them and the cursor of
/// the last entry read.
pub fn read_journal(
    cursor: Option<String>,
    since: Option<i64>,
) -> Result<(Vec<Event>, Option<String>), String> {
    let query = crate::journal::Query {
        any_of: vec![events_match()],
        since_nanos: if cursor.is_none() { since } else { None },
        after_cursor: cursor.clone(),
        last: None,
    };
    let entries = crate::journal::read(&query)?;
    let next = entries.last().map(|e| e.cursor.clone()).or(cursor);
    let events = entries
        .iter()
        .filter_map(|e| rpod_proto::events::from_journal_fields(|k| e.get(k)))
        .collect();
    Ok((events, next))
}

/// The cursor of the newest event in the journal (where a stream that
/// shows only new events starts).
pub fn journal_tail() -> Result<Option<String>, String> {
    let query = crate::journal::Query {
        any_of: vec![events_match()],
        last: Some(1),
        ..Default::default()
    };
    Ok(crate::journal::read(&query)?.pop().map(|e| e.cursor))
}
