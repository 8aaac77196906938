//! Cross-repository blob mounts (`POST /v2/<dest>/blobs/uploads/?mount=<digest>&from=<src>`).
//!
//! oci-client asks a token server only for the destination repository's scope, so on a
//! registry with bearer-token auth its mount request lacks `pull` on the source repository
//! and is always refused. Like containers/image, the mount here asks for one token covering
//! `repository:<dest>:pull,push` and `repository:<src>:pull`; on a Basic-auth registry it
//! sends the credentials, on an open one nothing. Tokens and credentials are never logged.

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Client, RequestBuilder, StatusCode, Url};

use super::auth::Credentials;
use super::client::parse_challenge;

/// Mounts blobs into one destination repository from other repositories of its registry.
pub struct Mounter {
    http: Client,
    base: String,
    dest_repo: String,
    sources: Vec<String>,
    /// The `Authorization` header value for mount requests, if any.
    authorization: Option<String>,
}

/// `{"token": ...}` or `{"access_token": ...}` of a token server.
#[derive(serde::Deserialize)]
struct TokenReply {
    token: Option<String>,
    access_token: Option<String>,
}

impl Mounter {
    /// Prepares mounts into `dest_repo` from `sources` on the registry at `base`
    /// (`http[s]://registry`): probes `GET /v2/` for the authentication scheme and, for a
    /// bearer challenge, fetches one token covering all the repositories. `None` if the
    /// registry does not answer: mounts are an optimization, the upload path reports errors.
    pub async fn new(
        http: Client,
        base: String,
        dest_repo: &str,
        sources: Vec<String>,
        creds: Option<&Credentials>,
    ) -> Option<Mounter> {
        let res = http.get(format!("{base}/v2/")).send().await.ok()?;
        let challenge = res
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let lower = challenge.to_ascii_lowercase();
        let authorization = if lower.starts_with("bearer") {
            let params = parse_challenge(&challenge);
            let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let mut scopes = vec![format!("repository:{dest_repo}:pull,push")];
            scopes.extend(sources.iter().map(|s| format!("repository:{s}:pull")));
            token(
                &http,
                &get("realm")?,
                get("service").as_deref(),
                &scopes,
                creds,
            )
            .await
            .map(|t| format!("Bearer {t}"))
        } else if lower.starts_with("basic") {
            creds.map(|c| {
                let raw = format!("{}:{}", c.username, c.password);
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                )
            })
        } else {
            None
        };
        Some(Mounter {
            http,
            base,
            dest_repo: dest_repo.to_string(),
            sources,
            authorization,
        })
    }

    /// Tries to mount `digest` from each source in turn; the source it was mounted from if
    /// the registry answered 201 Created. An upload session opened instead (202) is
    /// cancelled.
    pub async fn mount(&self, digest: &str) -> Option<&str> {
        for src in &self.sources {
            if self.mount_from(src, digest).await {
                return Some(src);
            }
        }
        None
    }

    async fn mount_from(&self, src: &str, digest: &str) -> bool {
        let Ok(mut url) = Url::parse(&format!(
            "{}/v2/{}/blobs/uploads/",
            self.base, self.dest_repo
        )) else {
            return false;
        };
        url.query_pairs_mut()
            .append_pair("mount", digest)
            .append_pair("from", src);
        let res = match self.authorized(self.http.post(url)).send().await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(digest, from = src, "cross-repository mount failed: {e}");
                return false;
            }
        };
        match res.status() {
            StatusCode::CREATED => true,
            StatusCode::ACCEPTED => {
                // The registry opened an ordinary upload instead: cancel it.
                let location = res
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| Url::parse(&self.base).ok()?.join(l).ok());
                if let Some(loc) = location {
                    let _ = self.authorized(self.http.delete(loc)).send().await;
                }
                false
            }
            status => {
                tracing::debug!(digest, from = src, %status, "cross-repository mount refused");
                false
            }
        }
    }

    fn authorized(&self, req: RequestBuilder) -> RequestBuilder {
        match &self.authorization {
            Some(a) => req.header(AUTHORIZATION, a),
            None => req,
        }
    }
}

/// A token for `scopes` from the token server at `realm`, authenticated with `creds`.
async fn token(
    http: &Client,
    realm: &str,
    service: Option<&str>,
    scopes: &[String],
    creds: Option<&Credentials>,
) -> Option<String> {
    let mut url = Url::parse(realm).ok()?;
    {
        let mut q = url.query_pairs_mut();
        if let Some(s) = service {
            q.append_pair("service", s);
        }
        for s in scopes {
            q.append_pair("scope", s);
        }
    }
    let mut req = http.get(url);
    if let Some(c) = creds {
        req = req.basic_auth(&c.username, Some(&c.password));
    }
    let res = req.send().await.ok()?;
    if !res.status().is_success() {
        tracing::debug!(status = %res.status(), "the token server refused a mount token");
        return None;
    }
    let body = res.bytes().await.ok()?;
    let reply: TokenReply = serde_json::from_slice(&body).ok()?;
    reply.token.or(reply.access_token).filter(|t| !t.is_empty())
}
