//! `genai-otel list`: one line per trace.

use std::fmt::Write as _;
use std::io::IsTerminal;

use clap::Args;
use genai_otel::timeline::format_duration;
use serde_json::json;

use crate::error::{out, CliError};
use crate::source::{BackendArgs, Source};
use crate::summary::{Filters, Summaries, TraceRow};
use crate::timefmt::{now_nanos, parse_since, rfc3339_millis, table_time};

/// Arguments of `genai-otel list`.
#[derive(Debug, Args)]
#[command(
    about = "One line per trace, newest first",
    long_about = "One line per trace, newest first: trace id, start (UTC), root span, span count, \
duration, status (ok, or error with the number of error spans), models called, tokens \
(input + output of the model calls), estimated cost, and the tail sampler's decision.\n\n\
The store is streamed: memory grows with the number of traces, not with spans or content.",
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
    /// Print at most N traces (the newest); 0 prints all.
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
    let stats = source.scan(None, &mut |span| summaries.add(&span))?;
    stats.warn();
    let (rows, total) = summaries.rows(args.limit);
    if args.json {
        let mut text = String::new();
        for row in &rows {
            let _ = writeln!(text, "{}", row_json(row));
        }
        out(&text)?;
    } else if rows.is_empty() {
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
    } else {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        out(&table(&rows, color))?;
        if rows.len() < total {
            eprintln!(
                "{} of {total} matching traces shown (newest first); --limit 0 shows all",
                rows.len()
            );
        }
    }
    Ok(())
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

fn table(rows: &[TraceRow], color: bool) -> String {
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
    let cells: Vec<[String; 10]> = rows
        .iter()
        .map(|row| {
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
        })
        .collect();
    let mut widths = HEAD.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Numbers are right-aligned.
    let right = [
        false, false, false, true, true, false, false, true, true, false,
    ];
    let mut text = String::new();
    let mut line = |cells: &[String], is_error: bool| {
        let mut l = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            let padded = if right[i] {
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
    line(&HEAD.map(String::from), false);
    for (row, cells) in rows.iter().zip(&cells) {
        line(cells, row.errors > 0);
    }
    text
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
        let text = table(&[row], false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("TRACE "));
        assert_eq!(
            lines[1],
            "e8dbd69f7f269019b4f0dc777cc4f1a8  2026-06-03 17:00:00  invoke_agent support_agent      7     132ms  error(1)  gpt-4.1-mini    2058  $0.0021  keep:error"
        );
        let colored = table(
            &[TraceRow {
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
            }],
            true,
        );
        assert!(colored.contains("\x1b[31merror(2)"), "{colored}");
        assert!(
            colored.contains("a\\u{1b}[2Jb"),
            "control characters escaped: {colored}"
        );
    }

    #[test]
    fn cut_counts_characters() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("ab", 4), "ab");
    }
}
