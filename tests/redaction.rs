//! Integration tests of the redaction pipeline through the public API.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point

use std::borrow::Cow;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use genai_otel::{
    BuildError, Detector, KeyAction, RedactingExporter, Redactor, RedactorBuilder, Replacement,
    SpanScope,
};
use opentelemetry::trace::{Event, Link, SpanContext, SpanId, SpanKind, Status};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter, SpanLinks};
use opentelemetry_sdk::Resource;
use proptest::prelude::*;

fn all() -> Redactor {
    Redactor::builder()
        .builtin(Detector::ALL)
        .build()
        .expect("built-ins compile")
}

/// True if no 8-byte window of `secret` (or, for shorter secrets, the whole
/// value) is in `out`: the corpus's acceptance rule.
fn gone(secret: &str, out: &str) -> bool {
    if secret.len() < 8 {
        return !out.contains(secret);
    }
    (0..=secret.len() - 8)
        .filter(|&i| secret.is_char_boundary(i) && secret.is_char_boundary(i + 8))
        .all(|i| !out.contains(&secret[i..i + 8]))
}

/// Asserts that redacting `text` removes `secret` and writes `[label]`.
#[track_caller]
fn assert_redacted(r: &Redactor, text: &str, secret: &str, label: &str) {
    let out = r.redact(text);
    assert!(gone(secret, &out), "{secret:?} survived in {out:?}");
    assert!(
        out.contains(&format!("[{label}]")),
        "no [{label}] in {out:?} (input {text:?})"
    );
}

// ---------------------------------------------------------------------------
// Built-in detectors: every listed format, and what must survive.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
const POSITIVE: &[(&str, &str, &str)] = &[
    // (text, secret, label)
    ("mail ana.garcia@example.com now", "ana.garcia@example.com", "email"),
    ("To: JOHN+DOE@corp.example.co.uk.", "JOHN+DOE@corp.example.co.uk", "email"),
    ("(anna_kim@uni.example.edu)", "anna_kim@uni.example.edu", "email"),
    ("call (415) 555-2671 today", "(415) 555-2671", "phone"),
    ("call 415-555-2671", "415-555-2671", "phone"),
    ("call 415.555.2671", "415.555.2671", "phone"),
    ("call +1 415 555 2671", "+1 415 555 2671", "phone"),
    ("call +1-415-555-2671", "+1-415-555-2671", "phone"),
    ("call 1-800-555-0199", "1-800-555-0199", "phone"),
    ("call +1 (415) 555-2671", "(415) 555-2671", "phone"),
    ("UK +44 20 7946 0958", "+44 20 7946 0958", "phone"),
    ("DE +49-30-1234567", "+49-30-1234567", "phone"),
    ("FR +33.1.23.45.67.89", "+33.1.23.45.67.89", "phone"),
    ("IN +91 98765 43210", "+91 98765 43210", "phone"),
    ("E.164 +14155552671", "+14155552671", "phone"),
    ("SSN 262-92-2594.", "262-92-2594", "ssn"),
    ("SSN 262 92 2594", "262 92 2594", "ssn"),
    ("visa 4111 1111 1111 1111", "4111 1111 1111 1111", "card"),
    ("visa 4111-1111-1111-1111", "4111-1111-1111-1111", "card"),
    ("visa 4111111111111111", "4111111111111111", "card"),
    ("visa13 4222222222222", "4222222222222", "card"),
    ("mc 5555 5555 5555 4444", "5555 5555 5555 4444", "card"),
    ("mc2 2223 0031 2200 3222", "2223 0031 2200 3222", "card"),
    ("amex 3782 822463 10005", "3782 822463 10005", "card"),
    ("amex 3714-496353-98431", "3714-496353-98431", "card"),
    ("amex 378282246310005", "378282246310005", "card"),
    ("discover 6011 1111 1111 1117", "6011 1111 1111 1117", "card"),
    ("jcb 3530111333300000", "3530111333300000", "card"),
    ("diners 3056 930902 5904", "3056 930902 5904", "card"),
    ("unionpay 6200000000000005", "6200000000000005", "card"),
    ("card 4111 1111 1111 1111 202 spare digits", "4111 1111 1111 1111", "card"),
    ("IBAN DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00", "iban"),
    ("IBAN GB82 WEST 1234 5698 7654 32.", "GB82 WEST 1234 5698 7654 32", "iban"),
    ("IBAN FR14 2004 1010 0505 0001 3M02 606", "FR14 2004 1010 0505 0001 3M02 606", "iban"),
    ("IBAN NL91ABNA0417164300", "NL91ABNA0417164300", "iban"),
    ("IBAN ES91 2100 0418 4502 0005 1332", "ES91 2100 0418 4502 0005 1332", "iban"),
    ("IBAN CH93 0076 2011 6238 5295 7", "CH93 0076 2011 6238 5295 7", "iban"),
    ("IBAN NO9386011117947", "NO9386011117947", "iban"),
    ("IBAN BE68539007547034", "BE68539007547034", "iban"),
    ("IBAN IT60 X054 2811 1010 0000 0123 456", "IT60 X054 2811 1010 0000 0123 456", "iban"),
    ("IBAN PL61 1090 1014 0000 0712 1981 2874", "PL61 1090 1014 0000 0712 1981 2874", "iban"),
    ("from 192.168.1.20 at", "192.168.1.20", "ipv4"),
    ("dns 8.8.8.8.", "8.8.8.8", "ipv4"),
    ("net 10.0.0.0/8", "10.0.0.0", "ipv4"),
    ("v6 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ipv6"),
    ("v6 2001:db8:85a3::8a2e:370:7334 ok", "2001:db8:85a3::8a2e:370:7334", "ipv6"),
    ("v6 2001:db8::1", "2001:db8::1", "ipv6"),
    ("loopback ::1 only", "::1", "ipv6"),
    ("link fe80::1%eth0 up", "fe80::1%eth0", "ipv6"),
    ("mapped ::ffff:192.0.2.128", "::ffff:192.0.2.128", "ipv6"),
    ("[2001:db8::42]:8080", "2001:db8::42", "ipv6"),
    (
        "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "jwt",
    ),
    ("Authorization: Bearer abc.DEF-123_xyz", "abc.DEF-123_xyz", "auth_header"),
    ("authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==", "auth_header"),
    ("Proxy-Authorization: Digest username=\"a\", response=\"6629fae4\"", "6629fae4", "auth_header"),
    ("curl -H 'Authorization: Token 9944b09199c62bcf'", "9944b09199c62bcf", "auth_header"),
    ("use Basic dXNlcjpwYXNzd29yZA== here", "dXNlcjpwYXNzd29yZA==", "auth_header"),
    ("use bearer 9f8e7d6c5b4a39281706f5e4 here", "9f8e7d6c5b4a39281706f5e4", "auth_header"),
    ("db postgres://admin:s3cr3t-pw@db.example.com:5432/app", "admin:s3cr3t-pw", "url_credentials"),
    ("cache redis://:hunter2@cache:6379", ":hunter2", "url_credentials"),
    ("odd https://user:p@ss@host/path", "user:p@ss", "url_credentials"),
    ("sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8v-NxakieS4p6rwz5rktNRWihS7hy", "sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8v-NxakieS4p6rwz5rktNRWihS7hy", "openai_key"),
    ("key sk-3SwpIUjZbT3BlbkFJq8XrVb2kd9sLmN0pQrStUvWxYz", "sk-3SwpIUjZbT3BlbkFJq8XrVb2kd9sLmN0pQrStUvWxYz", "openai_key"),
    ("key sk-svcacct-AbCdEf0123456789AbCdEf0123456789", "sk-svcacct-AbCdEf0123456789AbCdEf0123456789", "openai_key"),
    ("sk-ant-api03-R2D2C3POxyzR2D2C3POxyzR2D2C3POxyz-abcDEF123_xyzAA", "sk-ant-api03-R2D2C3POxyzR2D2C3POxyzR2D2C3POxyz-abcDEF123_xyzAA", "anthropic_key"),
    ("id AKIAIOSFODNN7EXAMPLE.", "AKIAIOSFODNN7EXAMPLE", "aws_key"),
    ("temp ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A", "aws_key"),
    ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_key"),
    ("export AWS_SECRET_ACCESS_KEY: \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_key"),
    ("ghp_iT6QLWhtjNZ8JJ7P3JIAVWEqt4H2hIcEdoxu", "ghp_iT6QLWhtjNZ8JJ7P3JIAVWEqt4H2hIcEdoxu", "github_token"),
    ("gho_16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "github_token"),
    (
        "pat github_pat_11ABCDEFG0123456789abc_0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHIJ01234",
        "github_pat_11ABCDEFG0123456789abc_0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHIJ01234",
        "github_token",
    ),
    ("slack xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "slack_token"),
    ("slack xoxp-1234567890-0987654321-abcdef", "xoxp-1234567890-0987654321-abcdef", "slack_token"),
    ("app xapp-1-A0123456789-0123456789012-abcdef0123456789", "xapp-1-A0123456789-0123456789012-abcdef0123456789", "slack_token"),
    (
        "hook https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "slack_token",
    ),
    (
        "hook https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "other_api_key",
    ),
    (
        "bot https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe",
        "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "other_api_key",
    ),
    ("stripe sk_live_51H8xYzAbCdEfGhIjKlMnOpQr", "sk_live_51H8xYzAbCdEfGhIjKlMnOpQr", "stripe_key"),
    ("stripe rk_test_51H8xYzAbCdEfGhIjKlMnOpQr", "rk_test_51H8xYzAbCdEfGhIjKlMnOpQr", "stripe_key"),
    ("stripe whsec_AbCdEfGhIjKlMnOpQrStUvWxYz012345", "whsec_AbCdEfGhIjKlMnOpQrStUvWxYz012345", "stripe_key"),
    ("google AIzaSyA-1234567890abcdefghijklmnopqrstu", "AIzaSyA-1234567890abcdefghijklmnopqrstu", "google_key"),
    ("oauth ya29.a0AfH6SMBx-EXAMPLE-token_value_1234567890", "ya29.a0AfH6SMBx-EXAMPLE-token_value_1234567890", "google_key"),
    ("client GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz01", "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz01", "google_key"),
    ("hf hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "huggingface_token"),
    ("gitlab glpat-xxxxxxxxxxxxxxxxxxxx", "glpat-xxxxxxxxxxxxxxxxxxxx", "other_api_key"),
    ("npm npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "other_api_key"),
    ("groq gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGh", "gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGh", "other_api_key"),
    ("replicate r8_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "r8_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "other_api_key"),
    (
        "sendgrid SG.AbCdEfGhIjKlMnOpQrStUv.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfG",
        "SG.AbCdEfGhIjKlMnOpQrStUv.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfG",
        "other_api_key",
    ),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234\nabcd==\n-----END RSA PRIVATE KEY-----\nafter",
        "MIIEpAIBAAKCAQEA1234",
        "private_key",
    ),
    ("truncated -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0", "MIIEvQIBADANBgkqhkiG9w0", "private_key"),
    (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0K1zYBCADGw0xXabc\n=Xy1z\n-----END PGP PRIVATE KEY BLOCK-----\nafter",
        "lQOYBF0K1zYBCADGw0xXabc",
        "private_key",
    ),
    ("password=hunter2", "hunter2", "generic_secret"),
    ("mysql -u root --password hunter22 -h db", "hunter22", "generic_secret"),
    ("docker login --username ana --password \"s3cr3t pw\" reg.example.com", "s3cr3t pw", "generic_secret"),
    ("deploy --client-secret abc123def456", "abc123def456", "generic_secret"),
    ("if token == 'tok123abc': pass", "tok123abc", "generic_secret"),
    ("$config = ['password' => 'secret123', 'user' => 'ana'];", "secret123", "generic_secret"),
    ("password:=hunter22", "hunter22", "generic_secret"),
    ("CREATE USER app WITH PASSWORD 'Sup3rS3cret';", "Sup3rS3cret", "generic_secret"),
    (
        "https://b.s3.amazonaws.com/k?X-Amz-Date=20260314T000000Z&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0&x=1",
        "fe5f80f77d5fa3beca038a248ff027d0",
        "generic_secret",
    ),
    ("https://a.blob.core.windows.net/c/b?sv=2021-08-06&sp=r&sig=abcDEF123%2Bxyz%3D", "abcDEF123%2Bxyz%3D", "generic_secret"),
    ("CREATE USER 'app'@'%' IDENTIFIED BY 'My''Pass1';", "My''Pass1", "generic_secret"),
    ("DB_PASSWORD = 'correct horse battery staple'", "correct horse battery staple", "generic_secret"),
    ("secret: s3cr3t-value", "s3cr3t-value", "generic_secret"),
    ("api_key=abc123def456", "abc123def456", "generic_secret"),
    ("x-api-key: 0123456789abcdef", "0123456789abcdef", "generic_secret"),
    (
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4MTIzNA==;EndpointSuffix=core.windows.net",
        "Zm9vYmFyYmF6cXV4MTIzNA==",
        "generic_secret",
    ),
    ("{\"client_secret\": \"shh-it-is-secret\", truncated", "shh-it-is-secret", "generic_secret"),
    ("GET /v1/items?token=tok_abcdef123&page=2", "tok_abcdef123", "generic_secret"),
];

#[test]
fn every_builtin_format_is_redacted() {
    let r = all();
    for (text, secret, label) in POSITIVE {
        assert_redacted(&r, text, secret, label);
    }
}

#[test]
fn labels_name_the_specific_detector_after_a_variable_name() {
    let r = all();
    assert_eq!(
        r.redact("export OPENAI_API_KEY=sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8vNx"),
        "export OPENAI_API_KEY=[openai_key]"
    );
    assert_eq!(
        r.redact("Authorization: Basic dXNlcjpwYXNzd29yZA=="),
        "Authorization: Basic [auth_header]"
    );
}

#[test]
fn a_secret_keys_value_is_labelled_by_what_it_is_in_json_as_in_text() {
    let r = all();
    assert_eq!(
        r.redact("api_key=sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8vNx"),
        "api_key=[openai_key]"
    );
    assert_eq!(
        r.redact(r#"{"api_key": "sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8vNx", "token": "ghp_iT6QLWhtjNZ8JJ7P3JIAVWEqt4H2hIcEdoxu"}"#),
        r#"{"api_key": "[openai_key]", "token": "[github_token]"}"#
    );
    // A value no other detector names keeps the key's label.
    assert_eq!(
        r.redact(r#"{"api_key": "abc123def456", "password": "ana@example.com"}"#),
        r#"{"api_key": "[generic_secret]", "password": "[generic_secret]"}"#
    );
}

#[test]
fn values_that_only_point_at_the_secret_are_kept() {
    let r = all();
    for kept in [
        "export GITHUB_TOKEN=<your-token>",
        "api_key=<your api key> next",
        r#"curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/user"#,
        r#"token = os.environ["GITHUB_TOKEN"]"#,
        "apiKey: process.env.OPENAI_API_KEY,",
        r#"let api_key = std::env::var("OPENAI_API_KEY")?;"#,
        "token=${TOKEN} and key: {{ secrets.API_TOKEN }}",
        r#"headers = {"Authorization": f"Bearer {token}"}"#,
        "password: ********",
        r#"const password = document.getElementById("password").value;"#,
        "pw = getpass('Password: ')",
        r#"print("Token: " + token)"#,
    ] {
        assert_eq!(r.redact(kept), kept);
    }
    // Values that merely look alike are still replaced.
    for (text, expected) in [
        ("password=$ecret1", "password=[generic_secret]"),
        ("token=$TOKEN", "token=[generic_secret]"),
        ("pwd=<hunter2>", "pwd=[generic_secret]"),
        (
            r#"password: "{hunter2}""#,
            r#"password: "[generic_secret]""#,
        ),
        (r#"password=f"hunter22""#, r#"password=f"[generic_secret]""#),
    ] {
        assert_eq!(r.redact(text), expected, "{text}");
    }
}

#[test]
fn a_quoted_authorization_header_ends_at_its_closing_quote() {
    let r = all();
    for (text, expected) in [
        (
            r#"curl -H "Authorization: Bearer abcdef0123456789abcdef" https://api.example.com"#,
            r#"curl -H "Authorization: Bearer [auth_header]" https://api.example.com"#,
        ),
        (
            r#"curl -H 'Authorization: Digest username="a", response="b8a1"' -H "X: y""#,
            r#"curl -H 'Authorization: Digest [auth_header]' -H "X: y""#,
        ),
        // An escaped quote inside double quotes does not close the header.
        (
            r#"s = "Authorization: Digest username=\"a\", response=\"b8a1\""; next()"#,
            r#"s = "Authorization: Digest [auth_header]"; next()"#,
        ),
        // Not closed on the line, or not a quoted header: to the end of the line.
        (
            "\"Authorization: Bearer abcdef0123456789 never closed\nnext line",
            "\"Authorization: Bearer [auth_header]\nnext line",
        ),
        (
            r#"Authorization: Bearer abc "quoted" rest"#,
            "Authorization: Bearer [auth_header]",
        ),
        (
            r#""Authorization": Bearer abcdef0123456789, trailing"#,
            r#""Authorization": Bearer [auth_header]"#,
        ),
    ] {
        assert_eq!(r.redact(text), expected, "{text}");
    }
}

#[rustfmt::skip]
const NEGATIVE: &[&str] = &[
    "order ord_12345 and order #48213 shipped",
    "upgrade to v8.7.34, 1.2.3 or 10.4",
    "ticket 2026-06-26, due 2026-12-01 at 10:30 or 10:30:45 PM",
    "total $1,299.00 (was $1,499.99), 25% off",
    "card-like 1238 4020 6583 8723 and 4111 1111 1111 1112 fail Luhn",
    "long id 12345678901234567890123 is not a card",
    "uuid 550e8400-e29b-41d4-a716-446655440000 stays",
    "commit 3f9a1c0b7e2d4a6f8b1c3e5d7f9a0b2c4d6e8f01 stays",
    "max_tokens: 512, temperature: 0.2, top_p: 0.9",
    "use std::fs::read_to_string and Vec::new()",
    "mac 00:1A:2B:3C:4D:5E is not an ip",
    "secretary: Bob; compass: north; Note: fine",
    "a task-force and risk-assessment workshop",
    "run --max-tokens 512 --token-count 3 --secret-name prod-db --no-password --next",
    "gh auth login --with-token < token.txt; wait -- what? a--password x",
    "don't, it's the password's length; print('hello') and 'quoted' words",
    "ids 12345:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw and 123456789:AAshort stay",
    "Pass --api-key with your key, or use the --token flag. The --password option is old.",
    "Set --password to your database password; --token is optional.",
    "short 555-1234 local number",
    "bad iban DE89 3704 0044 0532 0130 01",
    "ssn-like 000-12-3456 and 666-12-3456",
    "no ip 999.1.1.1 or 1.2.3.4.5",
    "ratio 3:2 and 16:9, time 23:59",
    "model gpt-4.1-mini, claude-sonnet-4, llama-3.1-8b",
    "http://example.com/a?b=c and https://docs.example.com/path",
    "a Bearer of bad news, basic information",
    "8x5 grid, room 113, build 8994, prv_2026_06_13_20, doc_102",
    "café naïve — ünïcödé 東京 1234",
    "already [email] and [card:3f9a1c2b] and password=[generic_secret]",
    "",
];

#[test]
fn non_secrets_survive_unchanged_and_unallocated() {
    let r = all();
    for text in NEGATIVE {
        let out = r.redact(text);
        assert_eq!(out, *text);
        assert!(matches!(out, Cow::Borrowed(_)), "allocated for {text:?}");
    }
}

#[test]
fn detectors_are_selectable() {
    let r = Redactor::builder()
        .builtin(Detector::EMAIL | Detector::CARD)
        .build()
        .expect("builds");
    assert_eq!(
        r.redact("ana@example.com 4111 1111 1111 1111 123-45-6789 8.8.8.8"),
        "[email] [card] 123-45-6789 8.8.8.8"
    );
    let none = Redactor::builder().build().expect("builds");
    assert_eq!(none.redact("ana@example.com"), "ana@example.com");
    for name in Detector::ALL.names() {
        let one = Detector::from_name(name).expect("every name parses");
        assert_eq!(one.name(), Some(name));
    }
}

#[test]
fn redaction_is_idempotent() {
    let r = all();
    let text = "ana@example.com, +1 415 555 2671, password=hunter2, 4111 1111 1111 1111, \
                {\"a\": \"b\"}, sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8vNx";
    let once = r.redact(text).into_owned();
    let twice = r.redact(&once);
    assert_eq!(twice, once);
    assert!(matches!(twice, Cow::Borrowed(_)));
}

#[test]
fn corpus_sample_through_the_library() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/pii-dev.jsonl");
    let data = std::fs::read_to_string(path).expect("the dev corpus is in shared/");
    let r = all();
    let mut rows = 0;
    for line in data.lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("corpus is JSON lines");
        let text = row["text"].as_str().expect("text");
        let out = r.redact(text);
        for secret in row["secrets"].as_array().expect("secrets") {
            let value = secret["value"].as_str().expect("value");
            assert!(gone(value, &out), "{value:?} survived in {out:?}");
        }
        for keep in row["keep"].as_array().expect("keep") {
            let keep = keep.as_str().expect("keep value");
            assert!(out.contains(keep), "{keep:?} lost from {out:?}");
        }
        rows += 1;
    }
    assert_eq!(rows, 600);
}

// ---------------------------------------------------------------------------
// Custom rules, functions, failing closed, replacement.
// ---------------------------------------------------------------------------

#[test]
fn custom_regex_rules_win_over_builtins_at_the_same_position() {
    let r = Redactor::builder()
        .builtin(Detector::ALL)
        .regex("order_id", r"\bord_\d{4,}\b")
        .and_then(|b| b.regex("corp_mail", r"[a-z]+@corp\.example"))
        .and_then(|b| b.build())
        .expect("builds");
    assert_eq!(
        r.redact("ord_12345 and ord_12 by ana@corp.example and bo@example.com"),
        "[order_id] and ord_12 by [corp_mail] and [email]"
    );
}

#[test]
fn builder_errors_name_the_rule() {
    let bad = Redactor::builder().regex("r1", "(unclosed").unwrap_err();
    assert!(
        matches!(&bad, BuildError::InvalidPattern { rule, .. } if rule == "r1"),
        "{bad:?}"
    );
    assert!(bad.to_string().contains("fix the pattern"));
    let empty = Redactor::builder().regex("r2", "x?").unwrap_err();
    assert_eq!(empty, BuildError::MatchesEmpty { rule: "r2".into() });
    let name = Redactor::builder().regex("has space", "x").unwrap_err();
    assert_eq!(
        name,
        BuildError::InvalidName {
            name: "has space".into()
        }
    );
    let fn_name = Redactor::builder()
        .function("", |_| Ok(vec![]))
        .build()
        .unwrap_err();
    assert_eq!(
        fn_name,
        BuildError::InvalidName {
            name: String::new()
        }
    );
}

#[test]
fn custom_rules_that_can_start_anywhere_still_work() {
    // `\w+` can start with any word byte: the pass falls back to a full scan.
    let r = Redactor::builder()
        .builtin(Detector::ALL)
        .regex("codename", r"\w+-(?:alpha|omega)\b")
        .and_then(RedactorBuilder::build)
        .expect("builds");
    assert_eq!(
        r.redact("project blue-alpha for ana@example.com, café-omega"),
        "project [codename] for [email], [codename]"
    );
}

#[test]
fn functions_run_after_patterns_in_order() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let r = Redactor::builder()
        .builtin(Detector::EMAIL)
        .function("first", move |s| {
            log.lock().map_err(|_| "poisoned")?.push(s.to_owned());
            Ok(s.find("db1").map(|i| i..i + 3).into_iter().collect())
        })
        .function("second", |s| {
            // Overlapping and unsorted ranges merge into one token.
            Ok(s.find("host")
                .map(|i| vec![i + 2..i + 4, i..i + 3])
                .unwrap_or_default())
        })
        .build()
        .expect("builds");
    assert_eq!(
        r.redact("ana@example.com on db1 host"),
        "[email] on [first] [second]"
    );
    assert_eq!(
        seen.lock().expect("not poisoned").as_slice(),
        ["[email] on db1 host"]
    );
}

#[test]
fn failing_functions_fail_closed_and_are_counted() {
    let r = Redactor::builder()
        .builtin(Detector::EMAIL)
        .function("boom", |s| {
            if s.contains("panic") {
                panic!("custom rule bug");
            }
            if s.contains("error") {
                return Err("cannot parse".into());
            }
            if s.contains("oob") {
                return Ok(std::iter::once(0..10_000).collect());
            }
            if s.contains("split") {
                // Inside the two-byte 'é'.
                return Ok(std::iter::once(0..1).collect());
            }
            Ok(vec![])
        })
        .build()
        .expect("builds");
    let clone = r.clone();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let panicked = r.redact("panic for ana@example.com");
    std::panic::set_hook(hook);
    assert_eq!(panicked, "[redaction-failed]");
    assert_eq!(r.redact("error here"), "[redaction-failed]");
    assert_eq!(r.redact("oob secret"), "[redaction-failed]");
    assert_eq!(r.redact("ésplit"), "[redaction-failed]");
    assert_eq!(r.redact("fine"), "fine");
    assert_eq!(clone.failure_count(), 4);
    // In JSON, the failure replaces only the leaf it happened in.
    assert_eq!(
        r.redact(r#"{"a":"error","b":"ok"}"#),
        r#"{"a":"[redaction-failed]","b":"ok"}"#
    );
    assert_eq!(r.failure_count(), 5);
}

#[test]
fn pseudonyms_are_keyed_and_stable() {
    let build = |key: &[u8]| {
        Redactor::builder()
            .builtin(Detector::ALL)
            .regex("order_id", r"ord_\d+")
            .expect("valid")
            .replacement(Replacement::Pseudonym)
            .pseudonym_key(key)
            .build()
            .expect("builds")
    };
    let a = build(b"k1");
    let out = a.redact(
        "ana@example.com wrote to bo@example.com about ord_123, then ana@example.com again",
    );
    let tokens: Vec<&str> = out.split(['[', ']']).filter(|t| t.contains(':')).collect();
    assert_eq!(tokens.len(), 4, "{out}");
    assert_eq!(tokens[0], tokens[3], "same input, same token");
    assert_ne!(tokens[0], tokens[1]);
    assert!(tokens[2].starts_with("order_id:"));
    for t in &tokens {
        let hex = t.split(':').nth(1).expect("hex part");
        assert!(
            hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "{t}"
        );
    }
    assert_eq!(
        build(b"k1").redact("ana@example.com"),
        format!("[{}]", tokens[0])
    );
    assert_ne!(
        build(b"k2").redact("ana@example.com"),
        format!("[{}]", tokens[0])
    );
    // Without a key: a random per-process key, still safe and stable here.
    let keyless = Redactor::builder()
        .builtin(Detector::EMAIL)
        .replacement(Replacement::Pseudonym)
        .build()
        .expect("builds");
    let first = keyless.redact("ana@example.com").into_owned();
    assert!(first.starts_with("[email:") && !first.contains("ana"));
    assert_eq!(keyless.redact("ana@example.com"), first);
}

// ---------------------------------------------------------------------------
// JSON.
// ---------------------------------------------------------------------------

fn json_redactor() -> Redactor {
    Redactor::builder()
        .builtin(Detector::ALL)
        .json_key("password", KeyAction::Drop)
        .json_key("email", KeyAction::Mask)
        .json_key("customer_id", KeyAction::Hash)
        .pseudonym_key(b"test key")
        .build()
        .expect("builds")
}

#[test]
fn json_key_rules_apply_at_any_depth() {
    let r = json_redactor();
    let input = r#"{"a":{"b":[{"password":"p1","keep":1},{"EMAIL":{"x":"ana@example.com"}}]},"password":"p2"}"#;
    let out = r.redact(input);
    assert_eq!(out, r#"{"a":{"b":[{"keep":1},{"EMAIL":"[redacted]"}]}}"#);
}

#[test]
fn json_hash_is_keyed_canonical_and_deterministic() {
    let r = json_redactor();
    let hash_of = |doc: &str| -> String {
        let out = r.redact(doc);
        let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON out");
        v["customer_id"]
            .as_str()
            .expect("hash is a string")
            .to_owned()
    };
    let h = hash_of(r#"{"customer_id": "C-1001"}"#);
    assert_eq!(h.len(), 16);
    assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(h, hash_of(r#"{"customer_id":"C-1001","x":1}"#));
    assert_ne!(h, hash_of(r#"{"customer_id": "C-1002"}"#));
    // Non-string values hash their canonical form: key order does not matter.
    assert_eq!(
        hash_of(r#"{"customer_id": {"b": 2, "a": [1, "x"]}}"#),
        hash_of(r#"{"customer_id":{"a":[1,"x"],"b":2}}"#)
    );
    assert_ne!(
        hash_of(r#"{"customer_id": 42}"#),
        hash_of(r#"{"customer_id": "42 "}"#)
    );
}

#[test]
fn json_string_leaves_are_scrubbed_and_formatting_kept() {
    let r = all();
    let input = "{\n  \"messages\": [\n    {\"role\": \"user\", \"content\": \"I am ana@example.com, card 4111 1111 1111 1111\"},\n    {\"role\": \"assistant\", \"content\": \"ok\\nnoted \\\"4111-1111-1111-1111\\\"\"}\n  ],\n  \"n\": 1.50e3\n}";
    let out = r.redact(input);
    assert_eq!(
        out,
        "{\n  \"messages\": [\n    {\"role\": \"user\", \"content\": \"I am [email], card [card]\"},\n    {\"role\": \"assistant\", \"content\": \"ok\\nnoted \\\"[card]\\\"\"}\n  ],\n  \"n\": 1.50e3\n}"
    );
}

#[test]
fn json_escapes_numbers_keys_and_nested_documents() {
    let r = all();
    // A \u-escaped '@' is decoded before scanning.
    assert_eq!(r.redact(r#"["ana\u0040example.com"]"#), r#"["[email]"]"#);
    // A card stored as a number becomes a string token.
    assert_eq!(
        r.redact(r#"{"pan": 4111111111111111}"#),
        r#"{"pan": "[card]"}"#
    );
    // Object keys are scrubbed too.
    assert_eq!(r.redact(r#"{"ana@example.com": 1}"#), r#"{"[email]": 1}"#);
    // Tool arguments as a JSON string inside JSON are walked as JSON.
    let nested =
        r#"{"name":"lookup","arguments":"{\"password\":\"hunter2\",\"q\":\"ana@example.com\"}"}"#;
    assert_eq!(
        r.redact(nested),
        r#"{"name":"lookup","arguments":"{\"password\":\"[generic_secret]\",\"q\":\"[email]\"}"}"#
    );
}

#[test]
fn json_builtin_secret_names_replace_scalars_and_walk_containers() {
    let r = all();
    assert_eq!(
        r.redact(r#"{"Authorization": "Bearer abc123", "api_key": 12345, "credentials": {"user": "ana@example.com"}, "max_tokens": 512}"#),
        r#"{"Authorization": "Bearer [auth_header]", "api_key": "[generic_secret]", "credentials": {"user": "[email]"}, "max_tokens": 512}"#
    );
}

#[test]
fn invalid_json_is_scrubbed_as_text() {
    let r = all();
    assert_eq!(
        r.redact(r#"{"password": "hunter2", "email": "ana@example.com""#),
        r#"{"password": "[generic_secret]", "email": "[email]""#
    );
    assert_eq!(r.redact("[1] see ana@example.com"), "[1] see [email]");
}

#[test]
fn clean_json_is_not_reallocated() {
    let r = json_redactor();
    let doc = r#"{"messages":[{"role":"user","content":"order ord_1928 on 2026-06-26"}],"n":[1,2.5,true,null]}"#;
    assert!(matches!(r.redact(doc), Cow::Borrowed(_)));
}

// ---------------------------------------------------------------------------
// Span stage.
// ---------------------------------------------------------------------------

fn span_with_secrets() -> SpanData {
    let mut events = SpanEvents::default();
    events.events.push(Event::new(
        "exception",
        SystemTime::UNIX_EPOCH,
        vec![
            KeyValue::new("exception.type", "AuthError"),
            KeyValue::new("exception.message", "login failed for ana@example.com"),
            KeyValue::new(
                "exception.stacktrace",
                "at connect(postgres://admin:s3cr3t@db:5432)\nat main (key sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8vNx)",
            ),
        ],
        0,
    ));
    events.events.push(Event::new(
        "gen_ai.client.inference.operation.details",
        SystemTime::UNIX_EPOCH,
        vec![KeyValue::new(
            "gen_ai.input.messages",
            r#"[{"role":"user","parts":[{"type":"text","content":"SSN 262-92-2594"}]}]"#,
        )],
        0,
    ));
    let mut links = SpanLinks::default();
    links.links.push(Link::new(
        SpanContext::empty_context(),
        vec![KeyValue::new("peer.note", "forwarded by bo@example.com")],
        0,
    ));
    SpanData {
        span_context: SpanContext::empty_context(),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Client,
        name: "GET https://user:pw1234@api.example.com".into(),
        start_time: SystemTime::UNIX_EPOCH,
        end_time: SystemTime::UNIX_EPOCH,
        attributes: vec![
            KeyValue::new(
                "gen_ai.output.messages",
                r#"[{"role":"assistant","parts":[{"type":"text","content":"call +1 415 555 2671"}]}]"#,
            ),
            KeyValue::new("http.url", "https://user:pw1234@api.example.com/v1"),
            KeyValue::new("user.password", "hunter2"),
            KeyValue::new("app.customer_id", "C-1001"),
            KeyValue::new("http.request.header.authorization", "Bearer abc123"),
            KeyValue::new("card.number", 4_111_111_111_111_111_i64),
            KeyValue::new("gen_ai.request.max_tokens", 512_i64),
            KeyValue::new(
                "gen_ai.request.stop_sequences",
                Value::Array(Array::String(vec![
                    StringValue::from("ana@example.com"),
                    StringValue::from("\n"),
                ])),
            ),
        ],
        dropped_attributes_count: 0,
        events,
        links,
        status: Status::error("charge of 4111 1111 1111 1111 declined"),
        instrumentation_scope: InstrumentationScope::builder("third-party").build(),
    }
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn all_strings(span: &SpanData) -> String {
    let mut out = format!("{}\n", span.name);
    let mut push = |attrs: &[KeyValue]| {
        for kv in attrs {
            out.push_str(&kv.value.to_string());
            out.push('\n');
        }
    };
    push(&span.attributes);
    for e in &span.events.events {
        push(&e.attributes);
    }
    for l in &span.links.links {
        push(&l.attributes);
    }
    if let Status::Error { description } = &span.status {
        out.push_str(description);
    }
    out
}

#[test]
fn span_stage_scrubs_every_string_of_a_third_party_span() {
    let r = Redactor::builder()
        .builtin(Detector::ALL)
        .json_key("password", KeyAction::Drop)
        .json_key("customer_id", KeyAction::Hash)
        .pseudonym_key(b"k")
        .build()
        .expect("builds");
    let mut span = span_with_secrets();
    r.redact_span(&mut span);
    let text = all_strings(&span);
    for secret in [
        "ana@example.com",
        "bo@example.com",
        "s3cr3t",
        "pw1234",
        "sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8vNx",
        "262-92-2594",
        "415 555 2671",
        "4111 1111 1111 1111",
        "4111111111111111",
        "hunter2",
        "C-1001",
        "abc123",
    ] {
        assert!(!text.contains(secret), "{secret} survived in:\n{text}");
    }
    assert_eq!(span.name, "GET https://[url_credentials]@api.example.com");
    assert!(
        attr(&span.attributes, "user.password").is_none(),
        "dropped by key rule"
    );
    let hashed = attr(&span.attributes, "app.customer_id")
        .expect("kept")
        .as_str();
    assert!(hashed.len() == 16 && hashed.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        attr(&span.attributes, "http.request.header.authorization")
            .expect("kept")
            .as_str(),
        "Bearer [auth_header]"
    );
    assert_eq!(
        attr(&span.attributes, "card.number"),
        Some(&Value::from("[card]"))
    );
    assert_eq!(
        attr(&span.attributes, "gen_ai.request.max_tokens"),
        Some(&Value::I64(512))
    );
    assert_eq!(
        attr(&span.attributes, "gen_ai.request.stop_sequences"),
        Some(&Value::Array(Array::String(vec![
            StringValue::from("[email]"),
            StringValue::from("\n")
        ])))
    );
    assert_eq!(
        attr(&span.events.events[0].attributes, "exception.type"),
        Some(&Value::from("AuthError"))
    );
    assert_eq!(span.status, Status::error("charge of [card] declined"));
}

#[test]
fn content_scope_leaves_other_attributes_alone() {
    let r = Redactor::builder()
        .builtin(Detector::ALL)
        .json_key("password", KeyAction::Drop)
        .span_scope(SpanScope::ContentAndEvents)
        .build()
        .expect("builds");
    let mut span = span_with_secrets();
    r.redact_span(&mut span);
    // Out of scope: the span name, plain attributes and link attributes.
    assert_eq!(span.name, "GET https://user:pw1234@api.example.com");
    assert_eq!(
        attr(&span.attributes, "http.url"),
        Some(&Value::from("https://user:pw1234@api.example.com/v1"))
    );
    assert_eq!(
        attr(&span.links.links[0].attributes, "peer.note"),
        Some(&Value::from("forwarded by bo@example.com"))
    );
    // In scope: content keys, events, status; key rules apply everywhere.
    let out = attr(&span.attributes, "gen_ai.output.messages")
        .expect("kept")
        .as_str();
    assert!(out.contains("[phone]") && !out.contains("2671"), "{out}");
    assert!(attr(&span.attributes, "user.password").is_none());
    let msg = attr(&span.events.events[0].attributes, "exception.message").expect("kept");
    assert_eq!(msg.as_str(), "login failed for [email]");
    assert_eq!(span.status, Status::error("charge of [card] declined"));
}

#[derive(Debug, Default)]
struct Capture {
    spans: Mutex<Vec<SpanData>>,
    flushes: AtomicUsize,
    shutdowns: AtomicUsize,
    resources: AtomicUsize,
}

#[derive(Debug, Default, Clone)]
struct CaptureExporter(Arc<Capture>);

impl SpanExporter for CaptureExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.spans.lock().expect("not poisoned").extend(batch);
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.0.shutdowns.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.flushes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn set_resource(&mut self, _resource: &Resource) {
        self.0.resources.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls a future that completes without waiting (the capture exporter's).
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the capture exporter never waits"),
    }
}

#[test]
fn redacting_exporter_scrubs_batches_and_forwards_the_rest() {
    let capture = CaptureExporter::default();
    let mut exporter = RedactingExporter::new(capture.clone(), all());
    ready(exporter.export(vec![span_with_secrets(), span_with_secrets()])).expect("export ok");
    exporter.force_flush().expect("flush ok");
    exporter
        .shutdown_with_timeout(Duration::from_secs(1))
        .expect("shutdown ok");
    exporter.set_resource(&Resource::builder_empty().build());
    let spans = capture.0.spans.lock().expect("not poisoned");
    assert_eq!(spans.len(), 2);
    for span in spans.iter() {
        let text = all_strings(span);
        assert!(
            !text.contains("ana@example.com") && !text.contains("4111"),
            "{text}"
        );
    }
    assert_eq!(capture.0.flushes.load(Ordering::SeqCst), 1);
    assert_eq!(capture.0.shutdowns.load(Ordering::SeqCst), 1);
    assert_eq!(capture.0.resources.load(Ordering::SeqCst), 1);
}

#[test]
fn redacting_exporter_works_inside_an_sdk_pipeline() {
    use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
    let capture = CaptureExporter::default();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_simple_exporter(RedactingExporter::new(capture.clone(), all()))
        .build();
    let mut span = provider.tracer("lib").start("call");
    span.set_attribute(KeyValue::new("note", "reach me at ana@example.com"));
    span.end();
    provider.force_flush().expect("flushed");
    let spans = capture.0.spans.lock().expect("not poisoned");
    assert_eq!(spans.len(), 1);
    assert_eq!(
        attr(&spans[0].attributes, "note"),
        Some(&Value::from("reach me at [email]"))
    );
}

#[test]
fn public_types_are_send_sync_debug_and_cheap_to_clone() {
    fn check<T: Send + Sync + std::fmt::Debug>() {}
    check::<Redactor>();
    check::<RedactorBuilder>();
    check::<Detector>();
    check::<KeyAction>();
    check::<Replacement>();
    check::<SpanScope>();
    check::<BuildError>();
    check::<RedactingExporter<CaptureExporter>>();
    let r = Redactor::builder()
        .function("f", |_| Err("always".into()))
        .build()
        .expect("builds");
    let c = r.clone();
    let _ = c.redact("x");
    assert_eq!(r.failure_count(), 1, "clones share state");
    let debug = format!("{r:?}");
    assert!(debug.contains("Redactor") && !debug.contains("always"));
}

// ---------------------------------------------------------------------------
// Property tests: random secrets of every kind in random text never survive;
// random non-secret text survives unchanged.
// ---------------------------------------------------------------------------

const WORDS: &[&str] = &[
    "the", "order", "shipped", "today", "please", "check", "model", "latency", "is", "fine", "we",
    "can", "upgrade", "build", "room", "grid", "version", "thanks", "café", "naïve", "東京", "and",
    "or", "with", "Note:", "summary:", "(see", "above)", "-", "—", "users", "report", "time",
    "price", "step",
];

fn words() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..12).prop_map(|w| w.join(" "))
}

fn luhn_complete(digits: &mut Vec<u8>) {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    digits.push(((10 - sum % 10) % 10) as u8);
}

fn card() -> impl Strategy<Value = String> {
    let brands: Vec<(&'static str, usize, &'static [usize])> = vec![
        ("4", 16, &[4, 4, 4, 4]),
        ("51", 16, &[4, 4, 4, 4]),
        ("2221", 16, &[4, 4, 4, 4]),
        ("37", 15, &[4, 6, 5]),
        ("6011", 16, &[4, 4, 4, 4]),
        ("3528", 16, &[4, 4, 4, 4]),
        ("36", 14, &[4, 6, 4]),
        ("62", 19, &[4, 4, 4, 4, 3]),
    ];
    (
        prop::sample::select(brands),
        prop::collection::vec(0u8..10, 19),
        0usize..3,
    )
        .prop_map(|((prefix, len, groups), rand, sep)| {
            let mut digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
            digits.extend(rand.iter().take(len - 1 - digits.len()));
            luhn_complete(&mut digits);
            let s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            let sep = ["", " ", "-"][sep];
            let mut out = String::new();
            let mut at = 0;
            for (i, g) in groups.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                out.push_str(&s[at..at + g]);
                at += g;
            }
            out
        })
}

fn iban() -> impl Strategy<Value = String> {
    let countries: Vec<(&'static str, usize)> = vec![
        ("DE", 22),
        ("GB", 22),
        ("FR", 27),
        ("NL", 18),
        ("NO", 15),
        ("ES", 24),
        ("IT", 27),
        ("CH", 21),
        ("PL", 28),
        ("BE", 16),
    ];
    (
        prop::sample::select(countries),
        prop::collection::vec(0u8..36, 30),
        any::<bool>(),
    )
        .prop_map(|((cc, len), rand, grouped)| {
            // Letters only where the BBAN allows them is not checked: any
            // alphanumerics pass mod-97 once the check digits are computed.
            let bban: String = rand
                .iter()
                .take(len - 4)
                .map(|&v| {
                    if v < 10 {
                        char::from(b'0' + v)
                    } else {
                        char::from(b'A' + v - 10)
                    }
                })
                .collect();
            let mut rem = 0u32;
            for c in bban.chars().chain(cc.chars()).chain("00".chars()) {
                let v = c.to_digit(36).unwrap_or(0);
                rem = if v >= 10 {
                    (rem * 100 + v) % 97
                } else {
                    (rem * 10 + v) % 97
                };
            }
            let plain = format!("{cc}{:02}{bban}", 98 - rem);
            if grouped {
                plain
                    .as_bytes()
                    .chunks(4)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                plain
            }
        })
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

/// A secret that is its own text.
fn same(s: String) -> (String, String) {
    (s.clone(), s)
}

/// (text containing the secret, the secret value that must disappear)
fn secret() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        "[a-z][a-z0-9._+-]{0,12}[a-z0-9]@[a-z0-9]{1,10}(\\.[a-z0-9]{1,8}){0,2}\\.[a-z]{2,6}"
            .prop_map(same),
        ("[2-9][0-9]{2}", "[2-9][0-9]{2}", "[0-9]{4}", 0usize..5).prop_map(move |(a, b, c, f)| {
            let s = match f {
                0 => format!("({a}) {b}-{c}"),
                1 => format!("{a}-{b}-{c}"),
                2 => format!("{a}.{b}.{c}"),
                3 => format!("+1 {a} {b} {c}"),
                _ => format!("+1-{a}-{b}-{c}"),
            };
            (s.clone(), s)
        }),
        (
            "[2-9][0-9]{0,2}",
            prop::collection::vec("[0-9]{2,4}", 2..4),
            prop::sample::select(vec![" ", "-", "."])
        )
            .prop_filter("E.164 has 8 to 15 digits", |(cc, groups, _)| {
                let n = cc.len() + groups.iter().map(String::len).sum::<usize>();
                (8..=15).contains(&n)
            })
            .prop_map(|(cc, groups, sep)| same(format!("+{cc}{sep}{}", groups.join(sep)))),
        ("[0-8][0-9]{2}", "[0-9]{2}", "[0-9]{4}")
            .prop_filter("valid SSN", |(a, g, s)| a != "000"
                && a != "666"
                && g != "00"
                && s != "0000")
            .prop_map(|(a, g, s)| same(format!("{a}-{g}-{s}"))),
        card().prop_map(same),
        iban().prop_map(same),
        (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(a, b, c, d)| same(format!("{a}.{b}.{c}.{d}"))),
        (
            prop::collection::vec(prop_oneof![Just(0u16), any::<u16>()], 8),
            any::<bool>()
        )
            .prop_map(|(segs, full)| {
                let addr = std::net::Ipv6Addr::new(
                    segs[0], segs[1], segs[2], segs[3], segs[4], segs[5], segs[6], segs[7],
                );
                let s = if full {
                    segs.iter()
                        .map(|s| format!("{s:04x}"))
                        .collect::<Vec<_>>()
                        .join(":")
                } else {
                    addr.to_string()
                };
                same(s)
            })
            .prop_filter("not the unspecified address", |(s, _)| s
                .bytes()
                .any(|b| b.is_ascii_hexdigit() && b != b'0')),
        (
            "[A-Za-z0-9_-]{10,40}",
            "[A-Za-z0-9_-]{10,60}",
            "[A-Za-z0-9_-]{20,43}"
        )
            .prop_map(|(h, p, s)| same(format!("eyJ{h}.eyJ{p}.{s}"))),
        "[A-Za-z0-9._~+/-]{8,60}".prop_map(|t| (format!("Authorization: Bearer {t}"), t)),
        "[A-Za-z0-9._~+/-]{8,60}".prop_map(|t| {
            (
                format!("curl -H \"Authorization: Bearer {t}\" https://api.example.com"),
                t,
            )
        }),
        ("[a-z]{3,10}", "[A-Za-z0-9!#%]{6,16}").prop_map(|(u, p)| {
            let t = b64(format!("{u}:{p}").as_bytes());
            (format!("Authorization: Basic {t}"), t)
        }),
        ("[a-z]{3,10}", "[A-Za-z0-9!$%*]{6,16}")
            .prop_map(|(u, p)| (format!("postgres://{u}:{p}@db.internal:5432/app"), p)),
        "sk-proj-[A-Za-z0-9]{20,100}".prop_map(same),
        "sk-[A-Za-z0-9]{20,60}".prop_map(same),
        "sk-ant-api03-[A-Za-z0-9_-]{40,90}".prop_map(same),
        "AKIA[A-Z0-9]{16}".prop_map(same),
        "[A-Za-z0-9/+]{40}".prop_map(|k| (format!("aws_secret_access_key = {k}"), k)),
        "gh[pousr]_[A-Za-z0-9]{36}".prop_map(same),
        "github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}".prop_map(same),
        "xox[bp]-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24}".prop_map(same),
        "[sr]k_live_[A-Za-z0-9]{24,60}".prop_map(same),
        "AIza[A-Za-z0-9_-]{35}".prop_map(same),
        "hf_[A-Za-z0-9]{34}".prop_map(same),
        "[A-Za-z0-9]{40,64}".prop_map(|body| {
            (
                format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"),
                body,
            )
        }),
        "[A-Za-z0-9!#%^*]{6,20}".prop_map(|p| (format!("password={p}"), p)),
    ]
}

fn non_secret() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..1000).prop_map(|n| format!("{n} items")),
        (2000u32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        (0u32..24, 0u32..60).prop_map(|(h, m)| format!("{h}:{m:02}")),
        (0u32..20, 0u32..20, 0u32..40).prop_map(|(a, b, c)| format!("v{a}.{b}.{c}")),
        (1u32..10, 0u32..1000, 0u32..100).prop_map(|(a, b, c)| format!("${a},{b:03}.{c:02}")),
        (1000u32..100_000).prop_map(|n| format!("ord_{n}")),
        (10_000u32..100_000).prop_map(|n| format!("#{n}")),
        (0u32..101).prop_map(|n| format!("{n}%")),
        any::<u128>().prop_map(|u| {
            let h = format!("{u:032x}");
            format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            )
        }),
        "[0-9a-f]{40}",
        prop::collection::vec(0u8..10, 15).prop_map(|mut d| {
            luhn_complete(&mut d);
            let last = d.len() - 1;
            d[last] = (d[last] + 1) % 10; // fails Luhn
            let s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
            format!("{} {} {} {}", &s[..4], &s[4..8], &s[8..12], &s[12..])
        }),
    ]
}

fn in_json(text: &str) -> String {
    serde_json::json!({"messages": [{"role": "user", "content": text}]}).to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn injected_secrets_never_survive(
        (text, value) in secret(),
        before in words(),
        after in words(),
        open in prop::sample::select(vec![" ", "\n", " (", ": ", "\t"]),
        close in prop::sample::select(vec![" ", ".", ", ", ")\n", "\t"]),
        json in any::<bool>(),
    ) {
        let r = all();
        let plain = format!("{before}{open}{text}{close}{after}");
        let input = if json { in_json(&plain) } else { plain };
        let out = r.redact(&input);
        prop_assert!(gone(&value, &out), "{value:?} survived: {out:?}");
    }

    #[test]
    fn non_secret_text_survives_unchanged(
        parts in prop::collection::vec((words(), non_secret()), 1..6),
        json in any::<bool>(),
    ) {
        let r = all();
        let plain = parts.iter().map(|(w, n)| format!("{w} {n}")).collect::<Vec<_>>().join(". ");
        let input = if json { in_json(&plain) } else { plain };
        let out = r.redact(&input);
        prop_assert_eq!(&out, &input);
        prop_assert!(matches!(out, Cow::Borrowed(_)));
    }
}
