//! End-to-end tests of the `genai-otel` binary.
//!
//! * `store`: stores written by the library itself (list, show, filters, errors).
//! * `golden`: `export-trace` on the support_agent trace against a golden YAML file, and the
//!   evaluator on the export.
//! * `large`: `list` over a 5,000-trace store, and its peak memory (flat from 5,000 to
//!   50,000 traces).
//! * `python`: OTLP/JSON written by the Python OpenTelemetry SDK's file exporter, and the
//!   YAML export read by PyYAML.
//! * `phoenix`: traces sent over OTLP to a real Arize Phoenix, read back with `--phoenix`.
//!
//! The Python and Phoenix tests install their packages into virtual environments under the
//! target directory on first use (network access to PyPI), and fail — never skip — when
//! they cannot.

mod common;
mod gen;
mod golden;
mod large;
mod phoenix;
mod python;
mod store;
