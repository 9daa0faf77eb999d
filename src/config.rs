//! [`Config`]: every setting of [`init_observability`](crate::init_observability), its
//! default and its environment variable.
//!
//! Precedence is always **code, then environment, then default**. A malformed environment
//! value is an [`InitError::InvalidEnv`] naming the variable; it is never silently ignored.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::content::ContentCapture;
use crate::error::InitError;
use crate::redact::Redactor;
use crate::sampling::Sampling;
use crate::testing::SpanCollector;

pub use crate::store::{DEFAULT_MAX_FILE_BYTES as DEFAULT_STORE_MAX_FILE_BYTES, DEFAULT_STORE_DIR};
/// Default bound on flushing and shutting down when the guard is dropped (5 s).
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// Default OTLP export timeout (10 s), as in the OTLP exporter specification.
pub const DEFAULT_OTLP_TIMEOUT: Duration = Duration::from_secs(10);

/// OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OtlpProtocol {
    /// OTLP over gRPC (default port 4317).
    Grpc,
    /// OTLP over HTTP with protobuf bodies (default port 4318, path `/v1/traces`).
    HttpProtobuf,
}

impl OtlpProtocol {
    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "grpc" => Some(Self::Grpc),
            "http/protobuf" | "http" => Some(Self::HttpProtobuf),
            _ => None,
        }
    }
}

/// Where finished traces go.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExporterKind {
    /// OTLP when an endpoint is configured in code or by `OTEL_EXPORTER_OTLP_ENDPOINT` /
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, otherwise the local store. The default.
    Auto,
    /// OTLP to the configured endpoint (or the protocol's localhost default).
    Otlp,
    /// The embedded local store: OTLP/JSON lines under [`Config::store_dir`].
    Store,
    /// Print each trace as a timeline on standard error when its root ends.
    Console,
    /// Export nothing (spans are still created, sampled and counted).
    None,
}

impl ExporterKind {
    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "otlp" => Some(Self::Otlp),
            "store" | "local" => Some(Self::Store),
            "console" => Some(Self::Console),
            "none" => Some(Self::None),
            "auto" | "" => Some(Self::Auto),
            _ => None,
        }
    }
}

type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Configuration of [`init_observability`](crate::init_observability).
///
/// Every setter documents its default and the environment variable that sets it when code
/// does not. Standard OpenTelemetry variables are honoured where they exist.
///
/// | setting | default | environment |
/// |---|---|---|
/// | [`service_name`](Config::new) | `unknown_service` if empty | `OTEL_SERVICE_NAME` |
/// | [`exporter`](Config::exporter) | `Auto` | `OTEL_TRACES_EXPORTER` (`otlp`, `console`, `none`, `store`) |
/// | [`otlp_endpoint`](Config::otlp_endpoint) | none | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT` |
/// | [`otlp_protocol`](Config::otlp_protocol) | `http/protobuf` | `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL` |
/// | [`otlp_header`](Config::otlp_header) | none | `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, `OTEL_EXPORTER_OTLP_HEADERS` |
/// | [`otlp_timeout`](Config::otlp_timeout) | 10 s | `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT` (ms) |
/// | [`store_dir`](Config::store_dir) | `.genai-otel/traces` | `GENAI_OTEL_STORE_DIR` |
/// | [`store_max_file_bytes`](Config::store_max_file_bytes) | 64 MiB | `GENAI_OTEL_STORE_MAX_FILE_BYTES` |
/// | [`console_timeline`](Config::console_timeline) | off | `GENAI_OTEL_CONSOLE` (`true`/`false`) |
/// | [`record_content`](Config::record_content) / [`content_capture`](Config::content_capture) | off | `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, `GENAI_OTEL_CONTENT_SAMPLE_RATE`, `GENAI_OTEL_CONTENT_MAX_LENGTH` |
/// | [`user_hash_key`](Config::user_hash_key) | random per process (with a warning) | `GENAI_OTEL_USER_HASH_KEY` |
/// | [`redaction`](Config::redaction) | all built-in detectors | — (code only) |
/// | [`sampling`](Config::sampling) | see [`Sampling`] | `GENAI_OTEL_SAMPLING*` |
/// | [`shutdown_timeout`](Config::shutdown_timeout) | 5 s | `GENAI_OTEL_SHUTDOWN_TIMEOUT_MS` |
/// | batch queue | 8192 spans, 512 per export, 1 s delay | `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, `OTEL_BSP_SCHEDULE_DELAY` (ms) |
///
/// # Examples
///
/// ```
/// use genai_otel::{Config, ContentCapture, ExporterKind};
/// use std::time::Duration;
///
/// let config = Config::new("support-api")
///     .exporter(ExporterKind::Store)
///     .store_dir(std::env::temp_dir().join("genai-otel-doc"))
///     .content_capture(ContentCapture::sampled(0.05))
///     .shutdown_timeout(Duration::from_secs(2));
/// # let _ = config;
/// ```
#[derive(Clone)]
#[non_exhaustive]
#[must_use = "a Config does nothing until passed to init_observability()"]
pub struct Config {
    pub(crate) service_name: String,
    pub(crate) exporter: Option<ExporterKind>,
    pub(crate) otlp_endpoint: Option<String>,
    pub(crate) otlp_protocol: Option<OtlpProtocol>,
    pub(crate) otlp_headers: BTreeMap<String, String>,
    pub(crate) otlp_timeout: Option<Duration>,
    pub(crate) store_dir: Option<PathBuf>,
    pub(crate) store_max_file_bytes: Option<u64>,
    pub(crate) console_timeline: Option<bool>,
    pub(crate) content: Option<ContentCapture>,
    pub(crate) user_hash_key: Option<Vec<u8>>,
    pub(crate) redactor: Option<Option<Redactor>>,
    pub(crate) sampling: Option<Sampling>,
    pub(crate) shutdown_timeout: Option<Duration>,
    pub(crate) resource_attributes: Vec<(String, String)>,
    pub(crate) collector: Option<SpanCollector>,
    pub(crate) env: Option<EnvLookup>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("service_name", &self.service_name)
            .field("exporter", &self.exporter)
            .field("otlp_endpoint", &self.otlp_endpoint)
            .field("otlp_protocol", &self.otlp_protocol)
            .field(
                "otlp_headers",
                &self.otlp_headers.keys().collect::<Vec<_>>(),
            )
            .field("store_dir", &self.store_dir)
            .field("content", &self.content)
            .field(
                "user_hash_key",
                &self.user_hash_key.as_ref().map(|_| "<set>"),
            )
            .field("sampling", &self.sampling)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A configuration for the service `service_name` with every other setting at its
    /// default (or environment value).
    ///
    /// An empty name falls back to `OTEL_SERVICE_NAME`, then to `unknown_service`.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("support-api");
    /// # let _ = config;
    /// ```
    pub fn new(service_name: impl Into<String>) -> Self {
        Self {
            service_name: service_name.into(),
            exporter: None,
            otlp_endpoint: None,
            otlp_protocol: None,
            otlp_headers: BTreeMap::new(),
            otlp_timeout: None,
            store_dir: None,
            store_max_file_bytes: None,
            console_timeline: None,
            content: None,
            user_hash_key: None,
            redactor: None,
            sampling: None,
            shutdown_timeout: None,
            resource_attributes: Vec::new(),
            collector: None,
            env: None,
        }
    }

    /// Where traces go. Default [`ExporterKind::Auto`]; env `OTEL_TRACES_EXPORTER`
    /// (`otlp`, `console`, `none`, or this crate's `store`).
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").exporter(genai_otel::ExporterKind::Console);
    /// # let _ = config;
    /// ```
    pub fn exporter(mut self, kind: ExporterKind) -> Self {
        self.exporter = Some(kind);
        self
    }

    /// OTLP endpoint. For gRPC a base URL (`http://collector:4317`); for HTTP a base URL to
    /// which `/v1/traces` is appended unless the URL already ends with it. Setting it makes
    /// [`ExporterKind::Auto`] choose OTLP. Default none; env
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used verbatim) or `OTEL_EXPORTER_OTLP_ENDPOINT`.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").otlp_endpoint("http://127.0.0.1:4318");
    /// # let _ = config;
    /// ```
    pub fn otlp_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.otlp_endpoint = Some(endpoint.into());
        self
    }

    /// OTLP transport. Default [`OtlpProtocol::HttpProtobuf`]; env
    /// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`
    /// (`grpc`, `http/protobuf`).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Config, OtlpProtocol};
    /// let config = Config::new("svc").otlp_protocol(OtlpProtocol::Grpc);
    /// # let _ = config;
    /// ```
    pub fn otlp_protocol(mut self, protocol: OtlpProtocol) -> Self {
        self.otlp_protocol = Some(protocol);
        self
    }

    /// Adds a header (gRPC metadata) sent with every OTLP export, e.g. an API key. Headers
    /// from `OTEL_EXPORTER_OTLP_HEADERS` (`k1=v1,k2=v2`) are added for names not set in code.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").otlp_header("x-api-key", "secret");
    /// # let _ = config;
    /// ```
    pub fn otlp_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.otlp_headers.insert(name.into(), value.into());
        self
    }

    /// Timeout of one OTLP export. Default 10 s; env `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` /
    /// `OTEL_EXPORTER_OTLP_TIMEOUT` in milliseconds.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").otlp_timeout(std::time::Duration::from_secs(3));
    /// # let _ = config;
    /// ```
    pub fn otlp_timeout(mut self, timeout: Duration) -> Self {
        self.otlp_timeout = Some(timeout);
        self
    }

    /// Directory of the embedded local store. Default `.genai-otel/traces` under the working
    /// directory; env `GENAI_OTEL_STORE_DIR`.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").store_dir("/var/lib/myapp/traces");
    /// # let _ = config;
    /// ```
    pub fn store_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.store_dir = Some(dir.into());
        self
    }

    /// Size at which a store file is closed and the next one started. Files are only ever
    /// appended to, never rewritten. Default 64 MiB; env `GENAI_OTEL_STORE_MAX_FILE_BYTES`.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").store_max_file_bytes(8 << 20);
    /// # let _ = config;
    /// ```
    pub fn store_max_file_bytes(mut self, bytes: u64) -> Self {
        self.store_max_file_bytes = Some(bytes);
        self
    }

    /// Also print every trace as a timeline on standard error when its root ends, whatever
    /// the exporter. Default off; env `GENAI_OTEL_CONSOLE` (`true` / `false`).
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").console_timeline(true);
    /// # let _ = config;
    /// ```
    pub fn console_timeline(mut self, on: bool) -> Self {
        self.console_timeline = Some(on);
        self
    }

    /// The record-content toggle: `true` is [`ContentCapture::on`], `false`
    /// [`ContentCapture::off`]. Default off; env
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").record_content(true);
    /// # let _ = config;
    /// ```
    pub fn record_content(self, on: bool) -> Self {
        self.content_capture(if on {
            ContentCapture::on()
        } else {
            ContentCapture::off()
        })
    }

    /// Full content-capture policy: off / on / sampled per trace, per-kind switches and the
    /// maximum recorded length. See [`ContentCapture`] for the environment variables.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Config, ContentCapture};
    /// let config = Config::new("svc")
    ///     .content_capture(ContentCapture::on().retrieval_documents(false).max_length(4096));
    /// # let _ = config;
    /// ```
    pub fn content_capture(mut self, capture: ContentCapture) -> Self {
        self.content = Some(capture);
        self
    }

    /// Key of the HMAC-SHA256 used by [`hash_user_id`](crate::hash_user_id) and by keyed
    /// redaction pseudonyms. Default: a random key per process, with a warning that hashes will
    /// not correlate across restarts; env `GENAI_OTEL_USER_HASH_KEY`.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").user_hash_key(b"a-32-byte-secret-from-your-vault");
    /// # let _ = config;
    /// ```
    pub fn user_hash_key(mut self, key: impl AsRef<[u8]>) -> Self {
        self.user_hash_key = Some(key.as_ref().to_vec());
        self
    }

    /// The redaction pipeline applied to content at record time and to every string
    /// attribute at export. Default: every built-in detector ([`Detector::ALL`](crate::Detector::ALL)).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Config, Detector, Redactor};
    /// let redactor = Redactor::builder().builtin(Detector::ALL).build()?;
    /// let config = Config::new("svc").record_content(true).redaction(redactor);
    /// # let _ = config;
    /// # Ok::<(), genai_otel::BuildError>(())
    /// ```
    pub fn redaction(mut self, redactor: Redactor) -> Self {
        self.redactor = Some(Some(redactor));
        self
    }

    /// Turns redaction off entirely. Only for data that is known to be clean; prefer a
    /// narrower [`Redactor`].
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").without_redaction();
    /// # let _ = config;
    /// ```
    pub fn without_redaction(mut self) -> Self {
        self.redactor = Some(None);
        self
    }

    /// Trace-level tail sampling. Default: [`Sampling::default`] (errors, canary, new prompt
    /// versions and slow traces kept; 10% base, 1% metadata-only); env `GENAI_OTEL_SAMPLING*`.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Config, Sampling};
    /// let config = Config::new("svc").sampling(Sampling::disabled());
    /// # let _ = config;
    /// ```
    pub fn sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = Some(sampling);
        self
    }

    /// Bound on flushing and shutting down when the guard is dropped. Default 5 s; env
    /// `GENAI_OTEL_SHUTDOWN_TIMEOUT_MS`.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").shutdown_timeout(std::time::Duration::from_secs(1));
    /// # let _ = config;
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = Some(timeout);
        self
    }

    /// Adds a resource attribute (e.g. `deployment.environment.name`). Resource attributes
    /// from `OTEL_RESOURCE_ATTRIBUTES` are added too.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = genai_otel::Config::new("svc").resource_attribute("deployment.environment.name", "prod");
    /// # let _ = config;
    /// ```
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.resource_attributes.push((key.into(), value.into()));
        self
    }

    /// Sends every exported span to `collector` as well (tests, in-process assertions).
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{testing::SpanCollector, Config, ExporterKind};
    /// let spans = SpanCollector::new();
    /// let config = Config::new("svc").exporter(ExporterKind::None).collector(spans.clone());
    /// # let _ = config;
    /// ```
    pub fn collector(mut self, collector: SpanCollector) -> Self {
        self.collector = Some(collector);
        self
    }

    /// Replaces the process environment as the source of environment settings: `lookup`
    /// is asked for each variable name. For tests, and for apps whose settings come from
    /// elsewhere.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let vars = HashMap::from([("GENAI_OTEL_STORE_DIR".to_string(), "/tmp/t".to_string())]);
    /// let config = genai_otel::Config::new("svc").env_lookup(move |name| vars.get(name).cloned());
    /// # let _ = config;
    /// ```
    pub fn env_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.env = Some(Arc::new(lookup));
        self
    }

    fn var(&self, name: &str) -> Option<String> {
        let value = match &self.env {
            Some(lookup) => lookup(name),
            None => std::env::var(name).ok(),
        };
        value.filter(|v| !v.trim().is_empty())
    }

    /// Resolves code, environment and defaults into the settings `init` uses.
    pub(crate) fn resolve(&self) -> Result<Resolved, InitError> {
        let service_name = if self.service_name.trim().is_empty() {
            self.var("OTEL_SERVICE_NAME")
                .unwrap_or_else(|| "unknown_service".to_string())
        } else {
            self.service_name.clone()
        };

        let exporter_env = match self.var("OTEL_TRACES_EXPORTER") {
            Some(v) => Some(ExporterKind::parse(&v).ok_or_else(|| {
                InitError::invalid_env(
                    "OTEL_TRACES_EXPORTER",
                    &v,
                    "expected one of: otlp, console, none, store",
                )
            })?),
            None => None,
        };
        let exporter = self
            .exporter
            .clone()
            .or(exporter_env)
            .unwrap_or(ExporterKind::Auto);

        let protocol = match self.otlp_protocol {
            Some(p) => p,
            None => match first_var(
                self,
                &[
                    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                    "OTEL_EXPORTER_OTLP_PROTOCOL",
                ],
            ) {
                Some((name, v)) => OtlpProtocol::parse(&v).ok_or_else(|| {
                    InitError::invalid_env(
                        name,
                        &v,
                        "expected `grpc` or `http/protobuf` (http/json is not supported)",
                    )
                })?,
                None => OtlpProtocol::HttpProtobuf,
            },
        };

        // Endpoint: code > signal-specific env (verbatim) > generic env (base URL).
        let endpoint = if let Some(e) = &self.otlp_endpoint {
            Some(otlp_url(e, protocol, true))
        } else if let Some(e) = self.var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            check_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &e)?;
            Some(e)
        } else if let Some(e) = self.var("OTEL_EXPORTER_OTLP_ENDPOINT") {
            check_url("OTEL_EXPORTER_OTLP_ENDPOINT", &e)?;
            Some(otlp_url(&e, protocol, true))
        } else {
            None
        };
        if let Some(e) = &self.otlp_endpoint {
            if !(e.starts_with("http://") || e.starts_with("https://")) {
                return Err(InitError::InvalidConfig {
                    setting: "otlp_endpoint",
                    message: format!(
                        "`{e}` is not an http:// or https:// URL; write it as e.g. http://127.0.0.1:4317"
                    ),
                });
            }
        }

        let mut headers = self.otlp_headers.clone();
        if let Some((name, raw)) = first_var(
            self,
            &[
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                "OTEL_EXPORTER_OTLP_HEADERS",
            ],
        ) {
            for (k, v) in parse_headers(name, &raw)? {
                headers.entry(k).or_insert(v);
            }
        }

        let otlp_timeout = match self.otlp_timeout {
            Some(t) => t,
            None => match first_var(
                self,
                &[
                    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
                    "OTEL_EXPORTER_OTLP_TIMEOUT",
                ],
            ) {
                Some((name, v)) => Duration::from_millis(parse_u64(name, &v, "milliseconds")?),
                None => DEFAULT_OTLP_TIMEOUT,
            },
        };

        let exporter = match exporter {
            ExporterKind::Auto if endpoint.is_some() => ExporterKind::Otlp,
            ExporterKind::Auto => ExporterKind::Store,
            other => other,
        };
        let endpoint = if exporter == ExporterKind::Otlp {
            Some(endpoint.unwrap_or_else(|| match protocol {
                OtlpProtocol::Grpc => "http://localhost:4317".to_string(),
                OtlpProtocol::HttpProtobuf => "http://localhost:4318/v1/traces".to_string(),
            }))
        } else {
            endpoint
        };

        let store_dir = match &self.store_dir {
            Some(d) => d.clone(),
            None => self
                .var(crate::store::STORE_DIR_ENV)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_STORE_DIR)),
        };
        let store_max_file_bytes = match self.store_max_file_bytes {
            Some(b) => b,
            None => match self.var("GENAI_OTEL_STORE_MAX_FILE_BYTES") {
                Some(v) => parse_u64("GENAI_OTEL_STORE_MAX_FILE_BYTES", &v, "bytes")?,
                None => DEFAULT_STORE_MAX_FILE_BYTES,
            },
        };
        if store_max_file_bytes == 0 {
            return Err(InitError::InvalidConfig {
                setting: "store_max_file_bytes",
                message: "must be greater than 0".into(),
            });
        }
        let console_timeline = match self.console_timeline {
            Some(b) => b,
            None => match self.var("GENAI_OTEL_CONSOLE") {
                Some(v) => parse_bool("GENAI_OTEL_CONSOLE", &v)?,
                None => false,
            },
        };

        let content = ContentCapture::resolve(self.content.clone(), &|n| self.var(n))?;

        let (user_hash_key, random_key) = match &self.user_hash_key {
            Some(k) if k.is_empty() => {
                return Err(InitError::InvalidConfig {
                    setting: "user_hash_key",
                    message: "the key is empty; use at least 16 random bytes".into(),
                })
            }
            Some(k) => (k.clone(), false),
            None => match self.var("GENAI_OTEL_USER_HASH_KEY") {
                Some(k) => (k.into_bytes(), false),
                None => (crate::user::random_key(), true),
            },
        };

        let redactor = match &self.redactor {
            Some(r) => r.clone(),
            None => Some(
                crate::redact::builtin().map_err(|e| InitError::InvalidConfig {
                    setting: "redaction",
                    message: format!("the built-in detectors failed to compile: {e}"),
                })?,
            ),
        };
        let redactor = redactor.map(|r| r.with_default_key(&user_hash_key));

        let sampling = match &self.sampling {
            Some(s) => s.clone(),
            None => Sampling::default(),
        };
        let sampling = sampling
            .with_env_defaults_from(&|n| self.var(n))
            .map_err(InitError::from)?;

        let shutdown_timeout = match self.shutdown_timeout {
            Some(t) => t,
            None => match self.var("GENAI_OTEL_SHUTDOWN_TIMEOUT_MS") {
                Some(v) => Duration::from_millis(parse_u64(
                    "GENAI_OTEL_SHUTDOWN_TIMEOUT_MS",
                    &v,
                    "milliseconds",
                )?),
                None => DEFAULT_SHUTDOWN_TIMEOUT,
            },
        };

        let max_queue_size = match self.var("OTEL_BSP_MAX_QUEUE_SIZE") {
            Some(v) => parse_u64("OTEL_BSP_MAX_QUEUE_SIZE", &v, "spans")? as usize,
            None => 8192,
        };
        let max_export_batch_size = match self.var("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") {
            Some(v) => parse_u64("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", &v, "spans")? as usize,
            None => 512,
        };
        let scheduled_delay = match self.var("OTEL_BSP_SCHEDULE_DELAY") {
            Some(v) => {
                Duration::from_millis(parse_u64("OTEL_BSP_SCHEDULE_DELAY", &v, "milliseconds")?)
            }
            None => Duration::from_secs(1),
        };
        if max_queue_size == 0 || max_export_batch_size == 0 {
            return Err(InitError::InvalidConfig {
                setting: "OTEL_BSP_MAX_QUEUE_SIZE / OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                message: "must be greater than 0".into(),
            });
        }

        let mut resource_attributes = Vec::new();
        if let Some(raw) = self.var("OTEL_RESOURCE_ATTRIBUTES") {
            resource_attributes.extend(parse_headers("OTEL_RESOURCE_ATTRIBUTES", &raw)?);
        }
        resource_attributes.extend(self.resource_attributes.iter().cloned());

        Ok(Resolved {
            service_name,
            exporter,
            otlp_endpoint: endpoint,
            otlp_protocol: protocol,
            otlp_headers: headers,
            otlp_timeout,
            store_dir,
            store_max_file_bytes,
            console_timeline,
            content,
            user_hash_key,
            random_user_hash_key: random_key,
            redactor,
            sampling,
            shutdown_timeout,
            max_queue_size,
            max_export_batch_size: max_export_batch_size.min(max_queue_size),
            scheduled_delay,
            resource_attributes,
            collector: self.collector.clone(),
        })
    }
}

/// Settings after code, environment and defaults were merged.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub(crate) service_name: String,
    pub(crate) exporter: ExporterKind,
    pub(crate) otlp_endpoint: Option<String>,
    pub(crate) otlp_protocol: OtlpProtocol,
    pub(crate) otlp_headers: BTreeMap<String, String>,
    pub(crate) otlp_timeout: Duration,
    pub(crate) store_dir: PathBuf,
    pub(crate) store_max_file_bytes: u64,
    pub(crate) console_timeline: bool,
    pub(crate) content: ContentCapture,
    pub(crate) user_hash_key: Vec<u8>,
    pub(crate) random_user_hash_key: bool,
    pub(crate) redactor: Option<Redactor>,
    pub(crate) sampling: Sampling,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) max_queue_size: usize,
    pub(crate) max_export_batch_size: usize,
    pub(crate) scheduled_delay: Duration,
    pub(crate) resource_attributes: Vec<(String, String)>,
    pub(crate) collector: Option<SpanCollector>,
}

fn first_var(config: &Config, names: &[&'static str]) -> Option<(&'static str, String)> {
    names.iter().find_map(|n| config.var(n).map(|v| (*n, v)))
}

fn otlp_url(base: &str, protocol: OtlpProtocol, append_path: bool) -> String {
    match protocol {
        OtlpProtocol::Grpc => base.to_string(),
        OtlpProtocol::HttpProtobuf => {
            let trimmed = base.trim_end_matches('/');
            if append_path && !trimmed.ends_with("/v1/traces") {
                format!("{trimmed}/v1/traces")
            } else {
                trimmed.to_string()
            }
        }
    }
}

fn check_url(name: &'static str, value: &str) -> Result<(), InitError> {
    if value.starts_with("http://") || value.starts_with("https://") {
        Ok(())
    } else {
        Err(InitError::invalid_env(
            name,
            value,
            "expected an http:// or https:// URL, e.g. http://127.0.0.1:4318",
        ))
    }
}

pub(crate) fn parse_u64(name: &'static str, value: &str, unit: &str) -> Result<u64, InitError> {
    value.trim().parse::<u64>().map_err(|_| {
        InitError::invalid_env(
            name,
            value,
            &format!("expected a non-negative integer ({unit})"),
        )
    })
}

pub(crate) fn parse_f64_rate(name: &'static str, value: &str) -> Result<f64, InitError> {
    match value.trim().parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(InitError::invalid_env(
            name,
            value,
            "expected a rate between 0.0 and 1.0",
        )),
    }
}

pub(crate) fn parse_bool(name: &'static str, value: &str) -> Result<bool, InitError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "on" | "yes" => Ok(true),
        "false" | "0" | "off" | "no" => Ok(false),
        _ => Err(InitError::invalid_env(
            name,
            value,
            "expected true or false",
        )),
    }
}

/// Parses the W3C-baggage-like `k1=v1,k2=v2` lists used by `OTEL_EXPORTER_OTLP_HEADERS` and
/// `OTEL_RESOURCE_ATTRIBUTES` (values percent-decoded).
fn parse_headers(name: &'static str, raw: &str) -> Result<Vec<(String, String)>, InitError> {
    let mut out = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((k, v)) = item.split_once('=') else {
            return Err(InitError::invalid_env(
                name,
                raw,
                &format!(
                    "`{item}` is not of the form key=value (list items are separated by commas)"
                ),
            ));
        };
        let k = k.trim();
        if k.is_empty() {
            return Err(InitError::invalid_env(
                name,
                raw,
                "an entry has an empty key",
            ));
        }
        out.push((k.to_string(), percent_decode(v.trim())));
    }
    Ok(out)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with_env(vars: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::new("svc").env_lookup(move |n| map.get(n).cloned())
    }

    #[test]
    fn defaults_choose_the_local_store() {
        let r = with_env(&[]).resolve().unwrap();
        assert_eq!(r.exporter, ExporterKind::Store);
        assert_eq!(r.store_dir, PathBuf::from(DEFAULT_STORE_DIR));
        assert_eq!(r.shutdown_timeout, DEFAULT_SHUTDOWN_TIMEOUT);
        assert!(r.random_user_hash_key);
    }

    #[test]
    fn an_endpoint_in_env_chooses_otlp_and_code_beats_env() {
        let r = with_env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")])
            .resolve()
            .unwrap();
        assert_eq!(r.exporter, ExporterKind::Otlp);
        assert_eq!(r.otlp_endpoint.as_deref(), Some("http://c:4318/v1/traces"));
        let r = with_env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")])
            .otlp_endpoint("http://code:4318")
            .resolve()
            .unwrap();
        assert_eq!(
            r.otlp_endpoint.as_deref(),
            Some("http://code:4318/v1/traces")
        );
        let r = with_env(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:4317"),
        ])
        .resolve()
        .unwrap();
        assert_eq!(r.otlp_protocol, OtlpProtocol::Grpc);
        assert_eq!(r.otlp_endpoint.as_deref(), Some("http://t:4317"));
    }

    #[test]
    fn malformed_env_values_name_the_variable() {
        for (name, value) in [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "ten"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "novalue"),
            ("OTEL_TRACES_EXPORTER", "zipkin"),
            ("GENAI_OTEL_SHUTDOWN_TIMEOUT_MS", "-1"),
            ("GENAI_OTEL_STORE_MAX_FILE_BYTES", "big"),
            ("GENAI_OTEL_CONSOLE", "maybe"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "lots"),
            (
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
                "sometimes",
            ),
            ("GENAI_OTEL_CONTENT_SAMPLE_RATE", "1.5"),
            ("GENAI_OTEL_SAMPLING_BASE_RATE", "2"),
        ] {
            let err = with_env(&[(name, value)]).resolve().unwrap_err();
            let text = err.to_string();
            assert!(text.contains(name), "{name}: {text}");
            assert!(text.contains(value), "{name}: {text}");
        }
    }

    #[test]
    fn headers_merge_with_code_winning() {
        let r = with_env(&[("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=x%20y")])
            .otlp_header("a", "code")
            .resolve()
            .unwrap();
        assert_eq!(r.otlp_headers.get("a").map(String::as_str), Some("code"));
        assert_eq!(r.otlp_headers.get("b").map(String::as_str), Some("x y"));
    }

    #[test]
    fn empty_service_name_falls_back_to_env() {
        let map = HashMap::from([("OTEL_SERVICE_NAME".to_string(), "from-env".to_string())]);
        let r = Config::new("")
            .env_lookup(move |n| map.get(n).cloned())
            .resolve()
            .unwrap();
        assert_eq!(r.service_name, "from-env");
    }
}
