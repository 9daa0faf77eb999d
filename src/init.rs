//! Installing the pipeline: [`init_observability`] (global, once per process) and
//! [`init_scoped`] (current thread only, for tests), and the guards that shut it down.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;

use crate::config::{Config, ExporterKind, OtlpProtocol, Resolved};
use crate::console::ConsoleExporter;
use crate::error::{InitError, ShutdownError, ShutdownReport};
use crate::export::{CountingProcessor, Delivery, PipelineExporter, Target};
use crate::inherit::InheritProcessor;
use crate::runtime::{Runtime, RuntimeLayer};
use crate::sampling::{SamplingHandle, TailSamplingProcessor};
use crate::semconv;
use crate::store::{LocalStore, StoreOptions};

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Crates on the export path whose own spans must never be exported (they would feed back
/// into the exporter).
const EXPORT_PATH_TARGETS: &[&str] = &[
    "hyper",
    "hyper_util",
    "h2",
    "tonic",
    "tower",
    "reqwest",
    "opentelemetry",
    "opentelemetry_sdk",
    "opentelemetry_otlp",
    "opentelemetry_http",
];

/// Installs the observability pipeline for the whole process: a `tracing` subscriber with the
/// OpenTelemetry layer, prompt-metadata inheritance, tail sampling, the batch processor, the
/// exporter-side redaction stage and the configured exporter (see [`Config`]).
///
/// Call it once, at the start of `main`, and keep the returned guard alive: dropping it
/// flushes and shuts the pipeline down within [`Config::shutdown_timeout`].
///
/// <div class="warning">Libraries must not call this: it installs the global tracing
/// subscriber, which belongs to the application.</div>
///
/// # Errors
///
/// [`InitError`] when a setting or environment variable is malformed (the message names it),
/// when the exporter cannot be built, or when it was already called in this process (or
/// another global subscriber is set). It never panics.
///
/// # Examples
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let _guard = genai_otel::init_observability(genai_otel::Config::new("support-api"))?;
///     // ... run the app; spans go to .genai-otel/traces unless an OTLP endpoint is set ...
///     Ok(())
/// }
/// ```
pub fn init_observability(config: Config) -> Result<ObservabilityGuard, InitError> {
    if INSTALLED
        .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return Err(InitError::AlreadyInitialized);
    }
    let result = build(config).and_then(|(pipeline, dispatch)| {
        tracing::dispatcher::set_global_default(dispatch)
            .map_err(|_| InitError::AlreadyInitialized)?;
        opentelemetry::global::set_tracer_provider(pipeline.provider.clone());
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        Ok(pipeline)
    });
    match result {
        Ok(pipeline) => Ok(ObservabilityGuard {
            pipeline: Some(pipeline),
        }),
        Err(e) => {
            if !matches!(e, InitError::AlreadyInitialized) {
                INSTALLED.store(false, Ordering::SeqCst);
            }
            Err(e)
        }
    }
}

/// Installs the same pipeline as [`init_observability`] for the **current thread only**,
/// until the returned guard is dropped. Many of these can exist in one process (one per test),
/// each with its own settings and exporter.
///
/// Futures spawned onto other threads do not see it unless wrapped with
/// [`tracing::instrument::WithSubscriber::with_subscriber`]`(guard.dispatch())`.
///
/// # Errors
///
/// As [`init_observability`], except that it never reports [`InitError::AlreadyInitialized`].
///
/// # Examples
///
/// ```
/// use genai_otel::{testing::SpanCollector, Config, ExporterKind, InferenceSpan};
/// let spans = SpanCollector::new();
/// let guard = genai_otel::init_scoped(
///     Config::new("test")
///         .exporter(ExporterKind::None)
///         .collector(spans.clone())
///         .sampling(genai_otel::Sampling::disabled()), // keep every trace
/// )?;
/// InferenceSpan::chat("openai", "gpt-4.1-mini").start().end();
/// guard.force_flush();
/// assert!(spans.find("chat gpt-4.1-mini").is_some());
/// # Ok::<(), genai_otel::InitError>(())
/// ```
pub fn init_scoped(config: Config) -> Result<ScopedGuard, InitError> {
    let (pipeline, dispatch) = build(config)?;
    let default = tracing::dispatcher::set_default(&dispatch);
    Ok(ScopedGuard {
        guard: ObservabilityGuard {
            pipeline: Some(pipeline),
        },
        dispatch,
        _default: default,
    })
}

/// Everything the guard owns.
#[derive(Debug)]
struct Pipeline {
    provider: SdkTracerProvider,
    delivery: Arc<Delivery>,
    sampling: SamplingHandle,
    store_dir: Option<PathBuf>,
    shutdown_timeout: Duration,
    export_runtime: Option<tokio::runtime::Runtime>,
}

fn build(config: Config) -> Result<(Pipeline, tracing::Dispatch), InitError> {
    let resolved = config.resolve()?;
    if resolved.random_user_hash_key {
        warn_random_key_once();
    }
    let Resolved {
        service_name,
        exporter,
        otlp_endpoint,
        otlp_protocol,
        otlp_headers,
        otlp_timeout,
        store_dir,
        store_max_file_bytes,
        console_timeline,
        content,
        user_hash_key,
        redactor,
        sampling,
        shutdown_timeout,
        max_queue_size,
        max_export_batch_size,
        scheduled_delay,
        resource_attributes,
        collector,
        ..
    } = resolved;

    let mut targets = Vec::new();
    let mut export_runtime = None;
    let mut used_store_dir = None;
    match exporter {
        ExporterKind::Otlp => {
            let endpoint = otlp_endpoint.unwrap_or_default();
            let (exporter, rt) = build_otlp(otlp_protocol, &endpoint, &otlp_headers, otlp_timeout)?;
            export_runtime = rt;
            targets.push(Target::Otlp(exporter));
        }
        ExporterKind::Store | ExporterKind::Auto => {
            let store = LocalStore::open(
                store_dir.clone(),
                StoreOptions::default().with_max_file_bytes(store_max_file_bytes),
            )
            .map_err(|e| InitError::Exporter {
                exporter: "local store",
                message: e.to_string(),
            })?;
            used_store_dir = Some(store_dir);
            targets.push(Target::Store(store));
        }
        ExporterKind::Console => targets.push(Target::Console(ConsoleExporter::new())),
        ExporterKind::None => {}
    }
    if console_timeline && exporter != ExporterKind::Console {
        targets.push(Target::Console(ConsoleExporter::new()));
    }
    if let Some(c) = collector {
        targets.push(Target::Collector(c));
    }

    let delivery = Arc::new(Delivery::default());
    let pipeline_exporter = PipelineExporter {
        targets,
        redactor: redactor.clone(),
        delivery: delivery.clone(),
    };
    let batch = BatchSpanProcessor::builder(pipeline_exporter)
        .with_batch_config(
            BatchConfigBuilder::default()
                .with_max_queue_size(max_queue_size)
                .with_max_export_batch_size(max_export_batch_size)
                .with_scheduled_delay(scheduled_delay)
                .build(),
        )
        .build();
    let counting = CountingProcessor {
        inner: batch,
        delivery: delivery.clone(),
    };
    let tail = TailSamplingProcessor::new(counting, sampling);
    let sampling_handle = tail.handle();
    let processor = InheritProcessor::new(tail);

    let mut attributes = vec![
        KeyValue::new("telemetry.sdk.name", "opentelemetry"),
        KeyValue::new("telemetry.sdk.language", "rust"),
        KeyValue::new("telemetry.distro.name", "genai-otel"),
        KeyValue::new("telemetry.distro.version", env!("CARGO_PKG_VERSION")),
    ];
    attributes.extend(
        resource_attributes
            .into_iter()
            .map(|(k, v)| KeyValue::new(k, v)),
    );
    let resource = Resource::builder_empty()
        .with_attributes(attributes)
        .with_service_name(service_name)
        .build();

    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource)
        .build();
    let scope = InstrumentationScope::builder("genai-otel")
        .with_version(env!("CARGO_PKG_VERSION"))
        .with_schema_url(semconv::SCHEMA_URL)
        .build();
    let tracer = provider.tracer_with_scope(scope);

    let mut filter = Targets::new().with_default(LevelFilter::TRACE);
    for target in EXPORT_PATH_TARGETS {
        filter = filter.with_target(*target, LevelFilter::OFF);
    }
    let otel_layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_location(false)
        .with_target(false);
    let runtime = Arc::new(Runtime {
        content,
        redactor,
        hash_key: user_hash_key,
    });
    // The export-path filter is global, not a per-layer filter on the OTel layer: this
    // subscriber has no other layer that would want those events, and a per-layer filter
    // costs every span its bookkeeping on each callback (new, record, enter, exit, close).
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(RuntimeLayer(runtime))
        .with(otel_layer);
    let dispatch = tracing::Dispatch::new(subscriber);

    Ok((
        Pipeline {
            provider,
            delivery,
            sampling: sampling_handle,
            store_dir: used_store_dir,
            shutdown_timeout,
            export_runtime,
        },
        dispatch,
    ))
}

fn build_otlp(
    protocol: OtlpProtocol,
    endpoint: &str,
    headers: &std::collections::BTreeMap<String, String>,
    timeout: Duration,
) -> Result<
    (
        opentelemetry_otlp::SpanExporter,
        Option<tokio::runtime::Runtime>,
    ),
    InitError,
> {
    let exporter_err = |e: &dyn std::fmt::Display| InitError::Exporter {
        exporter: "OTLP",
        message: e.to_string(),
    };
    match protocol {
        OtlpProtocol::HttpProtobuf => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_endpoint(endpoint)
                .with_timeout(timeout)
                .with_headers(
                    headers
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<HashMap<_, _>>(),
                )
                .build()
                .map_err(|e| exporter_err(&e))?;
            Ok((exporter, None))
        }
        OtlpProtocol::Grpc => {
            // tonic needs a Tokio runtime at build time and a free worker to make progress;
            // a private one-worker runtime makes gRPC export independent of the app's runtime
            // (none, multi-thread or current-thread).
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("genai-otel-export")
                .enable_all()
                .build()
                .map_err(|e| exporter_err(&e))?;
            let mut metadata = tonic::metadata::MetadataMap::new();
            for (k, v) in headers {
                let key =
                    tonic::metadata::MetadataKey::from_bytes(k.to_ascii_lowercase().as_bytes())
                        .map_err(|_| InitError::InvalidConfig {
                            setting: "otlp_header",
                            message: format!("`{k}` is not a valid gRPC metadata name"),
                        })?;
                let value = v.parse().map_err(|_| InitError::InvalidConfig {
                    setting: "otlp_header",
                    message: format!("the value of `{k}` is not valid gRPC metadata (ASCII only)"),
                })?;
                metadata.insert(key, value);
            }
            let exporter = {
                let _entered = rt.enter();
                opentelemetry_otlp::SpanExporter::builder()
                    .with_tonic()
                    .with_endpoint(endpoint)
                    .with_timeout(timeout)
                    .with_metadata(metadata)
                    .build()
                    .map_err(|e| exporter_err(&e))?
            };
            Ok((exporter, Some(rt)))
        }
    }
}

fn warn_random_key_once() {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "genai-otel: warning: no user-hash key configured (GENAI_OTEL_USER_HASH_KEY or \
             Config::user_hash_key); using a random per-process key, so user.hash values will \
             not correlate across restarts or replicas"
        );
    }
}

/// Keeps the pipeline installed by [`init_observability`]; dropping it flushes every
/// buffered span and shuts the exporter down within the configured timeout, then prints a
/// warning to standard error if any span could not be delivered.
///
/// # Examples
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let guard = genai_otel::init_observability(genai_otel::Config::new("svc"))?;
/// // ...
/// let report = guard.shutdown()?; // or just let it drop
/// println!("{report}");
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "dropping the guard shuts telemetry down: bind it (`let _guard = ...`) for the life of main"]
pub struct ObservabilityGuard {
    pipeline: Option<Pipeline>,
}

impl ObservabilityGuard {
    /// Exports every span that has ended so far (decided traces only: traces still being
    /// sampled wait for their root). Returns false if the flush did not complete.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let guard = genai_otel::init_observability(genai_otel::Config::new("svc"))?;
    /// assert!(guard.force_flush());
    /// # Ok(()) }
    /// ```
    pub fn force_flush(&self) -> bool {
        match &self.pipeline {
            Some(p) => p.provider.force_flush().is_ok(),
            None => false,
        }
    }

    /// The local store directory, when traces go to the local store.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let guard = genai_otel::init_observability(genai_otel::Config::new("svc"))?;
    /// if let Some(dir) = guard.store_dir() {
    ///     println!("traces are stored in {}", dir.display());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn store_dir(&self) -> Option<&Path> {
        self.pipeline.as_ref().and_then(|p| p.store_dir.as_deref())
    }

    /// The tail sampler's handle: counters and runtime overrides.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let guard = genai_otel::init_observability(genai_otel::Config::new("svc"))?;
    /// let counters = guard.sampling().expect("pipeline running").counters();
    /// # let _ = counters;
    /// # Ok(()) }
    /// ```
    pub fn sampling(&self) -> Option<&SamplingHandle> {
        self.pipeline.as_ref().map(|p| &p.sampling)
    }

    /// Delivery counts so far.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let guard = genai_otel::init_observability(genai_otel::Config::new("svc"))?;
    /// println!("{}", guard.delivery());
    /// # Ok(()) }
    /// ```
    pub fn delivery(&self) -> ShutdownReport {
        self.pipeline
            .as_ref()
            .map(|p| p.delivery.report())
            .unwrap_or_default()
    }

    /// The SDK tracer provider, for code that creates OpenTelemetry spans directly.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use opentelemetry::trace::{Tracer, TracerProvider};
    /// let guard = genai_otel::init_observability(genai_otel::Config::new("svc"))?;
    /// let tracer = guard.tracer_provider().expect("running").tracer("my-lib");
    /// tracer.in_span("work", |_cx| {});
    /// # Ok(()) }
    /// ```
    pub fn tracer_provider(&self) -> Option<&SdkTracerProvider> {
        self.pipeline.as_ref().map(|p| &p.provider)
    }

    /// Flushes and shuts down now, reporting what was delivered.
    ///
    /// # Errors
    ///
    /// [`ShutdownError`] when spans were lost (export failures, a full queue, or the timeout
    /// ran out); its report counts them.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let guard = genai_otel::init_observability(genai_otel::Config::new("svc"))?;
    /// let report = guard.shutdown()?;
    /// assert!(report.is_complete());
    /// # Ok(()) }
    /// ```
    pub fn shutdown(mut self) -> Result<ShutdownReport, ShutdownError> {
        match self.pipeline.take() {
            Some(p) => shutdown_pipeline(p),
            None => Ok(ShutdownReport::default()),
        }
    }
}

fn shutdown_pipeline(p: Pipeline) -> Result<ShutdownReport, ShutdownError> {
    let started = Instant::now();
    let result = p.provider.shutdown_with_timeout(p.shutdown_timeout);
    if let Some(rt) = p.export_runtime {
        rt.shutdown_background();
    }
    let report = p.delivery.report();
    let message = match (&result, report.is_complete()) {
        (Ok(()), true) => return Ok(report),
        (Err(e), _) => format!("{e} after {:?}", started.elapsed()),
        (Ok(()), false) => "some spans could not be exported".to_string(),
    };
    Err(ShutdownError { report, message })
}

impl Drop for ObservabilityGuard {
    fn drop(&mut self) {
        if let Some(p) = self.pipeline.take() {
            if let Err(e) = shutdown_pipeline(p) {
                eprintln!("genai-otel: {e}");
            }
        }
    }
}

/// The guard of [`init_scoped`]: the pipeline is the current thread's default until it is
/// dropped. Dereferences to [`ObservabilityGuard`].
///
/// # Examples
///
/// ```
/// let guard = genai_otel::init_scoped(genai_otel::Config::new("t").exporter(genai_otel::ExporterKind::None))?;
/// assert!(guard.force_flush());
/// # Ok::<(), genai_otel::InitError>(())
/// ```
#[derive(Debug)]
#[must_use = "dropping the guard uninstalls the scoped pipeline"]
pub struct ScopedGuard {
    guard: ObservabilityGuard,
    dispatch: tracing::Dispatch,
    _default: tracing::dispatcher::DefaultGuard,
}

impl ScopedGuard {
    /// The scoped subscriber, to carry into futures run on other threads.
    ///
    /// # Examples
    ///
    /// ```
    /// use tracing::instrument::WithSubscriber;
    /// # async fn work() {}
    /// let guard = genai_otel::init_scoped(genai_otel::Config::new("t").exporter(genai_otel::ExporterKind::None))?;
    /// let fut = work().with_subscriber(guard.dispatch());
    /// # drop(fut);
    /// # Ok::<(), genai_otel::InitError>(())
    /// ```
    pub fn dispatch(&self) -> tracing::Dispatch {
        self.dispatch.clone()
    }

    /// Shuts the pipeline down now (see [`ObservabilityGuard::shutdown`]).
    ///
    /// # Errors
    ///
    /// As [`ObservabilityGuard::shutdown`].
    ///
    /// # Examples
    ///
    /// ```
    /// let guard = genai_otel::init_scoped(genai_otel::Config::new("t").exporter(genai_otel::ExporterKind::None))?;
    /// guard.shutdown().expect("nothing to lose");
    /// # Ok::<(), genai_otel::InitError>(())
    /// ```
    pub fn shutdown(self) -> Result<ShutdownReport, ShutdownError> {
        self.guard.shutdown()
    }
}

impl std::ops::Deref for ScopedGuard {
    type Target = ObservabilityGuard;
    fn deref(&self) -> &ObservabilityGuard {
        &self.guard
    }
}
