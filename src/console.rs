//! A [`SpanExporter`] that prints each finished trace as a timeline.
//!
//! [`ConsoleExporter`] buffers spans by trace id until the trace's local root (a span with
//! no parent, or with a remote parent) arrives, then writes a header line and the
//! [`timeline::render`](crate::timeline::render) output of the buffered spans. Spans are
//! usually exported children-first, but batches may arrive in any order; a trace is printed
//! once, when its root arrives.
//!
//! Memory is bounded: at most [`ConsoleExporter::with_max_pending_traces`] traces (default
//! 1,000) and [`ConsoleExporter::with_max_pending_spans`] spans (default 100,000) wait for
//! their root; beyond that the oldest waiting trace is printed as partial, with a note.
//! Shutdown prints every waiting trace as partial. Spans that end after their local root
//! (detached background work) start a new waiting entry and are printed as partial later.
//!
//! Output format:
//!
//! ```text
//! trace 5b8efff798038103d269b633813fc60c  support-api  5 spans  312ms
//! 0ms   invoke_agent support_agent  ok    312ms  route=/v1/support
//! ...
//!
//! ```
//!
//! # Examples
//!
//! ```
//! use genai_otel::console::{ConsoleExporter, SharedBuffer};
//! use opentelemetry::trace::{Tracer, TracerProvider};
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//!
//! let sink = SharedBuffer::new();
//! let provider = SdkTracerProvider::builder()
//!     .with_simple_exporter(ConsoleExporter::with_writer(sink.clone()))
//!     .build();
//! let tracer = provider.tracer("app");
//! tracer.in_span("invoke_agent support_agent", |_cx| {
//!     tracer.in_span("chat gpt-4.1-mini", |_cx| {});
//! });
//! let text = sink.contents();
//! assert!(text.starts_with("trace "));
//! assert!(text.contains("invoke_agent support_agent"));
//! assert!(text.contains("└─ chat gpt-4.1-mini"));
//! # provider.shutdown()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

use crate::otlp_json::{resource_attributes, Attributes, SpanRecord};
use crate::timeline::{format_duration, render, sanitize, TimelineOptions};

/// Default [`ConsoleExporter::with_max_pending_traces`]: 1,000.
///
/// # Examples
///
/// ```
/// assert_eq!(genai_otel::console::DEFAULT_MAX_PENDING_TRACES, 1_000);
/// ```
pub const DEFAULT_MAX_PENDING_TRACES: usize = 1_000;
/// Default [`ConsoleExporter::with_max_pending_spans`]: 100,000.
///
/// # Examples
///
/// ```
/// assert_eq!(genai_otel::console::DEFAULT_MAX_PENDING_SPANS, 100_000);
/// ```
pub const DEFAULT_MAX_PENDING_SPANS: usize = 100_000;

/// A cloneable in-memory writer, for capturing [`ConsoleExporter`] output in tests.
///
/// # Examples
///
/// ```
/// use genai_otel::console::SharedBuffer;
/// use std::io::Write;
/// let buffer = SharedBuffer::new();
/// let mut writer = buffer.clone();
/// writer.write_all(b"hello")?;
/// assert_eq!(buffer.contents(), "hello");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// An empty buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(genai_otel::console::SharedBuffer::new().contents(), "");
    /// ```
    pub fn new() -> Self {
        SharedBuffer::default()
    }

    /// Everything written so far, as (lossy) UTF-8.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// let buffer = genai_otel::console::SharedBuffer::new();
    /// buffer.clone().write_all("ok ✓".as_bytes())?;
    /// assert_eq!(buffer.contents(), "ok ✓");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&lock(&self.0)).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Locks a mutex, recovering from poisoning: the guarded data is plain buffers and maps
/// that stay consistent between statements.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Prints each trace as a timeline when its local root span is exported (see the
/// [module docs](self)).
///
/// # Examples
///
/// ```
/// use genai_otel::console::ConsoleExporter;
/// use genai_otel::timeline::TimelineOptions;
/// use opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let exporter = ConsoleExporter::new() // stderr, colored when stderr is a terminal
///     .with_options(TimelineOptions::default().with_content(true))
///     .with_max_pending_traces(100);
/// let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).build();
/// # drop(provider);
/// ```
pub struct ConsoleExporter {
    writer: Mutex<Box<dyn Write + Send>>,
    options: TimelineOptions,
    max_pending_traces: usize,
    max_pending_spans: usize,
    resource: Arc<Attributes>,
    pending: Mutex<Pending>,
    shut_down: AtomicBool,
}

impl fmt::Debug for ConsoleExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pending = lock(&self.pending);
        f.debug_struct("ConsoleExporter")
            .field("options", &self.options)
            .field("max_pending_traces", &self.max_pending_traces)
            .field("max_pending_spans", &self.max_pending_spans)
            .field("pending_traces", &pending.traces.len())
            .field("pending_spans", &pending.span_count)
            .finish_non_exhaustive()
    }
}

/// Spans waiting for their local root, oldest trace first.
#[derive(Default)]
struct Pending {
    /// trace id -> (arrival sequence, spans)
    traces: HashMap<String, (u64, Vec<SpanRecord>)>,
    /// arrival sequence -> trace id
    order: BTreeMap<u64, String>,
    next_seq: u64,
    span_count: usize,
}

impl Pending {
    fn push(&mut self, span: SpanRecord) {
        self.span_count += 1;
        if let Some((_, spans)) = self.traces.get_mut(&span.trace_id) {
            spans.push(span);
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, span.trace_id.clone());
        self.traces.insert(span.trace_id.clone(), (seq, vec![span]));
    }

    fn take(&mut self, trace_id: &str) -> Option<Vec<SpanRecord>> {
        let (seq, spans) = self.traces.remove(trace_id)?;
        self.order.remove(&seq);
        self.span_count -= spans.len();
        Some(spans)
    }

    fn take_oldest(&mut self) -> Option<Vec<SpanRecord>> {
        let (_, trace_id) = self.order.pop_first()?;
        let (_, spans) = self.traces.remove(&trace_id)?;
        self.span_count -= spans.len();
        Some(spans)
    }
}

impl Default for ConsoleExporter {
    fn default() -> Self {
        ConsoleExporter::new()
    }
}

impl ConsoleExporter {
    /// Writes to stderr; colors are on when stderr is a terminal and `NO_COLOR` is unset.
    ///
    /// # Examples
    ///
    /// ```
    /// let exporter = genai_otel::console::ConsoleExporter::new();
    /// # drop(exporter);
    /// ```
    pub fn new() -> Self {
        let color = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        ConsoleExporter::with_writer(io::stderr())
            .with_options(TimelineOptions::default().with_color(color))
    }

    /// Writes to stdout; colors are on when stdout is a terminal and `NO_COLOR` is unset.
    ///
    /// # Examples
    ///
    /// ```
    /// let exporter = genai_otel::console::ConsoleExporter::stdout();
    /// # drop(exporter);
    /// ```
    pub fn stdout() -> Self {
        let color = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        ConsoleExporter::with_writer(io::stdout())
            .with_options(TimelineOptions::default().with_color(color))
    }

    /// Writes to `writer`, with default (uncolored) [`TimelineOptions`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::console::{ConsoleExporter, SharedBuffer};
    /// let exporter = ConsoleExporter::with_writer(SharedBuffer::new());
    /// # drop(exporter);
    /// ```
    pub fn with_writer(writer: impl Write + Send + 'static) -> Self {
        ConsoleExporter {
            writer: Mutex::new(Box::new(writer)),
            options: TimelineOptions::default(),
            max_pending_traces: DEFAULT_MAX_PENDING_TRACES,
            max_pending_spans: DEFAULT_MAX_PENDING_SPANS,
            resource: Arc::new(Vec::new()),
            pending: Mutex::new(Pending::default()),
            shut_down: AtomicBool::new(false),
        }
    }

    /// Sets the timeline options.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::console::{ConsoleExporter, SharedBuffer};
    /// use genai_otel::timeline::TimelineOptions;
    /// let exporter = ConsoleExporter::with_writer(SharedBuffer::new())
    ///     .with_options(TimelineOptions::default().with_color(true));
    /// # drop(exporter);
    /// ```
    #[must_use]
    pub fn with_options(mut self, options: TimelineOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets how many traces may wait for their root before the oldest is printed as
    /// partial (minimum 1). Default [`DEFAULT_MAX_PENDING_TRACES`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::console::{ConsoleExporter, SharedBuffer};
    /// let exporter = ConsoleExporter::with_writer(SharedBuffer::new()).with_max_pending_traces(10);
    /// # drop(exporter);
    /// ```
    #[must_use]
    pub fn with_max_pending_traces(mut self, traces: usize) -> Self {
        self.max_pending_traces = traces.max(1);
        self
    }

    /// Sets how many spans in total may wait for their roots before the oldest traces are
    /// printed as partial (minimum 1). Default [`DEFAULT_MAX_PENDING_SPANS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::console::{ConsoleExporter, SharedBuffer};
    /// let exporter = ConsoleExporter::with_writer(SharedBuffer::new()).with_max_pending_spans(5_000);
    /// # drop(exporter);
    /// ```
    #[must_use]
    pub fn with_max_pending_spans(mut self, spans: usize) -> Self {
        self.max_pending_spans = spans.max(1);
        self
    }

    /// Buffers a batch and returns the text of every trace that is now ready to print.
    fn accept(&self, batch: Vec<SpanData>) -> String {
        let mut ready: Vec<(Vec<SpanRecord>, Option<&'static str>)> = Vec::new();
        {
            let mut pending = lock(&self.pending);
            let mut roots: Vec<String> = Vec::new();
            for span in &batch {
                let record = SpanRecord::from_span_data_shared(span, Arc::clone(&self.resource));
                if record.is_local_root() {
                    roots.push(record.trace_id.clone());
                }
                pending.push(record);
            }
            for trace_id in roots {
                if let Some(spans) = pending.take(&trace_id) {
                    ready.push((spans, None));
                }
            }
            while pending.traces.len() > self.max_pending_traces
                || pending.span_count > self.max_pending_spans
            {
                match pending.take_oldest() {
                    Some(spans) => ready.push((
                        spans,
                        Some("partial: root span not received yet; printed early because too many traces were waiting"),
                    )),
                    None => break,
                }
            }
        }
        let mut text = String::new();
        for (spans, note) in ready {
            text.push_str(&self.render_trace(&spans, note));
        }
        text
    }

    fn render_trace(&self, spans: &[SpanRecord], note: Option<&str>) -> String {
        let Some(first) = spans.first() else {
            return String::new();
        };
        let mut header = format!("trace {}", first.trace_id);
        if let Some(service) = first.resource_str("service.name") {
            header.push_str("  ");
            header.push_str(service);
        }
        header.push_str(&format!(
            "  {} span{}",
            spans.len(),
            if spans.len() == 1 { "" } else { "s" }
        ));
        let start = spans.iter().map(|s| s.start_unix_nanos).min().unwrap_or(0);
        let end = spans.iter().map(|s| s.end_unix_nanos).max().unwrap_or(0);
        header.push_str("  ");
        header.push_str(&format_duration(end.saturating_sub(start)));
        if let Some(note) = note {
            header.push_str(&format!("  ({note})"));
        }
        // The header holds a service name from the resource: escape control characters
        // as the timeline does.
        let header = sanitize(&header);
        format!("{header}\n{}\n", render(spans, &self.options))
    }

    fn write(&self, text: &str) -> OTelSdkResult {
        if text.is_empty() {
            return Ok(());
        }
        let mut writer = lock(&self.writer);
        writer
            .write_all(text.as_bytes())
            .and_then(|()| writer.flush())
            .map_err(|err| {
                OTelSdkError::InternalFailure(format!(
                    "console exporter cannot write the trace timeline: {err}; \
                     check that the output stream is open"
                ))
            })
    }

    fn flush_all_partial(&self) -> OTelSdkResult {
        let mut text = String::new();
        loop {
            let spans = lock(&self.pending).take_oldest();
            match spans {
                Some(spans) => text.push_str(&self.render_trace(
                    &spans,
                    Some("partial: root span not received before shutdown"),
                )),
                None => break,
            }
        }
        self.write(&text)
    }
}

impl SpanExporter for ConsoleExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if self.shut_down.load(Ordering::Acquire) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let text = self.accept(batch);
        self.write(&text)
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        self.flush_all_partial()
    }

    fn force_flush(&self) -> OTelSdkResult {
        // Waiting traces are not printed here: printing them now would split a trace whose
        // root is still running. Only the writer is flushed.
        lock(&self.writer).flush().map_err(|err| {
            OTelSdkError::InternalFailure(format!(
                "console exporter cannot flush its output: {err}"
            ))
        })
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource_attributes(resource);
    }
}
