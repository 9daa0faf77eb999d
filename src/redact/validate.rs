//! Validators and small byte-level helpers used by the built-in detectors.
//!
//! Everything here is pure, allocation-free and never
//! panics on any input: indexing goes through `get` or is guarded by an
//! explicit bounds check.

/// `[A-Za-z0-9]`.
pub(crate) fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// `[A-Za-z0-9_]`, the ASCII word class used by `(?-u:\b)`.
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The byte before `i`, if any.
pub(crate) fn prev(bytes: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).and_then(|j| bytes.get(j).copied())
}

/// True when the bytes at `i` and `i + 1` are a separator followed by a digit,
/// i.e. the number continues (`123-45-6789-0`, `1.2.3.4.5`).
pub(crate) fn continues_number(bytes: &[u8], i: usize) -> bool {
    matches!(bytes.get(i), Some(b'-' | b'.' | b'/'))
        && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
}

/// True when a number starting at `i` is the continuation of an earlier one
/// (`...4-` or `...4.` right before it).
pub(crate) fn follows_number(bytes: &[u8], i: usize) -> bool {
    matches!(prev(bytes, i), Some(b'-' | b'.' | b'/'))
        && i >= 2
        && bytes.get(i - 2).is_some_and(u8::is_ascii_digit)
}

/// Luhn checksum over the ASCII digits of `s` (other bytes are skipped).
/// [`card`] computes it in its own pass; this is its reference.
#[cfg(test)]
fn luhn(s: &[u8]) -> bool {
    let mut sum = 0u32;
    let mut double = false;
    let mut n = 0;
    for &b in s.iter().rev() {
        if !b.is_ascii_digit() {
            continue;
        }
        let mut d = u32::from(b - b'0');
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
        n += 1;
    }
    n > 0 && sum.is_multiple_of(10)
}

/// Validates a card-number candidate: 13 to 19 digits, Luhn, a known issuer
/// prefix with a length it issues, and a consistent grouping when
/// separators are present.
pub(crate) fn card(s: &[u8]) -> bool {
    // One pass: digit count, the first four digits, the grouping, and the
    // Luhn sums for both parities (which digits are doubled depends on the
    // count, known only at the end).
    let mut digits = 0usize;
    let mut lead = [0u32; 4];
    let mut sep: Option<u8> = None;
    let (mut groups, mut group_len) = (1, 0);
    let mut plain = [0u32; 2];
    let mut doubled = [0u32; 2];
    for &b in s {
        if b.is_ascii_digit() {
            let d = u32::from(b - b'0');
            if let Some(l) = lead.get_mut(digits) {
                *l = d;
            }
            plain[digits % 2] += d;
            doubled[digits % 2] += if d > 4 { 2 * d - 9 } else { 2 * d };
            digits += 1;
            group_len += 1;
        } else {
            match sep {
                None => sep = Some(b),
                Some(x) if x == b => {}
                Some(_) => return false,
            }
            if !(1..=6).contains(&group_len) {
                return false;
            }
            groups += 1;
            group_len = 0;
        }
    }
    if !(13..=19).contains(&digits) {
        return false;
    }
    if sep.is_some() && (!(1..=6).contains(&group_len) || !(3..=5).contains(&groups)) {
        return false;
    }
    let [d1, d2, d3, d4] = lead;
    if !brand_ok(d1, d2, d3, d4, digits) {
        return false;
    }
    // The last digit is not doubled, the one before it is, and so on.
    let sum = if digits % 2 == 1 {
        plain[0] + doubled[1]
    } else {
        doubled[0] + plain[1]
    };
    sum.is_multiple_of(10)
}

/// The previous form of [`card`], kept to test the one-pass version.
#[cfg(test)]
fn card_reference(s: &[u8]) -> bool {
    let digits = s.iter().filter(|b| b.is_ascii_digit()).count();
    if !(13..=19).contains(&digits) {
        return false;
    }
    if !brand_length_ok(s, digits) {
        return false;
    }
    let sep = s.iter().copied().find(|b| !b.is_ascii_digit());
    if let Some(sep) = sep {
        let mut groups = 0;
        for group in s.split(|&b| b == sep) {
            groups += 1;
            if !(1..=6).contains(&group.len()) || !group.iter().all(u8::is_ascii_digit) {
                return false;
            }
        }
        // "4111 1111 1111 1111", "3782 822463 10005", "4111 1111 1111 1111 123".
        if !(3..=5).contains(&groups) {
            return false;
        }
    }
    luhn(s)
}

/// [`brand_ok`] on the first four digits of `s` (the reference form).
#[cfg(test)]
fn brand_length_ok(s: &[u8], digits: usize) -> bool {
    let mut lead = s
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| u32::from(b - b'0'));
    let (Some(d1), Some(d2), Some(d3), Some(d4)) =
        (lead.next(), lead.next(), lead.next(), lead.next())
    else {
        return false;
    };
    brand_ok(d1, d2, d3, d4, digits)
}

/// Issuer prefix and length, given the first four digits `d1`…`d4` and
/// the digit count: Amex (34, 37) has 15 digits, Visa (4) 13, 16 or 19,
/// Mastercard (51 to 55, 2221 to 2720) 16, UATP (1) 15; other issuers
/// starting with 3, 5 or 6 (Discover, JCB, Diners, UnionPay, Maestro) 13 to
/// 19. Anything else (0, 7, 8, 9, other 2-series) is not a payment card.
fn brand_ok(d1: u32, d2: u32, d3: u32, d4: u32, digits: usize) -> bool {
    let two = d1 * 10 + d2;
    let four = two * 100 + d3 * 10 + d4;
    match d1 {
        1 => digits == 15,
        2 => (2221..=2720).contains(&four) && digits == 16,
        3 if two == 34 || two == 37 => digits == 15,
        4 => matches!(digits, 13 | 16 | 19),
        5 if (51..=55).contains(&two) => digits == 16,
        3 | 5 | 6 => true,
        _ => false,
    }
}

/// US SSN rules: area not 000 or 666, group not 00, serial not 0000.
/// `s` is `ddd?dd?dddd` with one separator kind.
pub(crate) fn ssn(s: &[u8]) -> bool {
    let (Some(area), Some(group), Some(serial)) = (s.get(0..3), s.get(4..6), s.get(7..11)) else {
        return false;
    };
    if s.get(3) != s.get(6) {
        return false;
    }
    area != b"000" && area != b"666" && group != b"00" && serial != b"0000"
}

/// Dotted-quad IPv4 with every octet in 0..=255.
pub(crate) fn ipv4(s: &[u8]) -> bool {
    let mut parts = 0;
    for part in s.split(|&b| b == b'.') {
        parts += 1;
        if part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return false;
        }
        let v = part
            .iter()
            .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0'));
        if v > 255 {
            return false;
        }
    }
    parts == 4
}

/// IPv6 in any textual form `std` accepts (full, `::`-compressed,
/// IPv4-embedded), with an optional `%zone` suffix. Requires at least two
/// colons and one hex digit so that `::` alone (Rust paths) is not an address.
pub(crate) fn ipv6(s: &[u8]) -> bool {
    let addr = s
        .iter()
        .position(|&b| b == b'%')
        .and_then(|zone| s.get(..zone))
        .unwrap_or(s);
    let colons = addr.iter().filter(|&&b| b == b':').count();
    if colons < 2 || !addr.iter().any(u8::is_ascii_hexdigit) {
        return false;
    }
    let mut p = AddrParser { s: addr, pos: 0 };
    p.ipv6() && p.pos == addr.len()
}

/// The grammar of `std`'s `Ipv6Addr::from_str`, on bytes: the same
/// algorithm (groups up to a `::`, an IPv4 tail only in the last 32 bits,
/// IPv4 octets without leading zeros), without building the address or
/// going through `str` and `char`. A unit test compares it with `std` on
/// generated strings.
struct AddrParser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl AddrParser<'_> {
    fn eat(&mut self, c: u8) -> bool {
        let found = self.s.get(self.pos) == Some(&c);
        self.pos += usize::from(found);
        found
    }

    /// A number of 1 to `max_digits` digits (hex or decimal) up to `max`,
    /// consuming nothing if there is none. A further digit fails it, as
    /// does a leading zero unless `zero_prefix`.
    fn number(&mut self, hex: bool, max_digits: usize, zero_prefix: bool, max: u32) -> bool {
        let start = self.pos;
        let mut value = 0u32;
        let mut digits = 0;
        while let Some(d) = self
            .s
            .get(self.pos)
            .and_then(|&c| char::from(c).to_digit(if hex { 16 } else { 10 }))
        {
            value = value * if hex { 16 } else { 10 } + d;
            digits += 1;
            self.pos += 1;
            if digits > max_digits {
                self.pos = start;
                return false;
            }
        }
        let leading_zero = digits > 1 && self.s.get(start) == Some(&b'0');
        if digits == 0 || value > max || (leading_zero && !zero_prefix) {
            self.pos = start;
            return false;
        }
        true
    }

    /// `sep` (unless `first`) followed by what `inner` reads, or nothing.
    fn separated(&mut self, sep: u8, first: bool, inner: impl FnOnce(&mut Self) -> bool) -> bool {
        let start = self.pos;
        if (first || self.eat(sep)) && inner(self) {
            return true;
        }
        self.pos = start;
        false
    }

    fn ipv4(&mut self) -> bool {
        let start = self.pos;
        for k in 0..4 {
            if !self.separated(b'.', k == 0, |p| p.number(false, 3, false, 255)) {
                self.pos = start;
                return false;
            }
        }
        true
    }

    /// Whether an IPv4 address could start here (after the `:` unless
    /// `first`): 1 to 3 decimal digits, then a `.`. Saves the attempt at
    /// every hex group.
    fn ipv4_ahead(&self, first: bool) -> bool {
        let at = self.pos + usize::from(!first);
        let rest = self.s.get(at..).unwrap_or_default();
        let digits = rest
            .iter()
            .take(4)
            .take_while(|c| c.is_ascii_digit())
            .count();
        (1..=3).contains(&digits) && rest.get(digits) == Some(&b'.')
    }

    /// Up to `limit` `:`-separated groups, the last two of which may be an
    /// IPv4 address: (groups read, whether that ended in an IPv4 address).
    fn groups(&mut self, limit: usize) -> (usize, bool) {
        for i in 0..limit {
            if i + 1 < limit && self.ipv4_ahead(i == 0) && self.separated(b':', i == 0, Self::ipv4)
            {
                return (i + 2, true);
            }
            if !self.separated(b':', i == 0, |p| p.number(true, 4, true, 0xFFFF)) {
                return (i, false);
            }
        }
        (limit, false)
    }

    fn ipv6(&mut self) -> bool {
        let start = self.pos;
        let (head, head_ipv4) = self.groups(8);
        if head == 8 {
            return true;
        }
        if head_ipv4 || !(self.eat(b':') && self.eat(b':')) {
            self.pos = start;
            return false;
        }
        self.groups(7 - head);
        true
    }
}

/// IBAN length per country (SWIFT IBAN registry).
pub(crate) fn iban_length(cc: [u8; 2]) -> Option<usize> {
    let len = match &cc {
        b"NO" => 15,
        b"BE" => 16,
        b"DK" | b"FI" | b"FK" | b"FO" | b"GL" | b"NL" | b"SD" => 18,
        b"MK" | b"SI" => 19,
        b"AT" | b"BA" | b"EE" | b"KZ" | b"LT" | b"LU" | b"MN" | b"XK" => 20,
        b"CH" | b"HR" | b"LI" | b"LV" => 21,
        b"BG" | b"BH" | b"CR" | b"DE" | b"GB" | b"GE" | b"IE" | b"ME" | b"RS" | b"VA" => 22,
        b"AE" | b"GI" | b"IL" | b"IQ" | b"OM" | b"SO" | b"TL" => 23,
        b"AD" | b"CZ" | b"ES" | b"MD" | b"PK" | b"RO" | b"SA" | b"SE" | b"SK" | b"TN" | b"VG" => 24,
        b"LY" | b"PT" | b"ST" => 25,
        b"IS" | b"TR" => 26,
        b"BI" | b"DJ" | b"FR" | b"GR" | b"IT" | b"MC" | b"MR" | b"SM" => 27,
        b"AL" | b"AZ" | b"BY" | b"CY" | b"DO" | b"GT" | b"HU" | b"LB" | b"NI" | b"PL" | b"SV" => 28,
        b"BR" | b"EG" | b"PS" | b"QA" | b"UA" => 29,
        b"JO" | b"KW" | b"MU" | b"YE" => 30,
        b"MT" | b"SC" => 31,
        b"LC" => 32,
        b"RU" => 33,
        _ => return None,
    };
    Some(len)
}

/// ISO 13616 mod-97 check over an IBAN given as uppercase alphanumerics
/// without spaces.
pub(crate) fn iban_mod97(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    // The number is accumulated in 64 bits and reduced only when it could
    // overflow (below 2^50, times 100 plus 35 stays below 2^64).
    let mut rem = 0u64;
    for part in [tail, head] {
        for &b in part {
            rem = match b {
                b'0'..=b'9' => rem * 10 + u64::from(b - b'0'),
                b'A'..=b'Z' => rem * 100 + u64::from(b - b'A') + 10,
                _ => return false,
            };
            if rem >= 1 << 50 {
                rem %= 97;
            }
        }
    }
    rem % 97 == 1
}

/// The digit-by-digit form of [`iban_mod97`], kept to test it.
#[cfg(test)]
fn iban_mod97_reference(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut rem = 0u32;
    for &b in tail.iter().chain(head) {
        match b {
            b'0'..=b'9' => rem = (rem * 10 + u32::from(b - b'0')) % 97,
            b'A'..=b'Z' => rem = (rem * 100 + u32::from(b - b'A') + 10) % 97,
            _ => return false,
        }
    }
    rem == 1
}

/// Decodes standard base64 (with or without padding), handing each decoded
/// byte to `out`. False on any invalid byte or length (bytes decoded before
/// it have been handed over). Allocation-free.
pub(crate) fn base64_for_each(s: &[u8], mut out: impl FnMut(u8)) -> bool {
    fn val(b: u8) -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let body = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    if body.len() % 4 == 1 {
        return false;
    }
    for chunk in body.chunks(4) {
        let mut acc = 0u32;
        for &b in chunk {
            match val(b) {
                Some(v) => acc = (acc << 6) | v,
                None => return false,
            }
        }
        match chunk.len() {
            4 => {
                out((acc >> 16) as u8);
                out((acc >> 8) as u8);
                out(acc as u8);
            }
            3 => {
                out((acc >> 10) as u8);
                out((acc >> 2) as u8);
            }
            2 => out((acc >> 4) as u8),
            _ => return false,
        }
    }
    true
}

/// A `Basic` credential: base64 of printable `user:password`. Decodes on the
/// fly, without allocating.
pub(crate) fn basic_credentials(token: &[u8]) -> bool {
    let mut colon = false;
    let mut printable = true;
    let valid = base64_for_each(token, |b| {
        colon |= b == b':';
        printable &= (0x20..0x7f).contains(&b) || b >= 0x80;
    });
    valid && colon && printable
}

/// True if the token mixes letters and digits, the shape of a random
/// credential rather than an English word.
pub(crate) fn looks_random(token: &[u8]) -> bool {
    token.iter().any(u8::is_ascii_digit) && token.iter().any(u8::is_ascii_alphabetic)
}

/// The last (up to) 16 bytes of `ident`, lowercased, without the
/// separators `_`, `-`, `.`: `"DB_PASS-WORD"` → `"dbpassword"`.
fn normalized_tail(ident: &[u8]) -> ([u8; 16], usize) {
    let mut rev = [0u8; 16];
    let mut n = 0;
    for &b in ident.iter().rev() {
        if matches!(b, b'_' | b'-' | b'.') {
            continue;
        }
        if n == rev.len() {
            break;
        }
        rev[n] = b.to_ascii_lowercase();
        n += 1;
    }
    let mut out = [0u8; 16];
    for (o, r) in out.iter_mut().zip(rev[..n].iter().rev()) {
        *o = *r;
    }
    (out, n)
}

/// Secret-bearing key names, matched as normalised suffixes (`client_secret`,
/// `DB_PASSWORD`, `x-api-key`, `aws_secret_access_key`). Plural `tokens`
/// (`max_tokens`) does not match.
const SECRET_SUFFIXES: &[&[u8]] = &[
    b"password",
    b"passwd",
    b"pwd",
    b"passphrase",
    b"passcode",
    b"secret",
    b"secrets",
    b"secretkey",
    b"apikey",
    b"token",
    b"accesskey",
    // Azure Storage connection strings (`AccountKey=…`).
    b"accountkey",
    b"privatekey",
    b"signingkey",
    b"encryptionkey",
    b"credential",
    b"credentials",
    b"sessionid",
    b"cookie",
    // Signed URLs: S3's `X-Amz-Signature`, GCS's `X-Goog-Signature`, Azure
    // SAS `sig`; whoever holds the URL holds the access.
    b"signature",
    b"sig",
];

/// What a key name says about the value assigned to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// `Authorization`, `Proxy-Authorization`.
    Authorization,
    /// `aws_secret_access_key`, `AWS_SECRET_KEY`.
    AwsSecret,
    /// Any other secret-bearing name.
    Secret,
}

/// Classifies a key name (an identifier, a JSON key, an attribute key).
pub(crate) fn key_kind(ident: &[u8]) -> Option<KeyKind> {
    if ident.is_empty() || ident.len() > 128 || !has_secret_ending(ident) {
        return None;
    }
    let (tail, n) = normalized_tail(ident);
    let tail = &tail[..n];
    if tail.ends_with(b"authorization") {
        return Some(KeyKind::Authorization);
    }
    if !SECRET_SUFFIXES.iter().any(|w| tail.ends_with(w)) {
        return None;
    }
    let lower_has = |needle: &[u8]| {
        ident
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    if lower_has(b"aws") && lower_has(b"secret") {
        Some(KeyKind::AwsSecret)
    } else {
        Some(KeyKind::Secret)
    }
}

/// The last two letters of every [`SECRET_SUFFIXES`] entry and of
/// `authorization`.
const SECRET_ENDINGS: &[[u8; 2]] = &[
    *b"rd", *b"wd", *b"se", *b"de", *b"et", *b"ts", *b"ey", *b"en", *b"al", *b"ls", *b"id", *b"ie",
    *b"on", *b"re", *b"ig",
];

/// A cheap first test for [`key_kind`]: the last two bytes of `ident`
/// (lowercased, separators skipped) end a secret-bearing name. Most words
/// before a `:` in prose (`Note:`, `10:30`) fail here.
fn has_secret_ending(ident: &[u8]) -> bool {
    ends_secret(ident.iter().rev().copied())
}

/// [`SECRET_ENDINGS`] as bits: bit `b - b'a'` of entry `a - b'a'` is set
/// if `ab` is an ending (they are all lowercase letters).
const ENDING_BITS: [u32; 26] = {
    let mut bits = [0u32; 26];
    let mut k = 0;
    while k < SECRET_ENDINGS.len() {
        let [a, b] = SECRET_ENDINGS[k];
        bits[(a - b'a') as usize] |= 1 << (b - b'a');
        k += 1;
    }
    bits
};

/// True if `a` followed by `b` (any ASCII case) is one of [`SECRET_ENDINGS`].
fn is_secret_ending(a: u8, b: u8) -> bool {
    let a = a.to_ascii_lowercase().wrapping_sub(b'a');
    let b = b.to_ascii_lowercase().wrapping_sub(b'a');
    b < 26
        && ENDING_BITS
            .get(usize::from(a))
            .is_some_and(|bits| bits & (1 << b) != 0)
}

/// [`has_secret_ending`] over a name's bytes given last to first.
fn ends_secret(reversed: impl Iterator<Item = u8>) -> bool {
    let mut last = [0u8; 2];
    let mut n = 0;
    for b in reversed {
        if matches!(b, b'_' | b'-' | b'.') {
            continue;
        }
        n += 1;
        last[2 - n] = b;
        if n == 2 {
            return is_secret_ending(last[0], last[1]);
        }
    }
    false
}

/// Identifier bytes accepted in key names written before `=` / `:`.
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Finds the key name written right before the assignment operator at `op`
/// (`password = x`, `"api_key": "x"`, `export TOKEN=x`): skips blanks and one
/// closing quote, then takes identifier bytes. Returns the key's range.
pub(crate) fn key_before(bytes: &[u8], op: usize) -> Option<(usize, usize)> {
    let end = key_end(bytes, op);
    let mut i = end;
    while i > 0 && end - i < MAX_KEY && prev(bytes, i).is_some_and(is_ident) {
        i -= 1;
    }
    (i < end).then_some((i, end))
}

/// The longest key name [`key_before`] takes.
const MAX_KEY: usize = 128;

/// Where the key name before the operator at `op` ends: blanks and one closing quote
/// skipped.
fn key_end(bytes: &[u8], op: usize) -> usize {
    let mut i = op;
    while matches!(prev(bytes, i), Some(b' ' | b'\t')) {
        i -= 1;
    }
    if matches!(prev(bytes, i), Some(b'"' | b'\'')) {
        i -= 1;
    }
    i
}

/// The test of [`has_secret_ending`] on the key [`key_before`] would find
/// for the operator at `op`, without finding the key first: false whenever
/// [`key_kind`] of that key is `None` for that reason (most `:` in prose).
pub(crate) fn key_may_end_secret(bytes: &[u8], op: usize) -> bool {
    // The usual case, a word right before the operator (`Note:`): its last
    // two letters decide.
    if let Some(&[a, b]) = op.checked_sub(2).and_then(|s| bytes.get(s..op)) {
        if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() {
            return is_secret_ending(a, b);
        }
    }
    // The loop of `ends_secret` over the key's bytes, last to first, written
    // out: this runs at every `:` and `=` of the text.
    let end = key_end(bytes, op);
    let floor = end.saturating_sub(MAX_KEY);
    let mut last = 0u8;
    let mut n = 0;
    let mut i = end;
    while i > floor {
        i -= 1;
        let Some(&b) = bytes.get(i) else {
            return false;
        };
        match b {
            b'_' | b'-' | b'.' => {}
            _ if b.is_ascii_alphanumeric() => {
                if n == 1 {
                    return is_secret_ending(b, last);
                }
                last = b;
                n = 1;
            }
            _ => return false,
        }
    }
    false
}

/// True if `s` is a token this crate writes (`[email]`, `[email:3f9a1c2b]`,
/// `[redacted]`, `[redaction-failed]`): re-redacting such text is a no-op.
pub(crate) fn is_marker(s: &[u8]) -> bool {
    let Some(inner) = s.strip_prefix(b"[").and_then(|r| r.strip_suffix(b"]")) else {
        return false;
    };
    let (label, hash) = match inner.iter().position(|&b| b == b':') {
        Some(p) => (&inner[..p], Some(&inner[p + 1..])),
        None => (inner, None),
    };
    !label.is_empty()
        && label.iter().all(|&b| is_label_byte(b))
        && hash.is_none_or(|h| !h.is_empty() && h.iter().all(u8::is_ascii_hexdigit))
}

/// Bytes allowed in rule names (and therefore labels).
pub(crate) fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_cards() {
        assert!(card(b"4111111111111111"));
        assert!(card(b"4111 1111 1111 1111"));
        assert!(card(b"3782-822463-10005"));
        assert!(!card(b"4111111111111112"));
        assert!(!card(b"4111 1111-1111 1111"));
        assert!(!card(b"0000000000000000"));
        assert!(!card(b"1238 4020 6583 8723"));
        // Luhn-valid, but Amex numbers have 15 digits.
        assert!(!card(b"3704004405320130"));
        assert!(card(b"378282246310005"));
        assert!(card(b"4222222222222"));
        assert!(!card(b"7000000000000000"));
    }

    #[test]
    fn one_pass_card_check_agrees_with_the_reference() {
        let mut next = crate::redact::test_rng(0x2545_f491_4f6c_dd1d_u64);
        let mut valid = 0;
        for _ in 0..200_000 {
            let len = 10 + next(16);
            let mut s: Vec<u8> = Vec::with_capacity(len);
            for _ in 0..len {
                s.push(match next(12) {
                    10 => b' ',
                    11 => b'-',
                    d => b'0' + u8::try_from(d % 10).expect("digit"),
                });
            }
            // Make about a tenth of them Luhn-valid by fixing the last digit.
            if next(10) == 0 {
                if let Some(p) = s.iter().rposition(u8::is_ascii_digit) {
                    for d in b'0'..=b'9' {
                        s[p] = d;
                        if luhn(&s) {
                            break;
                        }
                    }
                }
            }
            let expected = card_reference(&s);
            valid += usize::from(expected);
            assert_eq!(card(&s), expected, "{}", String::from_utf8_lossy(&s));
        }
        assert!(valid > 100, "{valid}");
        for s in [
            &b"4111 1111 1111 1111"[..],
            b"3782-822463-10005",
            b"",
            b" ",
            b"4",
        ] {
            assert_eq!(card(s), card_reference(s));
        }
    }

    /// The byte parser accepts exactly what `Ipv6Addr::from_str` accepts:
    /// on generated addresses (valid ones and near misses: five-digit
    /// groups, two `::`, IPv4 tails in the wrong place, octets over 255 or
    /// with leading zeros) and on random strings over the same bytes.
    #[test]
    fn ipv6_parser_agrees_with_std() {
        fn parses(s: &[u8]) -> bool {
            let mut p = AddrParser { s, pos: 0 };
            p.ipv6() && p.pos == s.len()
        }
        let mut next = crate::redact::test_rng(0x5851_f42d_4c95_7f2d_u64);
        let mut valid = 0;
        for round in 0..200_000 {
            let mut s = Vec::new();
            if round % 4 == 0 {
                for _ in 0..next(40) {
                    s.push(b"0123456789abcdefABCDEF:::..g"[next(28)]);
                }
            } else {
                let groups = next(10);
                let gap = if next(3) == 0 {
                    usize::MAX
                } else {
                    next(groups + 1)
                };
                for g in 0..groups {
                    if g == gap {
                        s.extend_from_slice(b"::");
                    } else if g > 0 {
                        s.push(b':');
                    }
                    if next(8) == 0 {
                        for k in 0..4 {
                            if k > 0 {
                                s.push(b'.');
                            }
                            let octet = next(300);
                            if next(6) == 0 {
                                s.push(b'0');
                            }
                            s.extend_from_slice(octet.to_string().as_bytes());
                        }
                    } else {
                        for _ in 0..1 + next(5) {
                            s.push(b"0123456789abcdefABCDEF"[next(22)]);
                        }
                    }
                }
                if gap == groups {
                    s.extend_from_slice(b"::");
                }
            }
            let text = std::str::from_utf8(&s).expect("ascii");
            let expected = text.parse::<std::net::Ipv6Addr>().is_ok();
            assert_eq!(parses(&s), expected, "{text:?}");
            valid += usize::from(expected);
        }
        assert!(valid > 20_000, "{valid}");
    }

    #[test]
    fn lazy_mod97_agrees_with_the_reference() {
        let mut next = crate::redact::test_rng(0x9e37_79b9_7f4a_7c15_u64);
        const BYTES: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut valid = 0;
        for _ in 0..200_000 {
            let len = 3 + next(32);
            let mut s: Vec<u8> = (0..len).map(|_| BYTES[next(BYTES.len())]).collect();
            if next(50) == 0 {
                s[next(len)] = b'a';
            }
            // Fix the check digits so that some of them pass.
            if len > 4 && next(4) == 0 {
                'fix: for a in b'0'..=b'9' {
                    for b in b'0'..=b'9' {
                        s[2] = a;
                        s[3] = b;
                        if iban_mod97_reference(&s) {
                            break 'fix;
                        }
                    }
                }
            }
            let expected = iban_mod97_reference(&s);
            valid += usize::from(expected);
            assert_eq!(iban_mod97(&s), expected, "{}", String::from_utf8_lossy(&s));
        }
        assert!(valid > 1000, "{valid}");
    }

    #[test]
    fn ssn_rules() {
        assert!(ssn(b"262-92-2594"));
        assert!(!ssn(b"000-12-3456"));
        assert!(!ssn(b"666-12-3456"));
        assert!(!ssn(b"123-00-3456"));
        assert!(!ssn(b"123-45-0000"));
        assert!(!ssn(b"123-45 6789"));
    }

    #[test]
    fn ip_rules() {
        assert!(ipv4(b"192.168.0.1"));
        assert!(!ipv4(b"256.1.1.1"));
        assert!(!ipv4(b"1.2.3"));
        assert!(ipv6(b"2001:db8::1"));
        assert!(ipv6(b"::ffff:192.0.2.1"));
        assert!(ipv6(b"fe80::1%eth0"));
        assert!(!ipv6(b"::"));
        assert!(!ipv6(b"10:30:00"));
        assert!(!ipv6(b"00:1a:2b:3c:4d:5e"));
    }

    #[test]
    fn iban_rules() {
        assert!(iban_mod97(b"DE89370400440532013000"));
        assert!(iban_mod97(b"GB82WEST12345698765432"));
        assert!(!iban_mod97(b"DE89370400440532013001"));
        assert_eq!(iban_length(*b"DE"), Some(22));
        assert_eq!(iban_length(*b"GB"), Some(22));
        assert_eq!(iban_length(*b"FR"), Some(27));
        assert_eq!(iban_length(*b"NO"), Some(15));
        assert_eq!(iban_length(*b"ZZ"), None);
    }

    fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        base64_for_each(s, |b| out.push(b)).then_some(out)
    }

    #[test]
    fn base64_and_basic() {
        assert_eq!(
            base64_decode(b"dXNlcjpwYXNz").as_deref(),
            Some(&b"user:pass"[..])
        );
        assert_eq!(base64_decode(b"YQ==").as_deref(), Some(&b"a"[..]));
        assert!(basic_credentials(b"dXNlcjpwYXNz"));
        assert!(!basic_credentials(b"aGVsbG8gd29ybGQ="));
        assert!(base64_decode(b"a").is_none());
        assert!(base64_decode(b"ab!d").is_none());
        assert!(!basic_credentials(b"question"));
        assert!(!basic_credentials(b"dXNlcjpwYXNz!"));
    }

    #[test]
    fn key_names() {
        assert_eq!(key_kind(b"password"), Some(KeyKind::Secret));
        assert_eq!(key_kind(b"DB_PASSWORD"), Some(KeyKind::Secret));
        assert_eq!(key_kind(b"x-api-key"), Some(KeyKind::Secret));
        assert_eq!(key_kind(b"OPENAI_API_KEY"), Some(KeyKind::Secret));
        assert_eq!(key_kind(b"aws_secret_access_key"), Some(KeyKind::AwsSecret));
        assert_eq!(key_kind(b"Authorization"), Some(KeyKind::Authorization));
        assert_eq!(key_kind(b"max_tokens"), None);
        assert_eq!(key_kind(b"secretary"), None);
        assert_eq!(key_kind(b"compass"), None);
        assert_eq!(key_before(b"api_key = 1", 8), Some((0, 7)));
        assert_eq!(key_before(b"{\"token\": 1", 8), Some((2, 7)));
        assert_eq!(key_before(b" = 1", 1), None);
    }

    #[test]
    fn the_fast_test_keeps_every_secret_name() {
        for word in SECRET_SUFFIXES.iter().chain(&[&b"authorization"[..]]) {
            assert!(has_secret_ending(word), "{}", String::from_utf8_lossy(word));
            let upper = word.to_ascii_uppercase();
            assert!(has_secret_ending(&upper));
        }
        assert!(has_secret_ending(b"DB_PASS-WORD"));
        assert!(has_secret_ending(b"api_key_"));
        assert!(!has_secret_ending(b"Note"));
        assert!(!has_secret_ending(b"10"));
        assert!(!has_secret_ending(b"d"));
    }

    #[test]
    fn markers() {
        assert!(is_marker(b"[email]"));
        assert!(is_marker(b"[email:3f9a1c2b]"));
        assert!(is_marker(b"[redaction-failed]"));
        assert!(!is_marker(b"[email:xyz]"));
        assert!(!is_marker(b"hunter2"));
        assert!(!is_marker(b"[]"));
    }
}
