//! `genai-otel redact`: run the redaction pipeline over stdin.

use std::io::{self, BufRead, Read, Write};
use std::process::ExitCode;

use genai_otel::{BuildError, Detector, Redactor, Replacement};

/// Arguments of `genai-otel redact`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Detectors: all, api_keys, email, phone, ssn, card, iban, ipv4, ipv6, jwt, \
auth_header, url_credentials, private_key, openai_key, anthropic_key, aws_key, github_token, \
slack_token, stripe_key, google_key, huggingface_token, other_api_key, generic_secret"
)]
pub(crate) struct RedactArgs {
    /// Read JSON lines; redact each line's "text" field and keep every other
    /// field as it is.
    #[arg(long)]
    jsonl: bool,

    /// Comma-separated built-in detectors to run (default: all).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    detectors: Option<Vec<String>>,

    /// Add a custom rule: matches of REGEX are replaced with [NAME].
    /// Repeatable.
    #[arg(long = "rule", value_name = "NAME=REGEX")]
    rules: Vec<String>,

    /// Write keyed pseudonyms ([email:3f9a1c2b]) instead of labels. The key
    /// is random for each run unless GENAI_OTEL_REDACT_KEY is set.
    #[arg(long)]
    pseudonym: bool,
}

/// An error that ends the command: the message names the fix.
struct Fatal(String);

impl From<BuildError> for Fatal {
    fn from(e: BuildError) -> Self {
        Fatal(format!("error: {e}"))
    }
}

fn build(args: &RedactArgs) -> Result<Redactor, Fatal> {
    let detectors = match &args.detectors {
        None => Detector::ALL,
        Some(names) => {
            let mut set = Detector::NONE;
            for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                set |= Detector::from_name(name).ok_or_else(|| {
                    Fatal(format!(
                        "error: unknown detector `{name}`; use one of: all, api_keys, {}",
                        Detector::ALL.names().collect::<Vec<_>>().join(", ")
                    ))
                })?;
            }
            set
        }
    };
    let mut builder = Redactor::builder().builtin(detectors);
    for rule in &args.rules {
        let (name, pattern) = rule.split_once('=').ok_or_else(|| {
            Fatal(format!(
                "error: --rule `{rule}` is not NAME=REGEX; write e.g. --rule 'order_id=ord_[0-9]+'"
            ))
        })?;
        builder = builder.regex(name.trim(), pattern)?;
    }
    if args.pseudonym {
        builder = builder.replacement(Replacement::Pseudonym);
        if let Some(key) = std::env::var_os("GENAI_OTEL_REDACT_KEY") {
            builder = builder.pseudonym_key(key.as_encoded_bytes());
        }
    }
    Ok(builder.build()?)
}

/// Runs the subcommand: stdin → stdout, errors on stderr.
pub(crate) fn run(args: &RedactArgs) -> ExitCode {
    let result = build(args).and_then(|redactor| {
        let stdin = io::stdin().lock();
        let stdout = io::stdout().lock();
        if args.jsonl {
            redact_jsonl(&redactor, stdin, stdout)
        } else {
            redact_text(&redactor, stdin, stdout)
        }
    });
    match result {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(Fatal(message)) => {
            // Nothing useful can be done if stderr is gone.
            let _ = writeln!(io::stderr(), "{message}");
            ExitCode::from(2)
        }
    }
}

fn io_error(e: io::Error) -> Fatal {
    Fatal(format!("error: {e}"))
}

/// A closed stdout (`| head`) ends the output quietly.
fn write_out(output: &mut impl Write, bytes: &[u8]) -> Result<bool, Fatal> {
    match output.write_all(bytes) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(io_error(e)),
    }
}

fn redact_text(
    redactor: &Redactor,
    mut input: impl Read,
    mut output: impl Write,
) -> Result<usize, Fatal> {
    let mut raw = Vec::new();
    input.read_to_end(&mut raw).map_err(io_error)?;
    let text = String::from_utf8(raw).map_err(|e| {
        Fatal(format!(
            "error: stdin is not UTF-8 (invalid byte at offset {}); convert it first, e.g. with `iconv -t UTF-8`",
            e.utf8_error().valid_up_to()
        ))
    })?;
    if write_out(&mut output, redactor.redact(&text).as_bytes())? {
        let _ = output.flush();
    }
    Ok(0)
}

/// Redacts the `"text"` field of each JSON line. Lines that are not JSON
/// objects with a string `"text"` are reported on stderr; a line that is not
/// JSON at all is written redacted as plain text, so nothing leaks. Returns
/// the number of such lines.
fn redact_jsonl(
    redactor: &Redactor,
    input: impl BufRead,
    mut output: impl Write,
) -> Result<usize, Fatal> {
    let mut problems = 0;
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| {
            Fatal(format!(
                "error: cannot read line {}: {e}; the input must be UTF-8 JSON lines",
                n + 1
            ))
        })?;
        let out = if line.trim().is_empty() {
            line
        } else {
            match serde_json::from_str::<serde_json::Value>(&line) {
                Ok(serde_json::Value::Object(mut obj)) => match obj.get_mut("text") {
                    Some(serde_json::Value::String(text)) => {
                        let redacted = redactor.redact(text).into_owned();
                        *text = redacted;
                        serde_json::to_string(&obj)
                            .map_err(|e| Fatal(format!("error: line {}: {e}", n + 1)))?
                    }
                    _ => {
                        problems += 1;
                        warn(&format!(
                            "line {}: no string field \"text\"; written unchanged (add a \"text\" field to redact it)",
                            n + 1
                        ));
                        line
                    }
                },
                Ok(_) | Err(_) => {
                    problems += 1;
                    warn(&format!(
                        "line {}: not a JSON object; redacted as plain text (drop --jsonl for plain text input)",
                        n + 1
                    ));
                    redactor.redact(&line).into_owned()
                }
            }
        };
        if !write_out(&mut output, out.as_bytes())? || !write_out(&mut output, b"\n")? {
            return Ok(problems);
        }
    }
    let _ = output.flush();
    Ok(problems)
}

fn warn(message: &str) {
    let _ = writeln!(io::stderr(), "warning: {message}");
}
