//! The local trace store: an append-only directory of OTLP/JSON Lines files.
//!
//! [`LocalStore`] is a [`SpanExporter`]: each export appends one line holding one OTLP
//! `ExportTraceServiceRequest` (see [`encode_request`]) to the current file of the store
//! directory. The files are the same JSON Lines format the OpenTelemetry Collector's file
//! exporter writes, so `jq`, the Collector's `otlpjsonfile` receiver and this module's
//! reader all read them.
//!
//! # Layout and guarantees
//!
//! * Directory: [`default_store_dir`] (`.genai-otel/traces` under the working directory,
//!   or `$GENAI_OTEL_STORE_DIR`).
//! * File names: `traces-{UTC YYYYMMDDTHHMMSSZ}-{pid}-{seq:06}.jsonl`. Within one process
//!   the lexicographic order of names is the write order (the timestamp never goes back
//!   and `seq` is a process-wide counter); processes never share a file (the pid is in
//!   the name and files are created with `create_new`).
//! * Each export is one `write_all` of `line + "\n"` on a file opened in append mode, so
//!   a reader sees whole lines unless the process dies mid-write (the reader then reports
//!   that line's file and number). Nothing is buffered in the process and no file is ever
//!   truncated or rewritten. There is no `fsync`: data survives a process crash, not a
//!   power loss.
//! * Rotation: a new file is started before a line would push the current file past
//!   [`StoreOptions::max_file_bytes`] (default 64 MiB). A single line larger than the limit
//!   is written whole to a file of its own. After a failed write the next export starts
//!   a new file, so a partial line is never followed by more data in the same file.
//!
//! # Reading
//!
//! [`store_files`] lists a store's files in order, [`SpanReader`] streams span records
//! line by line (memory is bounded by the largest line, not the store), [`read_trace`]
//! collects one trace and [`group_by_trace`] groups records.
//!
//! # Examples
//!
//! ```
//! use genai_otel::store::{read_trace, LocalStore, SpanReader, StoreOptions};
//! use opentelemetry::trace::{Tracer, TracerProvider};
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//!
//! let dir = std::env::temp_dir().join(format!("genai-otel-doc-store-{}", std::process::id()));
//! let store = LocalStore::open(&dir, StoreOptions::default())?;
//! let provider = SdkTracerProvider::builder().with_simple_exporter(store).build();
//! provider.tracer("app").in_span("invoke_agent support_agent", |_cx| {});
//! provider.shutdown()?;
//!
//! let spans: Vec<_> = SpanReader::open(&dir)?.collect::<Result<_, _>>()?;
//! assert_eq!(spans.len(), 1);
//! let trace = read_trace(&dir, &spans[0].trace_id)?;
//! assert_eq!(trace[0].name, "invoke_agent support_agent");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

use crate::otlp_json::{decode_request, encode_request, DecodeError, SpanRecord};

/// Default store directory, relative to the working directory: `.genai-otel/traces`.
///
/// # Examples
///
/// ```
/// assert_eq!(genai_otel::store::DEFAULT_STORE_DIR, ".genai-otel/traces");
/// ```
pub const DEFAULT_STORE_DIR: &str = ".genai-otel/traces";

/// Environment variable that overrides [`DEFAULT_STORE_DIR`]: `GENAI_OTEL_STORE_DIR`.
///
/// # Examples
///
/// ```
/// assert_eq!(genai_otel::store::STORE_DIR_ENV, "GENAI_OTEL_STORE_DIR");
/// ```
pub const STORE_DIR_ENV: &str = "GENAI_OTEL_STORE_DIR";

/// Default [`StoreOptions::max_file_bytes`]: 64 MiB.
///
/// # Examples
///
/// ```
/// assert_eq!(genai_otel::store::DEFAULT_MAX_FILE_BYTES, 64 << 20);
/// ```
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The store directory to use: `$GENAI_OTEL_STORE_DIR` if set and non-empty, otherwise
/// [`DEFAULT_STORE_DIR`] (relative, resolved against the working directory when opened).
///
/// # Examples
///
/// ```
/// use genai_otel::store::{default_store_dir, DEFAULT_STORE_DIR, STORE_DIR_ENV};
/// if std::env::var_os(STORE_DIR_ENV).is_none() {
///     assert_eq!(default_store_dir(), std::path::PathBuf::from(DEFAULT_STORE_DIR));
/// }
/// ```
pub fn default_store_dir() -> PathBuf {
    match std::env::var_os(STORE_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DEFAULT_STORE_DIR),
    }
}

/// Options of a [`LocalStore`].
///
/// # Examples
///
/// ```
/// use genai_otel::store::{StoreOptions, DEFAULT_MAX_FILE_BYTES};
/// assert_eq!(StoreOptions::default().max_file_bytes, DEFAULT_MAX_FILE_BYTES);
/// let small = StoreOptions::default().with_max_file_bytes(1 << 20);
/// assert_eq!(small.max_file_bytes, 1 << 20);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreOptions {
    /// Size at which the store starts a new file. Default [`DEFAULT_MAX_FILE_BYTES`]
    /// (64 MiB). A line is never split: a file exceeds the limit only when its single line
    /// does. `0` puts every export in a file of its own.
    pub max_file_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

impl StoreOptions {
    /// Sets [`StoreOptions::max_file_bytes`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::store::StoreOptions;
    /// assert_eq!(StoreOptions::default().with_max_file_bytes(4096).max_file_bytes, 4096);
    /// ```
    #[must_use]
    pub fn with_max_file_bytes(mut self, max_file_bytes: u64) -> Self {
        self.max_file_bytes = max_file_bytes;
        self
    }
}

/// Errors of opening, writing or reading a store. Every message names the path and what
/// to do about it.
///
/// # Examples
///
/// ```
/// use genai_otel::store::{LocalStore, StoreError, StoreOptions};
/// // A directory cannot be created below a regular file.
/// let file = std::env::temp_dir().join(format!("genai-otel-doc-file-{}", std::process::id()));
/// std::fs::write(&file, b"")?;
/// let err = LocalStore::open(file.join("traces"), StoreOptions::default()).unwrap_err();
/// assert!(matches!(err, StoreError::CreateDir { .. }));
/// assert!(err.to_string().contains("GENAI_OTEL_STORE_DIR"));
/// # std::fs::remove_file(&file)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The store directory could not be created.
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A file could not be created in the store directory (checked by [`LocalStore::open`]
    /// with a probe file, and on every rotation).
    CreateFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Appending to a store file failed.
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The path to read does not exist.
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// The store directory could not be listed.
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A store file could not be read or holds a bad line.
    Read(ReadError),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::CreateDir { path, source } => write!(
                f,
                "cannot create store directory {}: {source}; set {STORE_DIR_ENV} to a writable directory",
                path.display()
            ),
            StoreError::CreateFile { path, source } => write!(
                f,
                "cannot create store file {}: {source}; make the directory writable or set {STORE_DIR_ENV} to a writable directory",
                path.display()
            ),
            StoreError::Write { path, source } => write!(
                f,
                "cannot append to store file {}: {source}; check free disk space and permissions (the next export starts a new file)",
                path.display()
            ),
            StoreError::NotFound { path } => write!(
                f,
                "no trace store at {}; pass the store directory (default {DEFAULT_STORE_DIR} under the application's working directory, or ${STORE_DIR_ENV})",
                path.display()
            ),
            StoreError::ReadDir { path, source } => write!(
                f,
                "cannot list store directory {}: {source}; check its permissions",
                path.display()
            ),
            StoreError::Read(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::CreateDir { source, .. }
            | StoreError::CreateFile { source, .. }
            | StoreError::Write { source, .. }
            | StoreError::ReadDir { source, .. } => Some(source),
            StoreError::NotFound { .. } => None,
            StoreError::Read(err) => Some(err),
        }
    }
}

impl From<ReadError> for StoreError {
    fn from(err: ReadError) -> Self {
        StoreError::Read(err)
    }
}

/// A store file that could not be opened or read, or a line in it that does not decode.
///
/// # Examples
///
/// ```
/// use genai_otel::store::{ReadErrorKind, SpanReader};
/// let file = std::env::temp_dir().join(format!("genai-otel-doc-bad-{}.jsonl", std::process::id()));
/// std::fs::write(&file, "{\"resourceSpans\":[]}\nnot json\n")?;
/// let err = SpanReader::open(&file)?.next().unwrap().unwrap_err();
/// assert_eq!(err.line, 2);
/// assert!(matches!(err.kind, ReadErrorKind::Decode(_)));
/// assert!(err.to_string().contains(":2:"));
/// # std::fs::remove_file(&file)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ReadError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number; 0 when the file itself could not be opened.
    pub line: u64,
    /// What went wrong.
    pub kind: ReadErrorKind,
}

/// What went wrong in a [`ReadError`].
///
/// # Examples
///
/// ```
/// use genai_otel::store::ReadErrorKind;
/// let kind = ReadErrorKind::Io(std::io::Error::other("disk gone"));
/// assert!(matches!(kind, ReadErrorKind::Io(_)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// Opening or reading the file failed.
    Io(io::Error),
    /// The line is not an OTLP/JSON trace request.
    Decode(DecodeError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ReadErrorKind::Io(err) if self.line == 0 => {
                write!(f, "cannot open store file {}: {err}", self.path.display())
            }
            ReadErrorKind::Io(err) => write!(
                f,
                "cannot read store file {} after line {}: {err}",
                self.path.display(),
                self.line.saturating_sub(1)
            ),
            ReadErrorKind::Decode(err) => write!(
                f,
                "{}:{}: {err}; fix or delete that line to read the rest of the trace",
                self.path.display(),
                self.line
            ),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ReadErrorKind::Io(err) => Some(err),
            ReadErrorKind::Decode(err) => Some(err),
        }
    }
}

// =============================================================================================
// Writer
// =============================================================================================

/// Process-wide file sequence number: two stores in one process never pick the same name.
static NEXT_FILE_SEQ: AtomicU64 = AtomicU64::new(0);

/// A [`SpanExporter`] that appends every exported batch as one OTLP/JSON line to a local
/// directory (see the [module docs](self) for the layout and guarantees).
///
/// Register it like any exporter; with `with_simple_exporter` each span is written when it
/// ends, with `with_batch_exporter` each batch is one line. The resource the provider passes
/// through `set_resource` is written into every line.
///
/// # Examples
///
/// ```
/// use genai_otel::store::{LocalStore, StoreOptions};
/// use opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let dir = std::env::temp_dir().join(format!("genai-otel-doc-local-{}", std::process::id()));
/// let store = LocalStore::open(&dir, StoreOptions::default())?;
/// assert_eq!(store.dir(), dir.as_path());
/// assert_eq!(store.current_file(), None); // files are created on the first export
/// let provider = SdkTracerProvider::builder().with_batch_exporter(store).build();
/// # drop(provider);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LocalStore {
    dir: PathBuf,
    options: StoreOptions,
    resource: Resource,
    state: Mutex<WriterState>,
    shut_down: AtomicBool,
}

#[derive(Debug, Default)]
struct WriterState {
    file: Option<File>,
    path: Option<PathBuf>,
    file_bytes: u64,
    total_bytes: u64,
    last_stamp_secs: u64,
}

impl LocalStore {
    /// Opens (creating if needed) the store directory `dir` and checks that files can be
    /// created in it. The first data file is created by the first export.
    ///
    /// # Errors
    ///
    /// [`StoreError::CreateDir`] if the directory cannot be created,
    /// [`StoreError::CreateFile`] if a file cannot be created in it.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::store::{LocalStore, StoreOptions};
    /// let dir = std::env::temp_dir().join(format!("genai-otel-doc-open-{}", std::process::id()));
    /// let store = LocalStore::open(&dir, StoreOptions::default().with_max_file_bytes(1 << 20))?;
    /// assert!(dir.is_dir());
    /// assert_eq!(store.bytes_written(), 0);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dir: impl Into<PathBuf>, options: StoreOptions) -> Result<LocalStore, StoreError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|source| StoreError::CreateDir {
            path: dir.clone(),
            source,
        })?;
        let probe = dir.join(format!(
            ".write-probe-{}-{}",
            std::process::id(),
            NEXT_FILE_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map_err(|source| StoreError::CreateFile {
                path: probe.clone(),
                source,
            })?;
        // A probe that cannot be removed is only clutter; the directory is writable.
        let _ = fs::remove_file(&probe);
        Ok(LocalStore {
            dir,
            options,
            resource: Resource::builder_empty().build(),
            state: Mutex::new(WriterState::default()),
            shut_down: AtomicBool::new(false),
        })
    }

    /// The store directory.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::store::{LocalStore, StoreOptions};
    /// let dir = std::env::temp_dir().join(format!("genai-otel-doc-dir-{}", std::process::id()));
    /// assert_eq!(LocalStore::open(&dir, StoreOptions::default())?.dir(), dir);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file the next export appends to (unless it rotates), `None` before the first
    /// export and after a failed write or shutdown.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::store::{LocalStore, StoreOptions};
    /// let dir = std::env::temp_dir().join(format!("genai-otel-doc-cur-{}", std::process::id()));
    /// assert!(LocalStore::open(&dir, StoreOptions::default())?.current_file().is_none());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn current_file(&self) -> Option<PathBuf> {
        self.lock_state().path.clone()
    }

    /// Bytes this store has appended, over all its files.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::store::{LocalStore, StoreOptions};
    /// let dir = std::env::temp_dir().join(format!("genai-otel-doc-bytes-{}", std::process::id()));
    /// assert_eq!(LocalStore::open(&dir, StoreOptions::default())?.bytes_written(), 0);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bytes_written(&self) -> u64 {
        self.lock_state().total_bytes
    }

    /// The options the store was opened with.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::store::{LocalStore, StoreOptions};
    /// let dir = std::env::temp_dir().join(format!("genai-otel-doc-opts-{}", std::process::id()));
    /// let store = LocalStore::open(&dir, StoreOptions::default().with_max_file_bytes(10))?;
    /// assert_eq!(store.options().max_file_bytes, 10);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    /// Appends one encoded request line (without newline) to the store.
    fn append_line(&self, line: &str) -> Result<(), StoreError> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let len = bytes.len() as u64;

        let mut state = self.lock_state();
        let rotate = match state.file {
            None => true,
            Some(_) => {
                state.file_bytes > 0
                    && state.file_bytes.saturating_add(len) > self.options.max_file_bytes
            }
        };
        if rotate {
            self.start_file(&mut state)?;
        }
        let WriterState { file, path, .. } = &mut *state;
        let (Some(file), Some(path)) = (file.as_mut(), path.as_ref()) else {
            // `start_file` either set both or returned an error.
            return Err(StoreError::Write {
                path: self.dir.clone(),
                source: io::Error::other("no open store file"),
            });
        };
        match file.write_all(&bytes) {
            Ok(()) => {
                state.file_bytes += len;
                state.total_bytes += len;
                Ok(())
            }
            Err(source) => {
                let path = path.clone();
                // The file may now end in a partial line: never append to it again.
                state.file = None;
                state.path = None;
                Err(StoreError::Write { path, source })
            }
        }
    }

    fn start_file(&self, state: &mut WriterState) -> Result<(), StoreError> {
        state.file = None;
        state.path = None;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        // Never let the timestamp in the name go back (clock adjustments), so names keep
        // sorting in write order.
        let secs = now.max(state.last_stamp_secs);
        state.last_stamp_secs = secs;
        let pid = std::process::id();
        // `create_new` never opens an existing file; retry with the next sequence number
        // in the (unlikely) event of a name collision with a stale file.
        let mut last_err = None;
        for _ in 0..16 {
            let seq = NEXT_FILE_SEQ.fetch_add(1, Ordering::Relaxed);
            let path = self
                .dir
                .join(format!("traces-{}-{pid}-{seq:06}.jsonl", utc_stamp(secs)));
            match OpenOptions::new().append(true).create_new(true).open(&path) {
                Ok(file) => {
                    state.file = Some(file);
                    state.path = Some(path);
                    state.file_bytes = 0;
                    return Ok(());
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                    last_err = Some((path, err));
                }
                Err(source) => return Err(StoreError::CreateFile { path, source }),
            }
        }
        let (path, source) = last_err.unwrap_or_else(|| {
            (
                self.dir.clone(),
                io::Error::other("no free file name in the store directory"),
            )
        });
        Err(StoreError::CreateFile { path, source })
    }

    fn lock_state(&self) -> MutexGuard<'_, WriterState> {
        // The state stays consistent even if a holder panicked (every update is a plain
        // field assignment), so a poisoned lock is recovered rather than propagated.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SpanExporter for LocalStore {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if self.shut_down.load(Ordering::Acquire) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        if batch.is_empty() {
            return Ok(());
        }
        let line = encode_request(&self.resource, &batch);
        self.append_line(&line)
            .map_err(|err| OTelSdkError::InternalFailure(err.to_string()))
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let mut state = self.lock_state();
        state.file = None;
        state.path = None;
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        // Every export is written straight to the OS; there is nothing buffered here.
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.clone();
    }
}

/// `YYYYMMDDTHHMMSSZ` for seconds since the Unix epoch (UTC, proleptic Gregorian).
fn utc_stamp(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's `civil_from_days` for
/// non-negative day counts.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

// =============================================================================================
// Reader
// =============================================================================================

/// The files of a store in read order: for a directory, its `*.jsonl` and `*.json` files
/// (not recursive, hidden files skipped) sorted by name, which is write order; for a file,
/// the file itself.
///
/// # Errors
///
/// [`StoreError::NotFound`] if `path` does not exist, [`StoreError::ReadDir`] if the
/// directory cannot be listed.
///
/// # Examples
///
/// ```
/// use genai_otel::store::{store_files, StoreError};
/// let dir = std::env::temp_dir().join(format!("genai-otel-doc-files-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("traces-b.jsonl"), "")?;
/// std::fs::write(dir.join("traces-a.jsonl"), "")?;
/// std::fs::write(dir.join("notes.txt"), "")?;
/// let names: Vec<_> = store_files(&dir)?.iter().map(|p| p.file_name().unwrap().to_owned()).collect();
/// assert_eq!(names, ["traces-a.jsonl", "traces-b.jsonl"]);
/// assert!(matches!(store_files(&dir.join("missing")), Err(StoreError::NotFound { .. })));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn store_files(path: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(StoreError::NotFound {
                path: path.to_path_buf(),
            })
        }
        Err(source) => {
            return Err(StoreError::ReadDir {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    if !metadata.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let read_dir_err = |source| StoreError::ReadDir {
        path: path.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in fs::read_dir(path).map_err(read_dir_err)? {
        let entry = entry.map_err(read_dir_err)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || !(name.ends_with(".jsonl") || name.ends_with(".json")) {
            continue;
        }
        let is_file = match entry.file_type() {
            Ok(kind) if kind.is_symlink() => entry.path().is_file(),
            Ok(kind) => kind.is_file(),
            Err(_) => false,
        };
        if is_file {
            files.push(entry.path());
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Streams the span records of store files line by line.
///
/// Yields `Err` for a file that cannot be opened or read (then moves to the next file) and
/// for a line that does not decode (then moves to the next line), so one bad line does not
/// hide the rest of the store. Blank lines are skipped. Memory use is bounded by the largest
/// line.
///
/// # Examples
///
/// ```
/// use genai_otel::store::SpanReader;
/// let file = std::env::temp_dir().join(format!("genai-otel-doc-reader-{}.jsonl", std::process::id()));
/// std::fs::write(&file, concat!(
///     r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"a"}]}]}]}"#, "\n",
///     "\n",
///     r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"b"}]}]}]}"#, "\n",
/// ))?;
/// let names: Vec<String> = SpanReader::open(&file)?.map(|r| r.map(|s| s.name)).collect::<Result<_, _>>()?;
/// assert_eq!(names, ["a", "b"]);
/// # std::fs::remove_file(&file)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SpanReader {
    files: std::vec::IntoIter<PathBuf>,
    current: Option<OpenFile>,
    pending: std::vec::IntoIter<SpanRecord>,
    buf: Vec<u8>,
}

#[derive(Debug)]
struct OpenFile {
    path: PathBuf,
    reader: BufReader<File>,
    line: u64,
}

impl SpanReader {
    /// A reader over [`store_files`]`(path)`.
    ///
    /// # Errors
    ///
    /// As [`store_files`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::store::{SpanReader, StoreError};
    /// let missing = std::env::temp_dir().join("genai-otel-doc-no-such-store");
    /// assert!(matches!(SpanReader::open(&missing), Err(StoreError::NotFound { .. })));
    /// ```
    pub fn open(path: &Path) -> Result<SpanReader, StoreError> {
        Ok(SpanReader::from_files(store_files(path)?))
    }

    /// A reader over the given files, in the given order.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::store::SpanReader;
    /// assert_eq!(SpanReader::from_files(Vec::new()).count(), 0);
    /// ```
    pub fn from_files(files: Vec<PathBuf>) -> SpanReader {
        SpanReader {
            files: files.into_iter(),
            current: None,
            pending: Vec::new().into_iter(),
            buf: Vec::new(),
        }
    }
}

impl Iterator for SpanReader {
    type Item = Result<SpanRecord, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(record) = self.pending.next() {
                return Some(Ok(record));
            }
            let current = match &mut self.current {
                Some(current) => current,
                None => {
                    let path = self.files.next()?;
                    match File::open(&path) {
                        Ok(file) => self.current.insert(OpenFile {
                            path,
                            reader: BufReader::with_capacity(64 * 1024, file),
                            line: 0,
                        }),
                        Err(err) => {
                            return Some(Err(ReadError {
                                path,
                                line: 0,
                                kind: ReadErrorKind::Io(err),
                            }))
                        }
                    }
                }
            };
            self.buf.clear();
            match current.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.current = None;
                }
                Ok(_) => {
                    current.line += 1;
                    let decoded = match std::str::from_utf8(&self.buf) {
                        Ok(text) if text.trim().is_empty() => continue,
                        Ok(text) => decode_request(text),
                        Err(err) => Err(DecodeError::Syntax {
                            message: format!("invalid UTF-8: {err}"),
                        }),
                    };
                    match decoded {
                        Ok(records) => self.pending = records.into_iter(),
                        Err(err) => {
                            return Some(Err(ReadError {
                                path: current.path.clone(),
                                line: current.line,
                                kind: ReadErrorKind::Decode(err),
                            }))
                        }
                    }
                }
                Err(err) => {
                    let path = current.path.clone();
                    let line = current.line + 1;
                    self.current = None;
                    return Some(Err(ReadError {
                        path,
                        line,
                        kind: ReadErrorKind::Io(err),
                    }));
                }
            }
        }
    }
}

/// All spans of trace `trace_id` (hex, any case) in the store at `path`, sorted by start
/// time. Streams the store and keeps only that trace's spans in memory.
///
/// # Errors
///
/// As [`store_files`], and [`StoreError::Read`] for the first unreadable file or bad line
/// (use [`SpanReader`] directly to skip bad lines).
///
/// # Examples
///
/// ```
/// use genai_otel::store::read_trace;
/// let file = std::env::temp_dir().join(format!("genai-otel-doc-read-{}.jsonl", std::process::id()));
/// std::fs::write(&file, concat!(
///     r#"{"resourceSpans":[{"scopeSpans":[{"spans":["#,
///     r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"root","startTimeUnixNano":"2"},"#,
///     r#"{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"other"}"#,
///     r#"]}]}]}"#, "\n",
/// ))?;
/// let trace = read_trace(&file, "5B8EFFF798038103D269B633813FC60C")?;
/// assert_eq!(trace.len(), 1);
/// assert_eq!(trace[0].name, "root");
/// # std::fs::remove_file(&file)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_trace(path: &Path, trace_id: &str) -> Result<Vec<SpanRecord>, StoreError> {
    let wanted = trace_id.trim().to_ascii_lowercase();
    let mut spans = Vec::new();
    for record in SpanReader::open(path)? {
        let record = record?;
        if record.trace_id == wanted {
            spans.push(record);
        }
    }
    spans.sort_by_key(|s| s.start_unix_nanos);
    Ok(spans)
}

/// Groups records by trace id, traces in order of their first record, spans of a trace
/// sorted by start time (ties keep input order).
///
/// # Examples
///
/// ```
/// use genai_otel::store::group_by_trace;
/// use genai_otel::otlp_json::SpanRecord;
/// let span = |trace: &str, start| SpanRecord { trace_id: trace.into(), start_unix_nanos: start, ..Default::default() };
/// let traces = group_by_trace(vec![span("b", 5), span("a", 1), span("b", 2)]);
/// assert_eq!(traces.len(), 2);
/// assert_eq!(traces[0][0].trace_id, "b");
/// assert_eq!(traces[0][0].start_unix_nanos, 2);
/// ```
pub fn group_by_trace(records: impl IntoIterator<Item = SpanRecord>) -> Vec<Vec<SpanRecord>> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut traces: Vec<Vec<SpanRecord>> = Vec::new();
    for record in records {
        match index.get(&record.trace_id) {
            Some(&i) => traces[i].push(record),
            None => {
                index.insert(record.trace_id.clone(), traces.len());
                traces.push(vec![record]);
            }
        }
    }
    for trace in &mut traces {
        trace.sort_by_key(|s| s.start_unix_nanos);
    }
    traces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamp_matches_known_dates() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        // 2000-02-29T12:34:56Z (leap day)
        assert_eq!(utc_stamp(951_827_696), "20000229T123456Z");
        // 2026-06-03T17:00:00Z
        assert_eq!(utc_stamp(1_780_506_000), "20260603T170000Z");
        // 2100-03-01T00:00:00Z (2100 is not a leap year)
        assert_eq!(utc_stamp(4_107_542_400), "21000301T000000Z");
    }
}
