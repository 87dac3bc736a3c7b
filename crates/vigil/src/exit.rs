//! How outcomes become exit codes (PRODUCT.md's contract): 0 success, 1 findings at or above
//! `--fail-on`, 2 usage error or an input that cannot be opened at all.

use std::fmt;

/// The user asked for something that cannot be done as asked.
#[derive(Debug)]
pub struct UsageError(pub String);

/// An input that cannot be opened at all (as opposed to bad records inside a readable input,
/// which are reported and skipped).
#[derive(Debug)]
pub struct UnreadableInput(pub String);

/// Findings at or above the `--fail-on` severity were listed.
#[derive(Debug)]
pub struct FindingsFound(pub usize);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for UnreadableInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for FindingsFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} finding(s) at or above the --fail-on severity",
            self.0
        )
    }
}
impl std::error::Error for UsageError {}
impl std::error::Error for UnreadableInput {}
impl std::error::Error for FindingsFound {}

/// The exit code for an error, and whether to print it.
pub fn code_for(err: &anyhow::Error) -> (u8, bool) {
    for cause in err.chain() {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            // `vigil events | head` is a success.
            return (0, false);
        }
    }
    if err.downcast_ref::<FindingsFound>().is_some() {
        (1, true)
    } else if err.downcast_ref::<UsageError>().is_some()
        || err.downcast_ref::<UnreadableInput>().is_some()
    {
        (2, true)
    } else {
        (1, true)
    }
}
