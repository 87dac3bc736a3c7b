//! Problems found while loading rules: the lint output and the loader's report.

use std::fmt;
use std::path::PathBuf;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemLevel {
    /// The rule loaded, but part of it can never match here (a field the model does not carry,
    /// a logsource Vigil has no events for) or it lacks metadata.
    Warning,
    /// The rule (or the whole file) was not loaded.
    Error,
}

impl ProblemLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemLevel::Warning => "warning",
            ProblemLevel::Error => "error",
        }
    }
}

/// One problem, with the file it is in and the rule id when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    pub path: PathBuf,
    pub rule_id: Option<String>,
    pub level: ProblemLevel,
    pub message: String,
}

impl LoadProblem {
    pub(crate) fn error(path: &std::path::Path, rule_id: Option<&str>, message: String) -> Self {
        LoadProblem {
            path: path.to_path_buf(),
            rule_id: rule_id.map(str::to_string),
            level: ProblemLevel::Error,
            message,
        }
    }

    pub(crate) fn warning(path: &std::path::Path, rule_id: Option<&str>, message: String) -> Self {
        LoadProblem {
            level: ProblemLevel::Warning,
            ..LoadProblem::error(path, rule_id, message)
        }
    }
}

impl fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.level.as_str())?;
        if let Some(id) = &self.rule_id {
            write!(f, " [{id}]")?;
        }
        write!(f, ": {}", self.message)
    }
}
