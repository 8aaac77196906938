//! Paths no handler answers: Docker or libpod endpoints rpod does not
//! implement yet get 501 and say so; anything else is 404.

use axum::http::{Method, StatusCode, Uri};

use crate::error::ApiError;

/// Path patterns (`*` one segment) of endpoints rpod knows but does not
/// serve yet (docs/compatibility.md lists them).
const PLANNED: &[&str] = &["/build/prune"];

fn matches(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let s: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    p.len() == s.len() && p.iter().zip(&s).all(|(a, b)| *a == "*" || a == b)
}

/// The answer for an unrouted request.
pub async fn fallback(method: Method, uri: Uri) -> ApiError {
    let path = uri.path();
    let inner = path.strip_prefix("/libpod").unwrap_or(path);
    if PLANNED.iter().any(|p| matches(p, inner)) || path.starts_with("/libpod/") {
        return ApiError::not_implemented(format!(
            "{method} {path} is not implemented by rpod yet (see docs/compatibility.md)"
        ));
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("{method} {path}: no such endpoint"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_patterns() {
        assert!(matches("/containers/*/attach", "/containers/abc/attach"));
        assert!(!matches("/containers/*/attach", "/containers/abc/json"));
        assert!(!matches("/events", "/events/x"));
        assert!(!matches("/events", "/nothing"));
    }
}
