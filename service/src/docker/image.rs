//! Images in Docker's shapes: the list entry (`image.Summary`), inspect
//! (`image.InspectResponse`), the delete report, and pull progress as
//! Docker's JSON message stream.

use rpod_api::front_door::images::PullProgress;
use rpod_api::image::{ImageData, ImageRemoveReport, ImageSummary};
use serde_json::{json, Value};

use super::image_id;

/// One entry of `GET /images/json`.
pub fn list_entry(i: &ImageSummary) -> Value {
    json!({
        "Id": image_id(&i.id),
        "ParentId": image_id(&i.parent_id),
        "RepoTags": i.repo_tags.clone().unwrap_or_default(),
        "RepoDigests": i.repo_digests.clone().unwrap_or_default(),
        "Created": i.created,
        "Size": i.size,
        "SharedSize": i.shared_size,
        "VirtualSize": i.size,
        "Labels": i.labels.clone().unwrap_or_default(),
        "Containers": i.containers,
    })
}

/// `GET /images/{name}/json`.
pub fn inspect(d: &ImageData) -> Value {
    let v = serde_json::to_value(d).unwrap_or(Value::Null);
    let get = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "Id": image_id(&d.id),
        "RepoTags": d.repo_tags.clone().unwrap_or_default(),
        "RepoDigests": d.repo_digests.clone().unwrap_or_default(),
        "Parent": image_id(&d.parent),
        "Comment": d.comment,
        "Created": d.created.as_ref().map(|c| c.rfc3339()).unwrap_or_default(),
        "DockerVersion": d.version,
        "Author": d.author,
        "Config": get("Config"),
        "Architecture": d.architecture,
        "Os": d.os,
        "Size": d.size,
        "VirtualSize": d.virtual_size,
        "GraphDriver": get("GraphDriver"),
        "RootFS": get("RootFS"),
        "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"},
    })
}

/// `DELETE /images/{name}`: Docker's list of `Untagged` and `Deleted`.
pub fn remove_report(r: &ImageRemoveReport) -> Value {
    let mut out: Vec<Value> = r.untagged.iter().map(|t| json!({"Untagged": t})).collect();
    out.extend(r.deleted.iter().map(|d| json!({"Deleted": image_id(d)})));
    Value::Array(out)
}

/// A short blob id as Docker's progress shows it.
fn short(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.chars().take(12).collect()
}

/// Docker's status words for one direction of a blob transfer.
pub struct TransferWords {
    /// The blob is there already.
    pub skipped: &'static str,
    pub started: &'static str,
    pub advancing: &'static str,
    pub done: &'static str,
}

/// A pull's words (Docker's daemon).
pub const PULL_WORDS: TransferWords = TransferWords {
    skipped: "Already exists",
    started: "Pulling fs layer",
    advancing: "Downloading",
    done: "Pull complete",
};

/// A push's words (Docker's daemon).
pub const PUSH_WORDS: TransferWords = TransferWords {
    skipped: "Layer already exists",
    started: "Preparing",
    advancing: "Pushing",
    done: "Pushed",
};

/// One pull progress event as Docker's JSON message.
pub fn progress_message(event: &PullProgress) -> Value {
    transfer_message(event, &PULL_WORDS)
}

/// One transfer progress event as Docker's JSON message, in `words`.
pub fn transfer_message(event: &PullProgress, words: &TransferWords) -> Value {
    match event {
        PullProgress::Line(l) => json!({"status": l}),
        PullProgress::BlobStarted {
            digest, skipped, ..
        } => {
            let status = if *skipped {
                words.skipped
            } else {
                words.started
            };
            json!({"status": status, "progressDetail": {}, "id": short(digest)})
        }
        PullProgress::BlobAdvanced { digest, bytes } => json!({
            "status": words.advancing,
            "progressDetail": {"current": bytes},
            "id": short(digest),
        }),
        PullProgress::BlobDone { digest } => {
            json!({"status": words.done, "progressDetail": {}, "id": short(digest)})
        }
    }
}

/// A failure in the middle of a stream (the status line was sent already).
pub fn stream_error(message: &str) -> Value {
    json!({"errorDetail": {"message": message}, "error": message})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_and_remove_shapes() {
        let i = ImageSummary {
            id: "abcd".into(),
            repo_tags: Some(vec!["busybox:latest".into()]),
            ..Default::default()
        };
        let v = list_entry(&i);
        assert_eq!(v["Id"], "sha256:abcd");
        assert_eq!(v["ParentId"], "");
        assert_eq!(v["RepoTags"], json!(["busybox:latest"]));
        let r = ImageRemoveReport {
            untagged: vec!["busybox:latest".into()],
            deleted: vec!["abcd".into()],
            errors: vec![],
        };
        assert_eq!(
            remove_report(&r),
            json!([{"Untagged": "busybox:latest"}, {"Deleted": "sha256:abcd"}])
        );
    }

    #[test]
    fn progress_messages() {
        let m = progress_message(&PullProgress::BlobDone {
            digest: "sha256:0123456789abcdef".into(),
        });
        assert_eq!(m["id"], "0123456789ab");
        assert_eq!(m["status"], "Pull complete");
        assert_eq!(stream_error("x")["errorDetail"]["message"], "x");
    }
}
