//! OS_Regex: Wazuh's own regex dialect, ported from the matcher of Wazuh
//! 4.14 so that it accepts and rejects exactly what Wazuh does.
//!
//! Syntax: `|` separates alternatives (top level only); `^` and `$` anchor
//! an alternative; `\w \d \s \p \W \D \S \. \t` are classes and
//! `\( \) \\ \$ \| \<` escaped literals; `+` and `*` repeat only the class
//! right before them (elsewhere they are literal bytes); one level of
//! `(...)` groups captures. Matching is on bytes, case-insensitive for ASCII
//! letters, and the text ends at its first NUL byte.
//!
//! The engine is not a classic regex: it scans left to right, remembers at
//! most four retry points for repeated classes, and restarts after the first
//! matched byte on failure. Its results (including its known quirks) are
//! checked against Wazuh's own test vectors. Every run is bounded by a step
//! limit; a run that hits it counts as no match and bumps a counter.

use std::sync::atomic::{AtomicU64, Ordering};

use super::os_match::c_string;
use super::{MatchSpan, Matcher, PatternError};

/// Maximum pattern length Wazuh accepts, in bytes.
pub const MAX_PATTERN_LEN: usize = 20_480;

/// Steps (loop iterations) a run may take before it is abandoned, on top of
/// [`STEPS_PER_BYTE`] per byte of text.
pub const STEP_LIMIT_BASE: u64 = 1 << 20;
/// Extra steps allowed per byte of text.
pub const STEPS_PER_BYTE: u64 = 64;

const BACKSLASH: u8 = b'\\';
const PAREN: u8 = b'(';

/// A compiled OS_Regex pattern.
#[derive(Debug)]
pub struct OsRegex {
    source: String,
    alternatives: Vec<Alternative>,
    /// Whether runs record group positions. Wazuh records them only for
    /// decoder regexes, and recording changes one end-of-text rule.
    captures: bool,
    limit_hits: AtomicU64,
}

#[derive(Debug, Clone)]
struct Alternative {
    /// Pattern bytes: letters lower-cased, each escape turned into
    /// `\` plus a class code (1..=15), `)` turned into `(`.
    code: Vec<u8>,
    begin: bool,
    end: bool,
    /// Positions in `code` of every parenthesis, open and close.
    parens: Vec<usize>,
}

/// Outcome of one run that did not complete.
struct StepLimitHit;

impl OsRegex {
    /// Compiles a pattern the way rules use it (no capture recording).
    pub fn new(source: &str) -> Result<Self, PatternError> {
        Self::compile(source, false)
    }

    /// Compiles a pattern the way decoders use it (groups recorded).
    pub fn with_captures(source: &str) -> Result<Self, PatternError> {
        Self::compile(source, true)
    }

    fn compile(source: &str, captures: bool) -> Result<Self, PatternError> {
        if source.len() > MAX_PATTERN_LEN {
            return Err(PatternError::new(format!(
                "pattern is {} bytes, more than the maximum of {MAX_PATTERN_LEN}",
                source.len()
            )));
        }
        let (code, paren_count) = translate(source.as_bytes())?;
        let alternatives = split_alternatives(&code);
        Ok(Self {
            source: source.to_owned(),
            alternatives,
            captures: captures && paren_count > 0,
            limit_hits: AtomicU64::new(0),
        })
    }

    /// Returns the pattern text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Returns how many runs hit the step limit.
    pub fn limit_hits(&self) -> u64 {
        self.limit_hits.load(Ordering::Relaxed)
    }

    fn execute(&self, text: &str) -> Option<MatchSpan> {
        let text = c_string(text);
        let limit = STEP_LIMIT_BASE + STEPS_PER_BYTE * text.len() as u64;
        self.execute_limited(text, limit)
    }

    fn execute_limited(&self, text: &[u8], limit: u64) -> Option<MatchSpan> {
        let mut steps = 0;
        for alt in &self.alternatives {
            let mut marks = vec![None; if self.captures { alt.parens.len() } else { 0 }];
            let marks_ref = self.captures.then_some(marks.as_mut_slice());
            match run(alt, text, marks_ref, &mut steps, limit) {
                Ok(Some(end)) => {
                    return Some(MatchSpan {
                        end,
                        groups: pair_marks(&marks),
                    })
                }
                Ok(None) => {}
                Err(StepLimitHit) => {
                    self.limit_hits.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
            }
        }
        None
    }
}

impl Matcher for OsRegex {
    fn is_match(&self, text: &str) -> bool {
        self.execute(text).is_some()
    }

    fn find(&self, text: &str) -> Option<MatchSpan> {
        self.execute(text)
    }
}

/// Maps an escape letter to its class code.
fn class_code(letter: u8) -> Option<u8> {
    let code = match letter {
        b'd' => 1,
        b'w' => 2,
        b's' => 3,
        b'p' => 4,
        b'(' => 5,
        b')' => 6,
        b'\\' => 7,
        b'D' => 8,
        b'W' => 9,
        b'S' => 10,
        b'.' => 11,
        b't' => 12,
        b'$' => 13,
        b'|' => 14,
        b'<' => 15,
        _ => return None,
    };
    Some(code)
}

/// Tests `byte` against class `code`.
fn class_contains(code: u8, byte: u8) -> bool {
    let is_word = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'@' | b'_');
    match code {
        1 => byte.is_ascii_digit(),
        2 => is_word,
        3 => byte == b' ',
        4 => matches!(byte, b'!'..=b'.' | b':'..=b'?' | b'[' | b']' | b'{' | b'|' | b'}'),
        5 => byte == b'(',
        6 => byte == b')',
        7 => byte == b'\\',
        8 => !byte.is_ascii_digit(),
        9 => !is_word,
        10 => byte != b' ',
        11 => true,
        12 => byte == b'\t',
        13 => byte == b'$',
        14 => byte == b'|',
        15 => byte == b'<',
        _ => false,
    }
}

/// Rewrites the pattern into matcher bytes and checks its parentheses.
/// Returns the bytes and the number of groups.
fn translate(pattern: &[u8]) -> Result<(Vec<u8>, usize), PatternError> {
    let mut code = Vec::with_capacity(pattern.len());
    let mut depth: i32 = 0;
    let mut groups = 0;
    let mut i = 0;
    while i < pattern.len() {
        let mut byte = pattern[i];
        if byte == BACKSLASH {
            let letter = pattern.get(i + 1).copied();
            let class = letter.and_then(class_code).ok_or_else(|| {
                let shown = letter.map(|b| (b as char).to_string()).unwrap_or_default();
                PatternError::new(format!("invalid escape \\{shown} at offset {i}"))
            })?;
            code.extend_from_slice(&[BACKSLASH, class]);
            i += 2;
            continue;
        }
        if byte == b'(' {
            depth += 1;
        } else if byte == b')' {
            byte = PAREN;
            depth -= 1;
            groups += 1;
        }
        if depth != 0 && depth != 1 {
            return Err(PatternError::new(format!(
                "unbalanced or nested parenthesis at offset {i}"
            )));
        }
        byte = byte.to_ascii_lowercase();
        if byte == b'|' && depth != 0 {
            return Err(PatternError::new(format!(
                "alternative separator inside parentheses at offset {i}"
            )));
        }
        code.push(byte);
        i += 1;
    }
    if depth != 0 {
        return Err(PatternError::new("unclosed parenthesis"));
    }
    Ok((code, groups))
}

/// Splits matcher bytes on `|` and reads each alternative's anchors.
fn split_alternatives(code: &[u8]) -> Vec<Alternative> {
    let mut alternatives = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i <= code.len() {
        if i < code.len() && code[i] == BACKSLASH {
            i += 2;
            continue;
        }
        if i == code.len() || code[i] == b'|' {
            alternatives.push(parse_alternative(&code[start..i]));
            start = i + 1;
        }
        i += 1;
    }
    alternatives
}

fn parse_alternative(raw: &[u8]) -> Alternative {
    let begin = raw.first() == Some(&b'^');
    // The `$` test looks at the byte before the separator, so a lone `^`
    // is never an end anchor.
    let end = raw.last() == Some(&b'$') && !(begin && raw.len() == 1);
    let from = usize::from(begin);
    let to = if end { raw.len() - 1 } else { raw.len() };
    let code = raw[from..to.max(from)].to_vec();
    let parens = parens_of(&code);
    Alternative {
        code,
        begin,
        end,
        parens,
    }
}

fn parens_of(code: &[u8]) -> Vec<usize> {
    let mut parens = Vec::new();
    let mut i = 0;
    while i < code.len() {
        if code[i] == BACKSLASH {
            i += 2;
            continue;
        }
        if code[i] == PAREN {
            parens.push(i);
        }
        i += 1;
    }
    parens
}

/// Turns recorded parenthesis positions into group ranges: pairs are read
/// in order and reading stops at the first incomplete pair.
fn pair_marks(marks: &[Option<usize>]) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    for pair in marks.chunks(2) {
        match pair {
            [Some(open), Some(close)] => groups.push(*open..(*close).max(*open)),
            _ => break,
        }
    }
    groups
}

/// Runs one alternative over the text.
///
/// Returns the offset Wazuh returns as the match end (usually the last
/// matched byte), `None` for no match.
fn run(
    alt: &Alternative,
    text: &[u8],
    marks: Option<&mut [Option<usize>]>,
    steps: &mut u64,
    limit: u64,
) -> Result<Option<usize>, StepLimitHit> {
    let mut state = Run {
        alt,
        text,
        marks,
        len: text.len() as isize,
    };
    state.scan(steps, limit)
}

struct Run<'a> {
    alt: &'a Alternative,
    text: &'a [u8],
    marks: Option<&'a mut [Option<usize>]>,
    len: isize,
}

impl Run<'_> {
    /// Pattern byte at `i`; 0 past the end, like the C string terminator.
    fn at(&self, i: usize) -> u8 {
        self.alt.code.get(i).copied().unwrap_or(0)
    }

    /// Text byte at `i`; 0 outside the text.
    fn byte(&self, i: isize) -> u8 {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.text.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Records text position `st` for the parenthesis at pattern offset `pt`.
    fn mark(&mut self, pt: usize, st: isize) {
        let Some(marks) = self.marks.as_deref_mut() else {
            return;
        };
        if let Some(index) = self.alt.parens.iter().position(|&p| p == pt) {
            marks[index] = Some(st.max(0) as usize);
        }
    }

    fn capturing(&self) -> bool {
        self.marks.is_some()
    }

    fn scan(&mut self, steps: &mut u64, limit: u64) -> Result<Option<usize>, StepLimitHit> {
        let end_set = self.alt.end;
        let mut r_code: Option<isize> = Some(0);
        let mut regex_matched = false;
        let mut st: isize = 0;
        let mut st_error: Option<isize> = None;
        let mut pt: usize = 0;
        let mut retry: [Option<(usize, isize)>; 4] = [None; 4];

        // Every `continue` below advances to the next text byte, as the
        // increment of the original `for` loop does.
        while st < self.len {
            *steps += 1;
            if *steps > limit {
                return Err(StepLimitHit);
            }
            let c = self.byte(st);
            match self.at(pt) {
                0 if !end_set => return Ok(to_end(r_code)),
                PAREN => {
                    self.mark(pt, st);
                    pt += 1;
                    if self.at(pt) == 0 && !end_set {
                        return Ok(to_end(r_code));
                    }
                }
                _ => {}
            }

            if self.at(pt) == BACKSLASH {
                if class_contains(self.at(pt + 1), c) {
                    let mut next = pt + 2;
                    if !is_repeat(self.at(next)) {
                        pt = next;
                        st_error.get_or_insert(st);
                        r_code = Some(st);
                        st += 1;
                        continue;
                    }
                    if self.at(next) == b'*' {
                        regex_matched = true;
                    }
                    if regex_matched {
                        next += 1;
                        if self.at(next) == PAREN {
                            next += 1;
                        }
                        let ok_here = self.lookahead(next, c, &mut regex_matched);
                        if let Some(skip) = ok_here {
                            if self.capturing() && self.at(next - 1) == PAREN {
                                let at = if regex_matched && skip == 1 {
                                    st + 1
                                } else {
                                    st
                                };
                                self.mark(next - 1, at);
                            }
                            if self.at(next) == 0 {
                                st += 1;
                                continue;
                            }
                            next += skip;
                            if let Some(slot) = retry.iter_mut().find(|slot| slot.is_none()) {
                                *slot = Some((pt, st));
                            }
                            pt = next;
                        }
                    } else {
                        next += 1;
                        if self.capturing() && self.at(next) == PAREN {
                            let at = if self.byte(st + 1) == 0 { st + 1 } else { st };
                            self.mark(next, at);
                        }
                        regex_matched = true;
                    }
                    r_code = Some(st);
                    st += 1;
                    continue;
                } else if (self.at(pt + 2) == 0 || self.at(pt + 3) == 0)
                    && regex_matched
                    && r_code.is_some()
                {
                    r_code = Some(st);
                    if !end_set {
                        return Ok(to_end(r_code));
                    }
                } else if self.at(pt + 2) == b'+' && regex_matched {
                    pt += 3;
                    regex_matched = false;
                    // The byte is tried again against the next token.
                    continue;
                } else if self.at(pt + 2) == b'*' {
                    pt += 3;
                    r_code = Some(st - 1);
                    regex_matched = false;
                    continue;
                }
                regex_matched = false;
            } else if self.at(pt) == c.to_ascii_lowercase() {
                pt += 1;
                st_error.get_or_insert(st);
                r_code = Some(st);
                st += 1;
                continue;
            }

            // Failure: resume from the newest retry point, else restart
            // the pattern after the first byte of this attempt.
            if let Some(slot) = retry.iter_mut().rev().find(|slot| slot.is_some()) {
                if let Some((saved_pt, saved_st)) = slot.take() {
                    pt = saved_pt;
                    st = saved_st + 1;
                    continue;
                }
            }
            if self.alt.begin {
                return Ok(None);
            }
            if let Some(saved) = st_error.take() {
                st = saved;
            }
            pt = 0;
            r_code = None;
            st += 1;
        }

        if self.capturing() {
            while self.at(pt) != PAREN
                && self.at(pt) != 0
                && self.at(pt) == BACKSLASH
                && self.at(pt + 2) == b'*'
            {
                pt += 3;
            }
            if self.at(pt) == PAREN {
                self.mark(pt, st);
            }
        }
        if self.accepts_rest(pt, regex_matched) {
            Ok(to_end(r_code))
        } else {
            Ok(None)
        }
    }

    /// Looks at the token after a repeated class while the repetition is
    /// running. Returns how many pattern bytes to skip when the current
    /// byte already fits that token (`Some(0)` when the token repeats too).
    fn lookahead(&self, next: usize, c: u8, regex_matched: &mut bool) -> Option<usize> {
        let token = self.at(next);
        if token == 0 {
            return Some(1);
        }
        if token == BACKSLASH {
            if !class_contains(self.at(next + 1), c) {
                return None;
            }
            return Some(if is_repeat(self.at(next + 2)) { 0 } else { 2 });
        }
        if token == c.to_ascii_lowercase() {
            *regex_matched = false;
            return Some(1);
        }
        None
    }

    /// Decides, once the text is used up, whether the rest of the pattern
    /// can match the empty string: only optional classes and parentheses
    /// may remain. The checks mutate `pt` as they go, as Wazuh's do.
    fn accepts_rest(&self, mut pt: usize, regex_matched: bool) -> bool {
        if self.at_pattern_end(&mut pt) {
            return true;
        }
        if self.at(pt) == BACKSLASH && regex_matched {
            pt += 2;
            if is_repeat(self.at(pt)) {
                pt += 1;
                if self.at_pattern_end(&mut pt) {
                    return true;
                }
                if self.at(pt) == BACKSLASH {
                    pt += 2;
                    if self.at(pt) == b'*' {
                        pt += 1;
                        if self.at_pattern_end(&mut pt) {
                            return true;
                        }
                    }
                }
            }
        }
        if self.at(pt) == BACKSLASH {
            pt += 2;
            if self.at(pt) == b'*' {
                pt += 1;
                return self.at_pattern_end(&mut pt);
            }
        }
        false
    }

    /// Skips one parenthesis and tests for the pattern end.
    fn at_pattern_end(&self, pt: &mut usize) -> bool {
        if self.at(*pt) == PAREN {
            *pt += 1;
        }
        self.at(*pt) == 0
    }
}

fn is_repeat(byte: u8) -> bool {
    byte == b'+' || byte == b'*'
}

/// Converts Wazuh's end pointer to an offset. The pointer can sit one byte
/// before the text after a `*` that matched nothing at offset 0; it is
/// clamped to 0.
fn to_end(r_code: Option<isize>) -> Option<usize> {
    r_code.map(|r| r.max(0) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(pattern: &str, text: &str) -> Option<(String, Vec<String>)> {
        let regex = OsRegex::with_captures(pattern).expect("test patterns compile");
        let span = regex.find(text)?;
        let groups = (0..span.groups.len())
            .filter_map(|i| span.group(text, i).map(|g| g.into_owned()))
            .collect();
        Some((text[span.end..].to_owned(), groups))
    }

    #[test]
    fn literal_match_end() {
        assert_eq!(find("hi Wazuh", "hi Wazuh"), Some(("h".into(), vec![])));
        assert_eq!(find("hi wazuh$", "hi Wazuh 123"), None);
    }

    #[test]
    fn classes_and_captures() {
        let got = find("^(\\w+) (\\d+)", "user 42 rest");
        assert_eq!(got.map(|g| g.1), Some(vec!["user".into(), "42".into()]));
    }

    #[test]
    fn bad_escape_rejected() {
        assert!(OsRegex::new("a\\q").is_err());
        assert!(OsRegex::new("a\\").is_err());
    }

    #[test]
    fn nested_parentheses_rejected() {
        assert!(OsRegex::new("((a))").is_err());
        assert!(OsRegex::new("(a|b)").is_err());
        assert!(OsRegex::new("(a").is_err());
        assert!(OsRegex::new("a)").is_err());
    }

    #[test]
    fn empty_alternative_matches() {
        let regex = OsRegex::new("foo||bar").expect("compiles");
        assert!(regex.is_match("zzz"));
    }

    #[test]
    fn step_limit_counts() {
        let regex = OsRegex::new("\\w+x").expect("compiles");
        let text = "a".repeat(1_000);
        assert!(regex.execute_limited(text.as_bytes(), 100).is_none());
        assert_eq!(regex.limit_hits(), 1);
        assert!(regex.execute_limited(b"aaax", 100).is_some());
        assert_eq!(regex.limit_hits(), 1);
    }
}
