//! The CLI's error: a message for the user and Podman's exit code.

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Exit with this code, nothing more to print.
    #[error("exit {0}")]
    Exit(i32),
    #[error("{msg}")]
    Coded { msg: String, code: i32 },
    /// A failed front-door request.
    #[error(transparent)]
    Api(#[from] rpod_api::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Exit(c) | CliError::Coded { code: c, .. } => *c,
            CliError::Api(e) => e.exit_code(),
            CliError::Other(_) => 125,
        }
    }

    /// A usage or input error (exit 125).
    pub fn usage(msg: impl Into<String>) -> Self {
        CliError::Coded {
            msg: msg.into(),
            code: 125,
        }
    }
}

pub type CliResult<T = i32> = Result<T, CliError>;
