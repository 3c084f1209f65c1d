//! The one error a command returns: what went wrong, what to do about it, and the exit code.

use crate::app::AppError;
use crate::app::remind::RoundError;
use crate::config::ConfigError;
use crate::domain::time::TimeError;
use crate::domain::workflow::WorkflowError;
use crate::report::render::RenderError;
use crate::store::StoreError;

/// Exit codes, documented in the README.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Any error: bad input, a refused change, an unusable database or config.
    pub const ERROR: u8 = 1;
    /// `remind`: a response, fix or post-mortem deadline has passed (cron and CI alert on it).
    pub const BREACHED: u8 = 2;
}

#[derive(Debug)]
pub struct CommandError {
    pub message: String,
    pub hint: Option<String>,
    pub code: u8,
}

impl CommandError {
    pub fn new(message: impl Into<String>) -> Self {
        CommandError {
            message: message.into(),
            hint: None,
            code: exit::ERROR,
        }
    }

    /// An outcome that is not an error but must leave with `code`, having said all it had to.
    pub fn exit(code: u8) -> Self {
        CommandError {
            message: String::new(),
            hint: None,
            code,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// One line: the problem, then what to do about it.
    pub fn line(&self) -> String {
        match &self.hint {
            Some(hint) => format!("{}; {hint}", self.message),
            None => self.message.clone(),
        }
    }
}

impl From<WorkflowError> for CommandError {
    fn from(e: WorkflowError) -> Self {
        let hint = e.hint();
        CommandError {
            message: e.to_string(),
            hint,
            code: exit::ERROR,
        }
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        CommandError::new(e.to_string()).with_hint(e.hint())
    }
}

impl From<AppError> for CommandError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Workflow(e) => e.into(),
            AppError::Store(e) => e.into(),
            other => CommandError {
                message: other.to_string(),
                hint: other.hint(),
                code: exit::ERROR,
            },
        }
    }
}

impl From<RoundError> for CommandError {
    fn from(e: RoundError) -> Self {
        match e {
            RoundError::Locked(e) => e.into(),
            RoundError::App(e) => e.into(),
            RoundError::Render(e) => e.into(),
            RoundError::Output(message) => CommandError::new(message),
        }
    }
}

impl From<crate::domain::model::BadSeverity> for CommandError {
    fn from(e: crate::domain::model::BadSeverity) -> Self {
        CommandError::new(e.to_string())
    }
}

impl From<crate::domain::model::BadActionKind> for CommandError {
    fn from(e: crate::domain::model::BadActionKind) -> Self {
        CommandError::new(e.to_string())
    }
}

impl From<crate::domain::roles::BadName> for CommandError {
    fn from(e: crate::domain::roles::BadName) -> Self {
        CommandError::new(e.to_string()).with_hint(e.hint())
    }
}

impl From<crate::domain::model::BadStatus> for CommandError {
    fn from(e: crate::domain::model::BadStatus) -> Self {
        CommandError::new(e.to_string())
    }
}

impl From<TimeError> for CommandError {
    fn from(e: TimeError) -> Self {
        CommandError::new(e.to_string())
    }
}

impl From<crate::team::TeamError> for CommandError {
    fn from(e: crate::team::TeamError) -> Self {
        let err = CommandError::new(e.to_string());
        match e.hint() {
            Some(hint) => err.with_hint(hint),
            None => err,
        }
    }
}

impl From<ConfigError> for CommandError {
    fn from(e: ConfigError) -> Self {
        let hint = e.hint();
        let err = CommandError::new(e.to_string());
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

impl From<RenderError> for CommandError {
    fn from(e: RenderError) -> Self {
        let hint = e.hint();
        CommandError::new(e.to_string()).with_hint(hint)
    }
}
