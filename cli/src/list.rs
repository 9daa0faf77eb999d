//! `genai-otel list`: one line per trace.

use std::fmt::Write as _;
use std::io::{BufWriter, IsTerminal, Write};
use std::ops::ControlFlow;

use clap::Args;
use genai_otel::timeline::format_duration;
use serde_json::json;

use crate::error::{out, CliError};
use crate::source::{BackendArgs, Source};
use crate::summary::{Bounds, Filters, Summaries, Summary, TopN, TraceRow};
use crate::timefmt::{now_nanos, parse_since, rfc3339_millis, table_time};

/// Arguments of `genai-otel list`.
#[derive(Debug, Args)]
#[command(
    about = "One line per trace, newest first",
    long_about = "One line per trace, newest first: trace id, start (UTC), root span, span count, \
duration, status (ok, or error with the number of error spans), models called, tokens \
(input + output of the model calls), estimated cost, and the tail sampler's decision.\n\n\
The store is streamed in bounded memory, whatever its size: a trace is summarized once its \
root span (and a few thousand traces after it) has been read, and only the --limit newest \
rows are kept. With --limit 0 every matching trace is printed as soon as it is complete, in \
store order (the order traces finished, roughly oldest first) rather than newest first; sort \
with `--json | jq -s 'sort_by(-.start_unix_nanos)[]'`. A span written long after the rest of \
its trace (more than 4,096 completed traces later) is left out of the trace's row, with a \
note; one written about 20,000 traces later or more is listed as a row of its own.",
    after_help = "Examples:\n  \
genai-otel list                                 the default store, 50 newest traces\n  \
genai-otel list --errors --since 2h             traces with an error in the last two hours\n  \
genai-otel list traces.jsonl --model gpt-4.1-mini --min-tokens 2000\n  \
genai-otel list --phoenix http://127.0.0.1:6006 --project support --json | jq .trace_id"
)]
pub(crate) struct ListArgs {
    #[arg(
        value_name = "SOURCE",
        help = "Store directory, OTLP/JSON file or directory [default: $GENAI_OTEL_STORE_DIR, \
                else .genai-otel/traces]"
    )]
    source: Option<String>,
    #[command(flatten)]
    backend: BackendArgs,
    /// Only traces with at least one error span.
    #[arg(long)]
    errors: bool,
    /// Only traces that called this model (request or response model, exact).
    #[arg(long, value_name = "M")]
    model: Option<String>,
    /// Only traces that ran this prompt version (`gen_ai.prompt.version` or the registry's
    /// version id).
    #[arg(long, value_name = "V")]
    prompt_version: Option<String>,
    /// Only traces of this tenant (`genai_otel.tenant.id`).
    #[arg(long, value_name = "T")]
    tenant: Option<String>,
    /// Only traces that started in the last DURATION (`90s`, `30m`, `2h`, `7d`, `1w`,
    /// `1h30m`) or at/after TIME (`2026-06-03T17:00:00Z`, `2026-06-03`).
    #[arg(long, value_name = "DURATION|TIME")]
    since: Option<String>,
    /// Only traces with at least N tokens (input + output).
    #[arg(long, value_name = "N")]
    min_tokens: Option<u64>,
    /// Print at most N traces (the newest); 0 prints all, in store order, as they are read.
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: usize,
    /// One JSON object per trace and line (JSON Lines), for scripts.
    #[arg(long)]
    json: bool,
}

/// Runs `genai-otel list`.
pub(crate) fn run(args: &ListArgs) -> Result<(), CliError> {
    let since = match &args.since {
        Some(text) => Some(parse_since(text, now_nanos()).ok_or_else(|| {
            CliError::usage(format!(
                "--since {text}: give a duration (90s, 30m, 2h, 7d, 1w, 1h30m) or a time \
                 (2026-06-03T17:00:00Z, 2026-06-03)"
            ))
        })?),
        None => None,
    };
    let filters = Filters {
        errors: args.errors,
        model: args.model.clone(),
        prompt_version: args.prompt_version.clone(),
        tenant: args.tenant.clone(),
        since,
        min_tokens: args.min_tokens,
    };
    let source = Source::resolve(args.source.as_deref(), &args.backend)?;
    let mut summaries = Summaries::new(filters);
    let color =
        !args.json && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let shown = if args.limit == 0 {
        stream_all(&source, &mut summaries, args.json, color)?
    } else {
        let mut top = TopN::new(args.limit);
        let stats = source.scan(None, &mut |span| {
            summaries.add(&span, &mut |done| top.push(done));
            ControlFlow::Continue(())
        })?;
        summaries.finish(&mut |done| top.push(done));
        stats.warn();
        let rows = top.into_rows();
        if args.json {
            let mut text = String::new();
            for row in &rows {
                let _ = writeln!(text, "{}", row_json(row));
            }
            out(&text)?;
        } else if !rows.is_empty() {
            out(&Table::new(color).chunk(&rows))?;
        }
        rows.len() as u64
    };
    match summaries.late_spans() {
        0 => {}
        1 => eprintln!(
            "note: 1 span arrived after its trace was summarized (more than {} completed \
             traces later) and was left out of the trace's row",
            Bounds::DEFAULT.grace
        ),
        n => eprintln!(
            "note: {n} spans arrived after their traces were summarized (more than {} \
             completed traces later) and were left out of the traces' rows",
            Bounds::DEFAULT.grace
        ),
    }
    let total = summaries.matched();
    if args.json {
        return Ok(());
    }
    if shown == 0 {
        eprintln!(
            "no traces{} in {} ({} traces scanned)",
            if summaries.traces() > 0 {
                " match the filters"
            } else {
                ""
            },
            source.describe(),
            summaries.traces()
        );
    } else if shown < total {
        eprintln!("{shown} of {total} matching traces shown (newest first); --limit 0 shows all");
    }
    Ok(())
}

/// Rows of a table printed this many at a time with `--limit 0`.
const CHUNK: usize = 1_000;

/// `--limit 0`: prints every matching trace as it is finalized, so nothing but the open
/// traces is held. Returns the number of rows printed.
fn stream_all(
    source: &Source,
    summaries: &mut Summaries,
    json: bool,
    color: bool,
) -> Result<u64, CliError> {
    let mut printer = Printer {
        out: BufWriter::new(std::io::stdout().lock()),
        json,
        table: Table::new(color),
        pending: Vec::new(),
        printed: 0,
        failed: None,
    };
    let stats = source.scan(None, &mut |span| {
        summaries.add(&span, &mut |done| printer.push(&done));
        // Output gone (`| head` exited): stop reading the store.
        if printer.failed.is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    summaries.finish(&mut |done| printer.push(&done));
    printer.flush_table();
    if printer.failed.is_none() {
        if let Err(err) = printer.out.flush() {
            printer.failed = Some(err);
        }
    }
    stats.warn();
    match printer.failed {
        // `genai-otel list --limit 0 | head`: a quiet success.
        Some(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::failed(
            format!("cannot write to standard output: {err}"),
        )),
        _ => Ok(printer.printed),
    }
}

/// Writes rows as they come: JSON Lines at once, a table [`CHUNK`] rows at a time.
struct Printer<W: Write> {
    out: W,
    json: bool,
    table: Table,
    pending: Vec<TraceRow>,
    printed: u64,
    failed: Option<std::io::Error>,
}

impl<W: Write> Printer<W> {
    fn push(&mut self, summary: &Summary) {
        if self.failed.is_some() {
            return;
        }
        self.printed += 1;
        let row = summary.row();
        if self.json {
            let result = serde_json::to_writer(&mut self.out, &row_json(&row))
                .map_err(std::io::Error::from)
                .and_then(|()| self.out.write_all(b"\n"));
            if let Err(err) = result {
                self.failed = Some(err);
            }
        } else {
            self.pending.push(row);
            if self.pending.len() >= CHUNK {
                self.flush_table();
            }
        }
    }

    fn flush_table(&mut self) {
        if self.pending.is_empty() || self.failed.is_some() {
            return;
        }
        let text = self.table.chunk(&self.pending);
        self.pending.clear();
        if let Err(err) = self.out.write_all(text.as_bytes()) {
            self.failed = Some(err);
        }
    }
}

fn row_json(row: &TraceRow) -> serde_json::Value {
    json!({
        "trace_id": row.trace_id,
        "start": rfc3339_millis(row.start_unix_nanos),
        "start_unix_nanos": row.start_unix_nanos,
        "root": row.root,
        "service": row.service,
        "spans": row.spans,
        "duration_ms": row.duration_nanos as f64 / 1e6,
        "status": if row.errors > 0 { "error" } else { "ok" },
        "error_spans": row.errors,
        "models": row.models,
        "input_tokens": row.input_tokens,
        "output_tokens": row.output_tokens,
        "cost_usd": row.cost_usd,
        "sampling": row.sampling,
    })
}

fn cost(row: &TraceRow) -> String {
    match row.cost_usd {
        Some(c) if c >= 0.01 => format!("${c:.2}"),
        Some(c) => format!("${c:.4}"),
        None => "-".into(),
    }
}

/// Cuts `text` to `max` characters with `…`.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Escapes control characters so a recorded name cannot drive the terminal.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

const HEAD: [&str; 10] = [
    "TRACE",
    "START (UTC)",
    "ROOT",
    "SPANS",
    "DURATION",
    "STATUS",
    "MODELS",
    "TOKENS",
    "COST",
    "SAMPLING",
];

/// Numbers are right-aligned.
const RIGHT: [bool; 10] = [
    false, false, false, true, true, false, false, true, true, false,
];

/// The table of `list`, printed in one or more chunks: the header comes with the first, and
/// column widths only grow from chunk to chunk (so a streamed table stays aligned unless a
/// later row is wider).
struct Table {
    color: bool,
    widths: Option<[usize; 10]>,
}

impl Table {
    fn new(color: bool) -> Self {
        Table {
            color,
            widths: None,
        }
    }

    fn chunk(&mut self, rows: &[TraceRow]) -> String {
        let cells: Vec<[String; 10]> = rows.iter().map(cells).collect();
        let first = self.widths.is_none();
        let widths = self
            .widths
            .get_or_insert_with(|| HEAD.map(|h| h.chars().count()));
        for row in &cells {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let widths = *widths;
        let color = self.color;
        let mut text = String::new();
        let mut line = |cells: &[String], is_error: bool| {
            let mut l = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                let padded = if RIGHT[i] {
                    format!("{}{cell}", " ".repeat(pad))
                } else {
                    format!("{cell}{}", " ".repeat(pad))
                };
                if i > 0 {
                    l.push_str("  ");
                }
                if color && is_error && i == 5 {
                    let _ = write!(l, "\x1b[31m{padded}\x1b[0m");
                } else {
                    l.push_str(&padded);
                }
            }
            text.push_str(l.trim_end());
            text.push('\n');
        };
        if first {
            line(&HEAD.map(String::from), false);
        }
        for (row, cells) in rows.iter().zip(&cells) {
            line(cells, row.errors > 0);
        }
        text
    }
}

fn cells(row: &TraceRow) -> [String; 10] {
    [
        row.trace_id.clone(),
        table_time(row.start_unix_nanos),
        cut(
            &clean(row.root.as_deref().unwrap_or("(root not exported)")),
            40,
        ),
        row.spans.to_string(),
        format_duration(row.duration_nanos),
        if row.errors > 0 {
            format!("error({})", row.errors)
        } else {
            "ok".into()
        },
        cut(&clean(&row.models.join(",")), 32),
        (row.input_tokens + row.output_tokens).to_string(),
        cost(row),
        clean(row.sampling.as_deref().unwrap_or("-")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let row = TraceRow {
            trace_id: "e8dbd69f7f269019b4f0dc777cc4f1a8".into(),
            start_unix_nanos: 1_780_506_000_000_000_000,
            duration_nanos: 132_000_000,
            root: Some("invoke_agent support_agent".into()),
            service: Some("support-api".into()),
            spans: 7,
            errors: 1,
            models: vec!["gpt-4.1-mini".into()],
            input_tokens: 1836,
            output_tokens: 222,
            cost_usd: Some(0.0021),
            sampling: Some("keep:error".into()),
        };
        let text = Table::new(false).chunk(&[row]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("TRACE "));
        assert_eq!(
            lines[1],
            "e8dbd69f7f269019b4f0dc777cc4f1a8  2026-06-03 17:00:00  invoke_agent support_agent      7     132ms  error(1)  gpt-4.1-mini    2058  $0.0021  keep:error"
        );
        let colored = Table::new(true).chunk(&[TraceRow {
            root: Some("a\x1b[2Jb".into()),
            ..TraceRow {
                trace_id: "0".repeat(32),
                start_unix_nanos: 0,
                duration_nanos: 0,
                root: None,
                service: None,
                spans: 1,
                errors: 2,
                models: vec![],
                input_tokens: 0,
                output_tokens: 0,
                cost_usd: None,
                sampling: None,
            }
        }]);
        assert!(colored.contains("\x1b[31merror(2)"), "{colored}");
        assert!(
            colored.contains("a\\u{1b}[2Jb"),
            "control characters escaped: {colored}"
        );
    }

    #[test]
    fn a_streamed_table_has_one_header_and_widths_that_only_grow() {
        let row = |root: &str| TraceRow {
            trace_id: "0".repeat(32),
            start_unix_nanos: 0,
            duration_nanos: 0,
            root: Some(root.into()),
            service: None,
            spans: 1,
            errors: 0,
            models: vec![],
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: None,
            sampling: None,
        };
        let mut table = Table::new(false);
        let first = table.chunk(&[row("a-long-root-name")]);
        let second = table.chunk(&[row("short")]);
        let third = table.chunk(&[row("an-even-longer-root-name")]);
        assert!(first.starts_with("TRACE "));
        assert!(!second.contains("TRACE") && !third.contains("TRACE"));
        let spans_column = |text: &str| text.lines().last().and_then(|l| l.find("  1 "));
        assert_eq!(
            spans_column(&first),
            spans_column(&second),
            "aligned with the first"
        );
        assert!(
            spans_column(&third) > spans_column(&second),
            "widened for a longer root"
        );
    }

    #[test]
    fn cut_counts_characters() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("ab", 4), "ab");
    }
}
