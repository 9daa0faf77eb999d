//! Errors of initialisation and shutdown.

use std::fmt;

/// Why [`init_observability`](crate::init_observability) could not install the pipeline.
///
/// Every variant's message names the setting or variable at fault and how to fix it.
///
/// # Examples
///
/// ```
/// use genai_otel::{Config, InitError};
/// let config = Config::new("svc").env_lookup(|name| {
///     (name == "OTEL_EXPORTER_OTLP_PROTOCOL").then(|| "carrier-pigeon".to_string())
/// });
/// match genai_otel::init_observability(config) {
///     Err(InitError::InvalidEnv { variable, .. }) => assert_eq!(variable, "OTEL_EXPORTER_OTLP_PROTOCOL"),
///     other => panic!("unexpected: {other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum InitError {
    /// An environment variable holds a value that cannot be used.
    InvalidEnv {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// A setting given in code cannot be used.
    InvalidConfig {
        /// The setting.
        setting: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// `init_observability` already ran in this process (or another global `tracing`
    /// subscriber is installed).
    AlreadyInitialized,
    /// The exporter could not be built.
    Exporter {
        /// Which exporter.
        exporter: &'static str,
        /// The underlying error, stringified.
        message: String,
    },
}

impl InitError {
    pub(crate) fn invalid_env(variable: &'static str, value: &str, expected: &str) -> Self {
        InitError::InvalidEnv {
            variable,
            value: value.to_string(),
            expected: expected.to_string(),
        }
    }
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::InvalidEnv {
                variable,
                value,
                expected,
            } => write!(
                f,
                "environment variable {variable}={value:?} is invalid: {expected}; fix or unset {variable}"
            ),
            InitError::InvalidConfig { setting, message } => {
                write!(f, "invalid setting `{setting}`: {message}")
            }
            InitError::AlreadyInitialized => f.write_str(
                "observability is already initialised in this process (init_observability was called \
                 before, or another global tracing subscriber is installed); call it once at startup \
                 and keep the guard, or use init_scoped() in tests",
            ),
            InitError::Exporter { exporter, message } => {
                write!(f, "could not build the {exporter} exporter: {message}")
            }
        }
    }
}

impl std::error::Error for InitError {}

/// What happened to the spans when the pipeline shut down.
///
/// Returned by [`ObservabilityGuard::shutdown`](crate::ObservabilityGuard::shutdown); the
/// guard's `Drop` prints it to standard error when spans were lost.
///
/// # Examples
///
/// ```
/// let report = genai_otel::ShutdownReport::default();
/// assert!(report.is_complete());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Spans handed to the exporter stage (after sampling).
    pub submitted: u64,
    /// Spans the exporter reported as delivered.
    pub exported: u64,
    /// Spans in export calls that failed (endpoint down, store unwritable, ...).
    pub failed: u64,
    /// Spans that never reached the exporter: queue full, or still queued when the shutdown
    /// timeout ran out.
    pub dropped: u64,
}

impl ShutdownReport {
    /// True when every submitted span was delivered.
    ///
    /// # Examples
    ///
    /// ```
    /// let report = genai_otel::ShutdownReport::default();
    /// assert!(report.is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        self.failed == 0 && self.dropped == 0
    }
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} spans submitted, {} exported, {} failed to export, {} dropped before export",
            self.submitted, self.exported, self.failed, self.dropped
        )
    }
}

/// Why [`ObservabilityGuard::shutdown`](crate::ObservabilityGuard::shutdown) did not
/// complete cleanly. The report tells how many spans were lost.
///
/// # Examples
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let guard = genai_otel::init_observability(genai_otel::Config::new("svc"))?;
/// if let Err(err) = guard.shutdown() {
///     eprintln!("{err}: {} spans lost", err.report.failed + err.report.dropped);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ShutdownError {
    /// Counts of delivered and lost spans.
    pub report: ShutdownReport,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for ShutdownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "telemetry shutdown incomplete: {} ({})",
            self.message, self.report
        )
    }
}

impl std::error::Error for ShutdownError {}
