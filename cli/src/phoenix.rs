//! Arize Phoenix as a SOURCE: `GET /v1/projects/{project}/spans`, page by page.
//!
//! Phoenix ingests OTLP and serves spans as JSON with the span context, parent id, ISO 8601
//! times, status and a flat attribute object (`{"gen_ai.request.model": "gpt-4.1-mini", …}`),
//! next to attributes it derives itself (`llm.*`, `openinference.*`). Each span is mapped to
//! a [`SpanRecord`] so the rest of the CLI does not know where it came from. Phoenix does not
//! return resource attributes or the OpenTelemetry span kind; those stay empty.
//!
//! The HTTP client is `reqwest::blocking`, already compiled into every build of the library
//! for OTLP/HTTP export, with the same features (no TLS): plain `http://` URLs only.

use std::ops::ControlFlow;
use std::time::Duration;

use genai_otel::otlp_json::{
    AttrValue, Attributes, EventRecord, SpanRecord, StatusCodeRecord, StatusRecord,
};
use reqwest::Url;
use serde_json::Value as Json;

use crate::error::CliError;
use crate::source::ScanStats;
use crate::timefmt::parse_time;

/// Spans per request (Phoenix's maximum).
const PAGE: usize = 1000;
/// Trace ids per filtered request, to keep URLs short.
const IDS_PER_REQUEST: usize = 50;

/// A Phoenix server and project.
#[derive(Debug)]
pub(crate) struct Phoenix {
    base: Url,
    url: String,
    project: String,
    client: reqwest::blocking::Client,
}

impl Phoenix {
    /// Checks the URL and builds the client; nothing is sent yet.
    pub(crate) fn new(url: &str, project: &str) -> Result<Phoenix, CliError> {
        let base = Url::parse(url.trim()).map_err(|err| {
            CliError::usage(format!(
                "--phoenix {url}: not a URL ({err}); give the server's base URL, e.g. http://127.0.0.1:6006"
            ))
        })?;
        match base.scheme() {
            "http" => {}
            "https" => {
                return Err(CliError::usage(format!(
                    "--phoenix {url}: this build of genai-otel speaks plain HTTP only; reach the \
                     server through http:// (e.g. a local port-forward)"
                )))
            }
            other => {
                return Err(CliError::usage(format!(
                    "--phoenix {url}: unsupported scheme `{other}`; give an http:// URL"
                )))
            }
        }
        if project.trim().is_empty() {
            return Err(CliError::usage("--project must not be empty"));
        }
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|err| CliError::failed(format!("cannot start an HTTP client: {err}")))?;
        Ok(Phoenix {
            url: url.trim().trim_end_matches('/').to_owned(),
            base,
            project: project.to_owned(),
            client,
        })
    }

    /// The URL as given (without a trailing slash).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The project name.
    pub(crate) fn project(&self) -> &str {
        &self.project
    }

    /// `Phoenix project P at URL`.
    pub(crate) fn describe(&self) -> String {
        format!("Phoenix project {} at {}", self.project, self.url)
    }

    fn endpoint(&self, segments: &[&str]) -> Result<Url, CliError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| {
                CliError::usage(format!(
                    "--phoenix {}: cannot be a base URL; give e.g. http://127.0.0.1:6006",
                    self.url
                ))
            })?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// Hands every span of the project (or of `trace_ids`) to `each`.
    pub(crate) fn scan(
        &self,
        trace_ids: Option<&[String]>,
        each: &mut dyn FnMut(SpanRecord) -> ControlFlow<()>,
    ) -> Result<ScanStats, CliError> {
        let mut stats = ScanStats::default();
        match trace_ids {
            Some(ids) => {
                for chunk in ids.chunks(IDS_PER_REQUEST) {
                    if self.scan_pages(chunk, &mut stats, each)?.is_break() {
                        break;
                    }
                }
            }
            None => {
                // Stopped or not, the stats so far are the answer.
                let _stopped = self.scan_pages(&[], &mut stats, each)?;
            }
        }
        Ok(stats)
    }

    fn scan_pages(
        &self,
        trace_ids: &[String],
        stats: &mut ScanStats,
        each: &mut dyn FnMut(SpanRecord) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, CliError> {
        let mut cursor: Option<String> = None;
        loop {
            let mut url = self.endpoint(&["v1", "projects", &self.project, "spans"])?;
            {
                let mut query = url.query_pairs_mut();
                query.append_pair("limit", &PAGE.to_string());
                for id in trace_ids {
                    query.append_pair("trace_id", id);
                }
                if let Some(cursor) = &cursor {
                    query.append_pair("cursor", cursor);
                }
            }
            let page = self.get_json(url)?;
            let Some(data) = page.get("data").and_then(Json::as_array) else {
                return Err(CliError::failed(format!(
                    "{} answered without a `data` array; is this a Phoenix server?",
                    self.describe()
                )));
            };
            for item in data {
                match span_from_json(item) {
                    Ok(span) => {
                        stats.spans += 1;
                        if each(span).is_break() {
                            return Ok(ControlFlow::Break(()));
                        }
                    }
                    Err(why) => {
                        stats.skipped += 1;
                        if stats.first_problem.is_none() {
                            stats.first_problem = Some(format!("{}: {why}", self.describe()));
                        }
                    }
                }
            }
            let next = page
                .get("next_cursor")
                .and_then(Json::as_str)
                .map(str::to_owned);
            match next {
                Some(next) if cursor.as_deref() != Some(next.as_str()) && !data.is_empty() => {
                    cursor = Some(next);
                }
                _ => return Ok(ControlFlow::Continue(())),
            }
        }
    }

    fn get_json(&self, url: Url) -> Result<Json, CliError> {
        let response = self.client.get(url.clone()).send().map_err(|err| {
            CliError::failed(format!(
                "cannot reach Phoenix at {}: {err}; is it running (`phoenix serve`)? check --phoenix",
                self.url
            ))
        })?;
        let status = response.status();
        let body = response.text().map_err(|err| {
            CliError::failed(format!("reading the answer of {url} failed: {err}"))
        })?;
        if status.as_u16() == 404 {
            return Err(CliError::failed(format!(
                "{} has no project `{}`{}; pass --project NAME (the `openinference.project.name` \
                 resource attribute the traces were sent with)",
                self.url,
                self.project,
                self.project_list()
            )));
        }
        if !status.is_success() {
            return Err(CliError::failed(format!(
                "Phoenix answered {status} for {url}: {}",
                body.chars().take(300).collect::<String>()
            )));
        }
        serde_json::from_str(&body).map_err(|err| {
            CliError::failed(format!(
                "Phoenix's answer to {url} is not JSON ({err}); is --phoenix a Phoenix server?"
            ))
        })
    }

    /// ` (projects: a, b)` when the server lists its projects, else empty.
    fn project_list(&self) -> String {
        let Ok(mut url) = self.endpoint(&["v1", "projects"]) else {
            return String::new();
        };
        url.query_pairs_mut().append_pair("limit", "100");
        let Ok(response) = self.client.get(url).send() else {
            return String::new();
        };
        let Ok(body) = response.text() else {
            return String::new();
        };
        let Ok(json) = serde_json::from_str::<Json>(&body) else {
            return String::new();
        };
        let names: Vec<&str> = json
            .get("data")
            .and_then(Json::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|p| p.get("name").and_then(Json::as_str))
                    .collect()
            })
            .unwrap_or_default();
        if names.is_empty() {
            String::new()
        } else {
            format!(" (projects: {})", names.join(", "))
        }
    }
}

/// Maps one span of Phoenix's `GET /v1/projects/{p}/spans` answer.
pub(crate) fn span_from_json(span: &Json) -> Result<SpanRecord, String> {
    let context = span.get("context").ok_or("span without `context`")?;
    let id = |value: Option<&Json>, len: usize, what: &str| -> Result<String, String> {
        let text = value.and_then(Json::as_str).unwrap_or_default();
        if text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(text.to_ascii_lowercase())
        } else {
            Err(format!("{what} {text:?} is not {len} hex digits"))
        }
    };
    let trace_id = id(context.get("trace_id"), 32, "trace_id")?;
    let span_id = id(context.get("span_id"), 16, "span_id")?;
    let parent_span_id = match span.get("parent_id") {
        None | Some(Json::Null) => None,
        Some(value) => Some(id(Some(value), 16, "parent_id")?),
    };
    let time = |key: &str| -> u64 {
        span.get(key)
            .and_then(Json::as_str)
            .and_then(parse_time)
            .unwrap_or(0)
    };
    let code = match span.get("status_code").and_then(Json::as_str) {
        Some("ERROR") => StatusCodeRecord::Error,
        Some("OK") => StatusCodeRecord::Ok,
        _ => StatusCodeRecord::Unset,
    };
    let mut attributes = Attributes::new();
    if let Some(Json::Object(map)) = span.get("attributes") {
        flatten("", map, &mut attributes);
    }
    let events = span
        .get("events")
        .and_then(Json::as_array)
        .map(|events| {
            events
                .iter()
                .map(|event| {
                    let mut attributes = Attributes::new();
                    if let Some(Json::Object(map)) = event.get("attributes") {
                        flatten("", map, &mut attributes);
                    }
                    EventRecord {
                        name: event
                            .get("name")
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        time_unix_nanos: event
                            .get("timestamp")
                            .and_then(Json::as_str)
                            .and_then(parse_time)
                            .unwrap_or(0),
                        attributes,
                        dropped_attributes_count: 0,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(SpanRecord {
        trace_id,
        span_id,
        parent_span_id,
        name: span
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned(),
        start_unix_nanos: time("start_time"),
        end_unix_nanos: time("end_time"),
        status: StatusRecord {
            message: if code == StatusCodeRecord::Error {
                span.get("status_message")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_owned()
            } else {
                String::new()
            },
            code,
        },
        attributes,
        events,
        ..SpanRecord::default()
    })
}

/// Phoenix may nest attributes (`{"llm": {"model_name": …}}`); keys are joined with dots.
fn flatten(prefix: &str, map: &serde_json::Map<String, Json>, out: &mut Attributes) {
    for (key, value) in map {
        let key = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Json::Object(inner) => flatten(&key, inner, out),
            other => out.push((key, attr_value(other))),
        }
    }
}

fn attr_value(value: &Json) -> AttrValue {
    match value {
        Json::Null => AttrValue::Empty,
        Json::Bool(b) => AttrValue::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => AttrValue::Int(i),
            None => AttrValue::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => AttrValue::Str(s.clone()),
        Json::Array(items) => AttrValue::Array(items.iter().map(attr_value).collect()),
        Json::Object(map) => AttrValue::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), attr_value(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_phoenix_span() {
        let json: Json = serde_json::from_str(
            r#"{"id":"U3Bhbjo1","name":"execute_tool create_refund",
            "context":{"trace_id":"D7F80FE455C7E4B4DC3EF937F7AD4511","span_id":"0c4c29e4d32141df"},
            "span_kind":"TOOL","parent_id":"4afd2e804bd37c6f",
            "start_time":"2026-11-22T07:08:21.788672+00:00","end_time":"2026-11-22T07:08:21.830194+00:00",
            "status_code":"ERROR","status_message":"refund too large",
            "attributes":{"gen_ai.usage.input_tokens":812,"gen_ai.request.temperature":0.2,
              "gen_ai.response.finish_reasons":["stop"],"llm":{"model_name":"gpt-4.1-mini"}},
            "events":[{"name":"exception","timestamp":"2026-11-22T07:08:21.8+00:00","attributes":{"exception.type":"E"}}]}"#,
        )
        .expect("json");
        let span = span_from_json(&json).expect("maps");
        assert_eq!(span.trace_id, "d7f80fe455c7e4b4dc3ef937f7ad4511");
        assert_eq!(span.parent_span_id.as_deref(), Some("4afd2e804bd37c6f"));
        assert_eq!(span.duration_nanos(), 41_522_000);
        assert!(span.status.is_error());
        assert_eq!(span.status.message, "refund too large");
        assert_eq!(span.attr_i64("gen_ai.usage.input_tokens"), Some(812));
        assert_eq!(span.attr_f64("gen_ai.request.temperature"), Some(0.2));
        assert_eq!(
            span.attr_str_array("gen_ai.response.finish_reasons"),
            Some(vec!["stop"])
        );
        assert_eq!(span.attr_str("llm.model_name"), Some("gpt-4.1-mini"));
        assert_eq!(span.events[0].attributes[0].0, "exception.type");
    }

    #[test]
    fn rejects_spans_without_ids() {
        let json: Json =
            serde_json::from_str(r#"{"name":"x","context":{"trace_id":"12"}}"#).expect("json");
        assert!(span_from_json(&json).is_err());
    }

    #[test]
    fn only_plain_http_urls() {
        assert!(Phoenix::new("http://127.0.0.1:6006", "default").is_ok());
        assert!(Phoenix::new("https://app.phoenix.arize.com", "default").is_err());
        assert!(Phoenix::new("not a url", "default").is_err());
        assert!(Phoenix::new("http://127.0.0.1:6006", " ").is_err());
    }
}
