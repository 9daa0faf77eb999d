//! The CLI's error: a message that names the fix, and the exit code.
//!
//! Exit codes: `0` success, `1` the command could not do what was asked (trace not found,
//! content not recorded, failed assertions, unreachable backend), `2` bad input (a malformed
//! argument, dataset or outputs file). Clap's own usage errors also exit with `2`.

use std::fmt;
use std::process::ExitCode;

/// A failure to report on standard error.
#[derive(Debug)]
pub(crate) struct CliError {
    message: String,
    code: u8,
}

impl CliError {
    /// The command could not do what was asked (exit code 1).
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 1,
        }
    }

    /// The input is malformed (exit code 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 2,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Prints `error: …` for a failure and maps the result to the process exit code.
pub(crate) fn report(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", err.message);
            ExitCode::from(err.code)
        }
    }
}

/// Writes to standard output, turning a closed pipe (`genai-otel list | head`) into a quiet
/// success instead of a panic or an error.
pub(crate) fn out(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(CliError::failed(format!(
            "cannot write to standard output: {err}"
        ))),
    }
}
