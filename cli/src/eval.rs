//! Assertions: the baselines `export-trace` derives from a production output, and
//! `genai-otel eval`, which checks a dataset's assertions against outputs.
//!
//! | type | value | passes when the output … |
//! |---|---|---|
//! | `max_length` | integer | has at most `value` characters of text |
//! | `min_length` | integer | has at least `value` characters of text |
//! | `contains` | string or list | contains every string (case-insensitive) |
//! | `not_contains` | string or list | contains none of them (case-insensitive) |
//! | `equals` | string | is exactly `value` (surrounding whitespace ignored) |
//! | `regex` | string | matches the regular expression (Rust `regex` syntax) |
//! | `is_json` | `true` / `false` | is (or is not) a JSON object or array |
//! | `tool_called` | tool name | called that tool |
//!
//! An output is the model's text plus the names of the tools it called.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::Value as Json;

use crate::dataset::{map, yaml_documents, Node};
use crate::error::{out, CliError};

/// Phrases that mark a refusal; matched case-insensitively, with `’` read as `'`.
pub(crate) const REFUSAL_PHRASES: &[&str] = &[
    "I can't help with",
    "I cannot help with",
    "I can't assist with",
    "I cannot assist with",
    "I can't provide",
    "I cannot provide",
    "I can't comply",
    "I cannot comply",
    "I'm unable to",
    "I am unable to",
    "I'm not able to",
    "I am not able to",
    "I won't be able to",
    "I'm sorry, but I can't",
    "I'm sorry, but I cannot",
    "As an AI language model",
];

/// The assertion types `eval` knows.
pub(crate) const TYPES: &[&str] = &[
    "max_length",
    "min_length",
    "contains",
    "not_contains",
    "equals",
    "regex",
    "is_json",
    "tool_called",
];

/// What a model call produced, as far as assertions look at it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Output {
    /// The text of the answer (text parts joined).
    pub(crate) text: String,
    /// Names of the tools called, in order.
    pub(crate) tool_calls: Vec<String>,
}

fn normalize(text: &str) -> String {
    text.replace('\u{2019}', "'").to_lowercase()
}

/// Whether `text` is a JSON object or array (surrounding whitespace allowed).
pub(crate) fn is_json_document(text: &str) -> bool {
    let trimmed = text.trim();
    (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::from_str::<Json>(trimmed).is_ok()
}

/// Whether `text` contains a refusal phrase.
pub(crate) fn is_refusal(text: &str) -> bool {
    let text = normalize(text);
    REFUSAL_PHRASES
        .iter()
        .any(|phrase| text.contains(&normalize(phrase)))
}

fn assertion(kind: &str, value: Node) -> Node {
    map(vec![
        ("type", Some(Node::str(kind))),
        ("value", Some(value)),
    ])
}

/// The baseline assertions of a production output:
///
/// * `max_length`: 1.5 × the production text length (rounded up), when there was text;
/// * `not_contains` the refusal phrases, when production did not refuse;
/// * `is_json: true`, when production returned a JSON object or array;
/// * `tool_called`, once per distinct tool production called.
///
/// Every baseline passes on the output it was derived from.
pub(crate) fn baseline_assertions(output: &Output) -> Vec<Node> {
    let mut assertions = Vec::new();
    let length = output.text.chars().count();
    if length > 0 {
        let max = (length * 3).div_ceil(2);
        assertions.push(assertion(
            "max_length",
            Node::Int(i64::try_from(max).unwrap_or(i64::MAX)),
        ));
    }
    if !is_refusal(&output.text) {
        assertions.push(assertion(
            "not_contains",
            Node::Seq(REFUSAL_PHRASES.iter().map(|p| Node::str(*p)).collect()),
        ));
    }
    if is_json_document(&output.text) {
        assertions.push(assertion("is_json", Node::Bool(true)));
    }
    let mut seen: Vec<&str> = Vec::new();
    for tool in &output.tool_calls {
        if !seen.contains(&tool.as_str()) {
            seen.push(tool);
            assertions.push(assertion("tool_called", Node::str(tool.clone())));
        }
    }
    assertions
}

/// The result of one assertion.
#[derive(Debug, PartialEq)]
pub(crate) enum Outcome {
    Pass,
    /// The output does not satisfy it; why.
    Fail(String),
    /// The assertion itself is malformed; why.
    Invalid(String),
}

fn strings(value: &Json) -> Option<Vec<&str>> {
    match value {
        Json::String(s) => Some(vec![s.as_str()]),
        Json::Array(items) => items.iter().map(Json::as_str).collect(),
        _ => None,
    }
}

fn excerpt(text: &str) -> String {
    let mut cut: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// Checks one `{type, value}` assertion against an output.
pub(crate) fn check(assertion: &Json, output: &Output) -> Outcome {
    let Some(kind) = assertion.get("type").and_then(Json::as_str) else {
        return Outcome::Invalid("an assertion needs a `type`".into());
    };
    let value = assertion.get("value").unwrap_or(&Json::Null);
    let length = output.text.chars().count();
    let bad_value = |what: &str| Outcome::Invalid(format!("`{kind}` needs {what} as its value"));
    match kind {
        "max_length" | "min_length" => {
            let Some(limit) = value.as_u64() else {
                return bad_value("a non-negative integer");
            };
            let ok = if kind == "max_length" {
                length as u64 <= limit
            } else {
                length as u64 >= limit
            };
            if ok {
                Outcome::Pass
            } else {
                Outcome::Fail(format!("{length} characters, {kind} {limit}"))
            }
        }
        "contains" | "not_contains" => {
            let Some(needles) = strings(value) else {
                return bad_value("a string or a list of strings");
            };
            let haystack = normalize(&output.text);
            let found: Vec<&str> = needles
                .into_iter()
                .filter(|n| haystack.contains(&normalize(n)))
                .collect();
            match (kind, found.is_empty()) {
                ("contains", _) => {
                    let wanted = strings(value).unwrap_or_default();
                    let missing: Vec<&&str> =
                        wanted.iter().filter(|w| !found.contains(w)).collect();
                    if missing.is_empty() {
                        Outcome::Pass
                    } else {
                        Outcome::Fail(format!("does not contain {missing:?}"))
                    }
                }
                (_, true) => Outcome::Pass,
                (_, false) => Outcome::Fail(format!("contains {found:?}")),
            }
        }
        "equals" => {
            let Some(expected) = value.as_str() else {
                return bad_value("a string");
            };
            if output.text.trim() == expected.trim() {
                Outcome::Pass
            } else {
                Outcome::Fail(format!("is {}", excerpt(&output.text)))
            }
        }
        "regex" => {
            let Some(pattern) = value.as_str() else {
                return bad_value("a regular expression string");
            };
            match regex::Regex::new(pattern) {
                Ok(re) if re.is_match(&output.text) => Outcome::Pass,
                Ok(_) => Outcome::Fail(format!("{} does not match", excerpt(&output.text))),
                Err(err) => Outcome::Invalid(format!("`regex` {pattern:?}: {err}")),
            }
        }
        "is_json" => {
            let Some(expected) = value.as_bool() else {
                return bad_value("true or false");
            };
            if is_json_document(&output.text) == expected {
                Outcome::Pass
            } else if expected {
                Outcome::Fail(format!(
                    "{} is not a JSON object or array",
                    excerpt(&output.text)
                ))
            } else {
                Outcome::Fail("is JSON".into())
            }
        }
        "tool_called" => {
            let Some(tool) = value.as_str() else {
                return bad_value("a tool name");
            };
            if output.tool_calls.iter().any(|t| t == tool) {
                Outcome::Pass
            } else if output.tool_calls.is_empty() {
                Outcome::Fail("no tool was called".into())
            } else {
                Outcome::Fail(format!("called {:?}", output.tool_calls))
            }
        }
        other => Outcome::Invalid(format!(
            "unknown assertion type `{other}`; known: {}",
            TYPES.join(", ")
        )),
    }
}

/// Reads an output object: `{"text": "…", "tool_calls": [{"name": "…"}, …]}`; tool calls may
/// also be plain names.
pub(crate) fn output_from_json(value: &Json) -> Result<Output, String> {
    let text = match value.get("text") {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(_) => return Err("`text` must be a string".into()),
    };
    Ok(Output {
        text,
        tool_calls: tool_names(value.get("tool_calls"))?,
    })
}

fn tool_names(value: Option<&Json>) -> Result<Vec<String>, String> {
    match value {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(items)) => items
            .iter()
            .map(|item| match item {
                Json::String(name) => Ok(name.clone()),
                other => other
                    .get("name")
                    .and_then(Json::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| "each tool call needs a `name`".to_owned()),
            })
            .collect(),
        Some(_) => Err("`tool_calls` must be a list".into()),
    }
}

// ---- the command ----------------------------------------------------------------------------

/// Arguments of `genai-otel eval`.
#[derive(Debug, Args)]
#[command(
    about = "Check eval datasets' assertions against outputs",
    long_about = "Check the assertions of eval datasets (written by `genai-otel export-trace`, \
YAML or JSON Lines, possibly edited by hand) against outputs.\n\n\
Without --outputs, each case is checked against its recorded `production_output`: every \
exported baseline passes there, and so should assertions you add by hand.\n\
With --outputs, each case is checked against the output of a new run, given as JSON Lines: \
{\"id\": \"<case id>\", \"output\": \"<text>\", \"tool_calls\": [\"<tool name>\", ...]}.\n\n\
Assertion types: max_length, min_length (characters), contains, not_contains (string or \
list, case-insensitive), equals, regex, is_json (true/false), tool_called (tool name).\n\n\
Prints one line per case and `N passed, M failed`; exits 0 when every case passed, 1 when \
one failed or had no output, 2 when a file or assertion is malformed.",
    after_help = "Examples:\n  \
genai-otel eval evals/trace-4bf92f3577b34da6a3ce929d0e0e4736.yaml\n  \
genai-otel eval evals/*.yaml --outputs candidate-run.jsonl"
)]
pub(crate) struct EvalArgs {
    /// Dataset files (.yaml / .yml, or .jsonl / .json).
    #[arg(value_name = "DATASET", required = true)]
    datasets: Vec<PathBuf>,
    /// Outputs of a new run (JSON Lines, one `{"id", "output", "tool_calls"}` per case)
    /// to check instead of the recorded production outputs.
    #[arg(long, value_name = "FILE")]
    outputs: Option<PathBuf>,
}

/// A case read from a dataset file.
#[derive(Debug)]
struct CaseIn {
    id: String,
    file: PathBuf,
    assertions: Vec<Json>,
    production: Option<Json>,
}

/// Runs `genai-otel eval`; prints per-case results and returns the exit code.
pub(crate) fn run(args: &EvalArgs) -> ExitCode {
    match evaluate(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => crate::error::report(Err(err)),
    }
}

fn evaluate(args: &EvalArgs) -> Result<bool, CliError> {
    let mut cases = Vec::new();
    for path in &args.datasets {
        cases.extend(load_cases(path)?);
    }
    if cases.is_empty() {
        return Err(CliError::usage(
            "the datasets hold no cases; export some with `genai-otel export-trace`",
        ));
    }
    let outputs = match &args.outputs {
        Some(path) => Some(load_outputs(path)?),
        None => None,
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut text = String::new();
    for case in &cases {
        let output = match &outputs {
            Some(outputs) => outputs.get(&case.id).cloned().ok_or_else(|| {
                format!(
                    "no output for this case in {}",
                    args.outputs.as_deref().unwrap_or(Path::new("")).display()
                )
            }),
            None => case
                .production
                .as_ref()
                .ok_or_else(|| "the case has no production_output; pass --outputs".to_owned())
                .and_then(output_from_json),
        };
        let output = match output {
            Ok(output) => output,
            Err(why) => {
                failed += 1;
                let _ = writeln!(text, "FAIL {}: {why}", case.id);
                continue;
            }
        };
        let mut failures = Vec::new();
        for assertion in &case.assertions {
            match check(assertion, &output) {
                Outcome::Pass => {}
                Outcome::Fail(why) => failures.push(format!("{}: {why}", describe(assertion))),
                Outcome::Invalid(why) => {
                    return Err(CliError::usage(format!(
                        "{}: case {}: {why}",
                        case.file.display(),
                        case.id
                    )))
                }
            }
        }
        if failures.is_empty() {
            passed += 1;
            let _ = writeln!(
                text,
                "PASS {} ({} assertion{})",
                case.id,
                case.assertions.len(),
                if case.assertions.len() == 1 { "" } else { "s" }
            );
        } else {
            failed += 1;
            let _ = writeln!(text, "FAIL {}: {}", case.id, failures.join("; "));
        }
    }
    let _ = writeln!(text, "{passed} passed, {failed} failed");
    out(&text)?;
    Ok(failed == 0)
}

fn describe(assertion: &Json) -> String {
    let kind = assertion.get("type").and_then(Json::as_str).unwrap_or("?");
    match assertion.get("value") {
        Some(Json::Array(items)) if items.len() > 3 => format!("{kind} [{} items]", items.len()),
        Some(value) => format!("{kind} {value}"),
        None => kind.to_owned(),
    }
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|err| CliError::usage(format!("cannot read {}: {err}", path.display())))
}

/// The cases of a dataset file: YAML documents with `cases`, or JSON Lines whose lines are
/// cases (or whole datasets).
fn load_cases(path: &Path) -> Result<Vec<CaseIn>, CliError> {
    let text = read(path)?;
    let bad = |why: String| CliError::usage(format!("{}: {why}", path.display()));
    let is_yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    let mut raw_cases: Vec<Json> = Vec::new();
    if is_yaml {
        let docs = yaml_documents(&text).map_err(|e| bad(format!("not valid YAML: {e}")))?;
        for doc in docs {
            match doc.get("cases") {
                Some(Json::Array(cases)) => raw_cases.extend(cases.iter().cloned()),
                _ => return Err(bad("a dataset needs a `cases` list".into())),
            }
        }
    } else {
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let value: Json = serde_json::from_str(line)
                .map_err(|e| bad(format!("line {}: not JSON: {e}", n + 1)))?;
            match value.get("cases") {
                Some(Json::Array(cases)) => raw_cases.extend(cases.iter().cloned()),
                _ => raw_cases.push(value),
            }
        }
    }
    raw_cases
        .into_iter()
        .enumerate()
        .map(|(i, case)| {
            let id = case
                .get("id")
                .and_then(Json::as_str)
                .ok_or_else(|| bad(format!("case {} has no `id`", i + 1)))?
                .to_owned();
            let assertions = match case.get("assertions") {
                None | Some(Json::Null) => Vec::new(),
                Some(Json::Array(items)) => items.clone(),
                Some(_) => return Err(bad(format!("case {id}: `assertions` must be a list"))),
            };
            Ok(CaseIn {
                id,
                file: path.to_path_buf(),
                assertions,
                production: case.get("production_output").cloned(),
            })
        })
        .collect()
}

/// `--outputs`: JSON Lines of `{"id", "output", "tool_calls"}`.
fn load_outputs(path: &Path) -> Result<HashMap<String, Output>, CliError> {
    let text = read(path)?;
    let mut outputs = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why: String| {
            CliError::usage(format!(
                "{}:{}: {why}; each line is {{\"id\": \"<case id>\", \"output\": \"<text>\", \"tool_calls\": [\"<name>\"]}}",
                path.display(),
                n + 1
            ))
        };
        let value: Json = serde_json::from_str(line).map_err(|e| bad(format!("not JSON: {e}")))?;
        let id = value
            .get("id")
            .and_then(Json::as_str)
            .ok_or_else(|| bad("no `id`".into()))?;
        let output = match value.get("output") {
            Some(Json::String(text)) => Output {
                text: text.clone(),
                tool_calls: tool_names(value.get("tool_calls")).map_err(bad)?,
            },
            Some(object @ Json::Object(_)) => output_from_json(object).map_err(bad)?,
            None | Some(Json::Null) => Output {
                text: String::new(),
                tool_calls: tool_names(value.get("tool_calls")).map_err(bad)?,
            },
            Some(_) => return Err(bad("`output` must be a string".into())),
        };
        outputs.insert(id.to_owned(), output);
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn output(text: &str, tools: &[&str]) -> Output {
        Output {
            text: text.into(),
            tool_calls: tools.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    fn to_json(node: &Node) -> Json {
        let mut text = String::new();
        crate::dataset::to_json(node, &mut text);
        serde_json::from_str(&text).unwrap_or_default()
    }

    #[test]
    fn baselines_pass_on_their_own_output() {
        let outputs = [
            output(
                r#"{"answer": "Refund on its way", "refund_cents": 11999}"#,
                &[],
            ),
            output("", &["create_refund", "create_refund", "lookup_order"]),
            output("Sure — here you go.", &[]),
            output("I'm sorry, but I can't help with that.", &[]),
        ];
        for out in &outputs {
            let assertions = baseline_assertions(out);
            for a in &assertions {
                assert_eq!(check(&to_json(a), out), Outcome::Pass, "{a:?} on {out:?}");
            }
        }
        let kinds = |o: &Output| -> Vec<String> {
            baseline_assertions(o)
                .iter()
                .map(|a| to_json(a)["type"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(
            kinds(&outputs[0]),
            ["max_length", "not_contains", "is_json"]
        );
        assert_eq!(
            kinds(&outputs[1]),
            ["not_contains", "tool_called", "tool_called"]
        );
        assert_eq!(kinds(&outputs[2]), ["max_length", "not_contains"]);
        assert_eq!(
            kinds(&outputs[3]),
            ["max_length"],
            "a refusal gets no not_contains"
        );
        // 1.5x, rounded up: 19 characters -> 29.
        assert_eq!(
            to_json(&baseline_assertions(&outputs[2])[0])["value"],
            json!(29)
        );
    }

    #[test]
    fn each_type_fails_when_it_should() {
        let out = output("Your refund of $119.99 is on its way.", &["create_refund"]);
        let cases = [
            (json!({"type": "max_length", "value": 10}), false),
            (json!({"type": "max_length", "value": 37}), true),
            (json!({"type": "min_length", "value": 38}), false),
            (
                json!({"type": "contains", "value": ["REFUND", "119.99"]}),
                true,
            ),
            (json!({"type": "contains", "value": "voucher"}), false),
            (
                json!({"type": "not_contains", "value": ["I can’t help with"]}),
                true,
            ),
            (
                json!({"type": "not_contains", "value": "on its WAY"}),
                false,
            ),
            (
                json!({"type": "equals", "value": " Your refund of $119.99 is on its way. "}),
                true,
            ),
            (json!({"type": "equals", "value": "Your refund"}), false),
            (json!({"type": "regex", "value": r"\$\d+\.\d{2}"}), true),
            (json!({"type": "regex", "value": "^No"}), false),
            (json!({"type": "is_json", "value": true}), false),
            (json!({"type": "is_json", "value": false}), true),
            (
                json!({"type": "tool_called", "value": "create_refund"}),
                true,
            ),
            (
                json!({"type": "tool_called", "value": "lookup_order"}),
                false,
            ),
        ];
        for (assertion, pass) in cases {
            let outcome = check(&assertion, &out);
            assert_eq!(outcome == Outcome::Pass, pass, "{assertion}: {outcome:?}");
            assert!(!matches!(outcome, Outcome::Invalid(_)), "{assertion}");
        }
        assert!(is_refusal("I’m unable to do that"));
        assert!(!is_refusal("We're sorry your blender arrived broken."));
    }

    #[test]
    fn malformed_assertions_are_invalid() {
        let out = output("x", &[]);
        for assertion in [
            json!({"value": 1}),
            json!({"type": "max_length", "value": "ten"}),
            json!({"type": "contains", "value": 3}),
            json!({"type": "regex", "value": "("}),
            json!({"type": "is_json", "value": "yes"}),
            json!({"type": "sentiment", "value": "positive"}),
        ] {
            assert!(
                matches!(check(&assertion, &out), Outcome::Invalid(_)),
                "{assertion}"
            );
        }
    }

    #[test]
    fn outputs_accept_names_or_objects() {
        let parsed = output_from_json(&json!({"text": "hi", "tool_calls": [{"name": "a"}, "b"]}))
            .expect("valid");
        assert_eq!(parsed, output("hi", &["a", "b"]));
        assert!(output_from_json(&json!({"text": 1})).is_err());
        assert!(output_from_json(&json!({"tool_calls": [{}]})).is_err());
    }
}
