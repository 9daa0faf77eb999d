//! The `genai-otel` command-line tool.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod redact;

/// Inspect and prepare the telemetry of LLM applications.
#[derive(Debug, Parser)]
#[command(name = "genai-otel", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Dry-run the redaction rules: read text (or JSON lines) on stdin and
    /// write it redacted to stdout.
    Redact(redact::RedactArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Redact(args) => redact::run(&args),
    }
}
