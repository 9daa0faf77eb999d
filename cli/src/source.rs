//! SOURCE: where spans come from, and streaming them.
//!
//! A source is a path (a store directory, a directory of OTLP/JSON files, or one such file;
//! default [`genai_otel::store::default_store_dir`]) or a Phoenix server (`--phoenix URL`).
//! [`Source::scan`] hands every span to a callback one at a time: files are read line by
//! line with [`SpanReader`], Phoenix page by page, so no command holds a whole store.
//!
//! Unreadable lines (a line cut short by a crash, a foreign line that is not OTLP/JSON) are
//! skipped and counted; the commands print one warning naming the first of them.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use clap::Args;
use genai_otel::otlp_json::SpanRecord;
use genai_otel::store::{default_store_dir, SpanReader, StoreError};

use crate::error::CliError;
use crate::phoenix::Phoenix;

/// Options that pick a backend instead of files (shared by every command).
#[derive(Debug, Clone, Args)]
pub(crate) struct BackendArgs {
    /// Read spans from an Arize Phoenix server's REST API instead of files
    /// (e.g. http://127.0.0.1:6006; plain HTTP). SOURCE must then be omitted.
    #[arg(long, value_name = "URL")]
    pub(crate) phoenix: Option<String>,
    /// The Phoenix project to read: the `openinference.project.name` resource attribute the
    /// traces were sent with.
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub(crate) project: String,
}

/// Where spans are read from.
#[derive(Debug)]
pub(crate) enum Source {
    /// A store directory, a directory of OTLP/JSON files, or one file.
    Files {
        /// The path as given (or the default store).
        path: PathBuf,
        /// Whether the path was given on the command line (it is then repeated in suggested
        /// commands).
        explicit: bool,
    },
    /// A Phoenix server.
    Phoenix(Phoenix),
}

/// What a scan saw besides the spans it delivered.
#[derive(Debug, Default)]
pub(crate) struct ScanStats {
    /// Spans delivered.
    pub(crate) spans: u64,
    /// Lines (or records) that could not be read and were skipped.
    pub(crate) skipped: u64,
    /// The first skipped line's error, naming its file and line.
    pub(crate) first_problem: Option<String>,
}

impl ScanStats {
    /// Prints a warning on standard error when lines were skipped.
    pub(crate) fn warn(&self) {
        if let Some(problem) = &self.first_problem {
            let more = match self.skipped {
                0 | 1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            eprintln!("warning: skipped an unreadable line{more}: {problem}");
        }
    }
}

impl Source {
    /// The source for an optional SOURCE argument and the backend options.
    pub(crate) fn resolve(path: Option<&str>, backend: &BackendArgs) -> Result<Source, CliError> {
        match (&backend.phoenix, path) {
            (Some(url), None) => Ok(Source::Phoenix(Phoenix::new(url, &backend.project)?)),
            (Some(_), Some(path)) => Err(CliError::usage(format!(
                "both SOURCE `{path}` and --phoenix were given; use one of them"
            ))),
            (None, Some(path)) => Ok(Source::Files {
                path: PathBuf::from(path),
                explicit: true,
            }),
            (None, None) => Ok(Source::Files {
                path: default_store_dir(),
                explicit: false,
            }),
        }
    }

    /// A human description: the path, or `Phoenix project P at URL`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Source::Files { path, .. } => path.display().to_string(),
            Source::Phoenix(phoenix) => phoenix.describe(),
        }
    }

    /// The arguments that select this source again in a suggested command, with a leading
    /// space (empty for the default store).
    pub(crate) fn command_args(&self) -> String {
        match self {
            Source::Files {
                explicit: false, ..
            } => String::new(),
            Source::Files { path, .. } => format!(" {}", shell_quote(&path.display().to_string())),
            Source::Phoenix(phoenix) => format!(
                " --phoenix {} --project {}",
                shell_quote(phoenix.url()),
                shell_quote(phoenix.project())
            ),
        }
    }

    /// Hands every span to `each`, until `each` breaks (its output went away: `list --limit
    /// 0 | head`). With `trace_ids` (full 32-character ids), a backend that can filter
    /// returns only those traces; files are always read whole.
    pub(crate) fn scan(
        &self,
        trace_ids: Option<&[String]>,
        each: &mut dyn FnMut(SpanRecord) -> ControlFlow<()>,
    ) -> Result<ScanStats, CliError> {
        match self {
            Source::Files { path, .. } => scan_files(path, each),
            Source::Phoenix(phoenix) => phoenix.scan(trace_ids, each),
        }
    }
}

fn scan_files(
    path: &Path,
    each: &mut dyn FnMut(SpanRecord) -> ControlFlow<()>,
) -> Result<ScanStats, CliError> {
    let reader = SpanReader::open(path).map_err(|err| match err {
        StoreError::NotFound { .. } => CliError::failed(format!(
            "{err}; or pass an OTLP/JSON file or directory as SOURCE, or --phoenix URL"
        )),
        other => CliError::failed(other.to_string()),
    })?;
    let mut stats = ScanStats::default();
    for record in reader {
        match record {
            Ok(span) => {
                stats.spans += 1;
                if each(span).is_break() {
                    break;
                }
            }
            Err(err) => {
                stats.skipped += 1;
                if stats.first_problem.is_none() {
                    stats.first_problem = Some(err.to_string());
                }
            }
        }
    }
    Ok(stats)
}

/// Quotes `text` for a POSIX shell when it needs it.
pub(crate) fn shell_quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

// ---- trace ids ---------------------------------------------------------------------------------

/// Shortest accepted trace-id prefix.
pub(crate) const MIN_PREFIX: usize = 8;

/// Whether `text` is a trace id or a prefix of one: 8 to 32 hex digits.
pub(crate) fn looks_like_trace_id(text: &str) -> bool {
    (MIN_PREFIX..=32).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Validates and lowercases a trace id or prefix.
pub(crate) fn parse_trace_id(text: &str) -> Result<String, CliError> {
    let text = text.trim();
    if looks_like_trace_id(text) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(CliError::usage(format!(
            "`{text}` is not a trace id: give the 32 hex digits `genai-otel list` prints, or a \
             unique prefix of at least {MIN_PREFIX}"
        )))
    }
}

/// Splits the positional arguments of `show` / `export-trace` into SOURCE and trace ids.
///
/// SOURCE is the first argument when there are more than `min_ids` arguments and the first
/// one exists as a path or is not a trace id. With `--phoenix`, every argument is a trace id.
pub(crate) fn split_source(
    args: &[String],
    phoenix: bool,
) -> Result<(Option<String>, Vec<String>), CliError> {
    let Some(first) = args.first() else {
        return Err(CliError::usage(
            "give a trace id (run `genai-otel list` to see them)",
        ));
    };
    let first_is_source =
        !phoenix && args.len() > 1 && (Path::new(first).exists() || !looks_like_trace_id(first));
    let (source, ids) = if first_is_source {
        (Some(first.clone()), &args[1..])
    } else {
        (None, args)
    };
    let ids = ids
        .iter()
        .map(|id| {
            parse_trace_id(id).map_err(|err| {
                if !phoenix && ids.len() == args.len() && Path::new(id).exists() {
                    CliError::usage(format!(
                        "`{id}` is a path, but a trace id must follow it: `genai-otel <command> {id} TRACE_ID`"
                    ))
                } else {
                    err
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((source, ids))
}

/// Distinct trace ids counted for "N traces scanned" before the count gives up (a few
/// hundred KB); past it the message gives the number of spans.
const MAX_COUNTED: usize = 10_000;

/// Other trace ids named when a prefix is ambiguous.
const MAX_OTHERS: usize = 3;

/// What one requested id matched: the spans of the first trace it matched, and the ids of
/// other traces it also matched (kept without their spans: the prefix is ambiguous).
#[derive(Debug, Default)]
struct Found {
    first: Option<(String, Vec<SpanRecord>)>,
    others: Vec<String>,
}

/// The spans of each requested trace, in request order (duplicates removed), each sorted by
/// start time. Streams the source and keeps only the spans of the first trace each id
/// matches: memory holds the requested traces, not the store.
///
/// # Errors
///
/// A trace that is not found (naming how many traces were scanned and how to list them), a
/// prefix that matches several traces, or the source's own errors.
pub(crate) fn collect_traces(
    source: &Source,
    ids: &[String],
) -> Result<Vec<(String, Vec<SpanRecord>)>, CliError> {
    let full: Vec<String> = ids.iter().filter(|id| id.len() == 32).cloned().collect();
    let server_filter = (full.len() == ids.len()).then_some(full.as_slice());
    let mut found: Vec<Found> = ids.iter().map(|_| Found::default()).collect();
    // Distinct ids for the "not found" message, up to MAX_COUNTED.
    let mut seen: HashSet<u128> = HashSet::new();
    let stats = source.scan(server_filter, &mut |span| {
        if seen.len() < MAX_COUNTED {
            if let Ok(n) = u128::from_str_radix(&span.trace_id, 16) {
                seen.insert(n);
            }
        }
        for (id, found) in ids.iter().zip(found.iter_mut()) {
            if !span.trace_id.starts_with(id.as_str()) {
                continue;
            }
            match &mut found.first {
                None => found.first = Some((span.trace_id.clone(), vec![span.clone()])),
                Some((first, spans)) if *first == span.trace_id => spans.push(span.clone()),
                Some(_) => {
                    if found.others.len() < MAX_OTHERS && !found.others.contains(&span.trace_id) {
                        found.others.push(span.trace_id.clone());
                    }
                }
            }
        }
        ControlFlow::Continue(())
    })?;
    stats.warn();
    let mut out: Vec<(String, Vec<SpanRecord>)> = Vec::new();
    for (id, found) in ids.iter().zip(found) {
        let Some((trace_id, mut spans)) = found.first else {
            let scanned = match (source, server_filter) {
                (Source::Phoenix(_), Some(_)) => String::new(),
                _ if seen.len() >= MAX_COUNTED => format!(
                    " (more than {MAX_COUNTED} traces, {} spans scanned)",
                    stats.spans
                ),
                _ => format!(" ({} traces scanned)", seen.len()),
            };
            return Err(CliError::failed(format!(
                "trace {id} not found in {}{scanned}; run `genai-otel list{}` to see ids",
                source.describe(),
                source.command_args()
            )));
        };
        if !found.others.is_empty() {
            let mut all = found.others;
            all.push(trace_id);
            all.sort();
            let last = all.pop().unwrap_or_default();
            return Err(CliError::usage(format!(
                "trace id prefix {id} is ambiguous: it matches {} and {last}{}; give more digits",
                all.join(", "),
                if all.len() + 1 > MAX_OTHERS {
                    " (and maybe more)"
                } else {
                    ""
                },
            )));
        }
        if out.iter().any(|(known, _)| *known == trace_id) {
            continue;
        }
        spans.sort_by_key(|s| s.start_unix_nanos);
        out.push((trace_id, spans));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn source_comes_first_only_when_it_is_not_a_trace_id() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        let (source, ids) = split_source(&strings(&[id]), false).expect("one id");
        assert_eq!((source, ids), (None, strings(&[id])));
        let (source, ids) = split_source(&strings(&["traces.jsonl", id]), false).expect("file");
        assert_eq!(
            (source.as_deref(), ids),
            (Some("traces.jsonl"), strings(&[id]))
        );
        let (source, ids) = split_source(&strings(&[id, "4BF92F35"]), false).expect("two ids");
        assert_eq!((source, ids), (None, strings(&[id, "4bf92f35"])));
        assert!(split_source(&strings(&["traces.jsonl"]), false).is_err());
        assert!(split_source(&strings(&["store", id]), true).is_err());
        assert!(split_source(&[], false).is_err());
    }

    #[test]
    fn trace_ids_are_hex_of_8_to_32_digits() {
        assert!(looks_like_trace_id("4bf92f35"));
        assert!(!looks_like_trace_id("4bf92f3"));
        assert!(!looks_like_trace_id("4bf92f3577b34da6a3ce929d0e0e47360"));
        assert!(!looks_like_trace_id("xyz92f35"));
        let err = parse_trace_id("nope").expect_err("not hex");
        assert!(err.to_string().contains("genai-otel list"), "{err}");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote(".genai-otel/traces"), ".genai-otel/traces");
        assert_eq!(shell_quote("my dir"), "'my dir'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
