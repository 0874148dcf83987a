//! Splits a `bpf_filter` string into words, parentheses and operators, with 1-based columns.

use super::FilterError;

/// A token kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind<'a> {
    /// A keyword, number, address or range: any run of characters that are not blanks,
    /// parentheses or operator characters.
    Word(&'a str),
    /// `(`
    Open,
    /// `)`
    Close,
    /// `and` or `&&`
    And,
    /// `or` or `||`
    Or,
    /// `not` or `!`
    Not,
}

/// A token and the column (1-based, in characters) where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// Token kind.
    pub kind: TokenKind<'a>,
    /// Start column.
    pub column: usize,
}

/// Splits `source` into tokens.
pub fn tokenize(source: &str) -> Result<Vec<Token<'_>>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = source.char_indices().enumerate().peekable();
    while let Some((index, (offset, character))) = chars.next() {
        let column = index + 1;
        let kind = match character {
            c if c.is_whitespace() => continue,
            '(' => TokenKind::Open,
            ')' => TokenKind::Close,
            '!' => TokenKind::Not,
            '&' | '|' => {
                if chars.next_if(|(_, (_, next))| *next == character).is_none() {
                    return Err(FilterError::new(
                        column,
                        format!("unexpected '{character}', expected '{character}{character}'"),
                    ));
                }
                if character == '&' {
                    TokenKind::And
                } else {
                    TokenKind::Or
                }
            }
            _ => {
                let mut end = offset + character.len_utf8();
                while let Some((_, (next_offset, next))) = chars.next_if(|(_, (_, c))| is_word(*c))
                {
                    end = next_offset + next.len_utf8();
                }
                keyword_or_word(&source[offset..end])
            }
        };
        tokens.push(Token { kind, column });
    }
    Ok(tokens)
}

fn is_word(character: char) -> bool {
    !character.is_whitespace() && !matches!(character, '(' | ')' | '!' | '&' | '|')
}

fn keyword_or_word(word: &str) -> TokenKind<'_> {
    if word.eq_ignore_ascii_case("and") {
        TokenKind::And
    } else if word.eq_ignore_ascii_case("or") {
        TokenKind::Or
    } else if word.eq_ignore_ascii_case("not") {
        TokenKind::Not
    } else {
        TokenKind::Word(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind<'_>> {
        tokenize(source)
            .expect("valid tokens")
            .into_iter()
            .map(|token| token.kind)
            .collect()
    }

    #[test]
    fn tokenize_operators_and_words() {
        assert_eq!(
            kinds("!(udp&&port 53)||tcp"),
            vec![
                TokenKind::Not,
                TokenKind::Open,
                TokenKind::Word("udp"),
                TokenKind::And,
                TokenKind::Word("port"),
                TokenKind::Word("53"),
                TokenKind::Close,
                TokenKind::Or,
                TokenKind::Word("tcp"),
            ]
        );
    }

    #[test]
    fn tokenize_reports_columns() {
        let tokens = tokenize("  host ::1").expect("valid tokens");
        assert_eq!(tokens[0].column, 3);
        assert_eq!(tokens[1].column, 8);
        assert_eq!(tokens[1].kind, TokenKind::Word("::1"));
    }

    #[test]
    fn single_ampersand_is_error() {
        let error = tokenize("udp & tcp").expect_err("single & is invalid");
        assert_eq!(error.column, 5);
    }
}
