//! Splits a filter expression into tokens, each with its byte span for error carets.
//!
//! Words are runs of letters, digits and `_ . -`, plus `:` and `/` outside brackets so that
//! `::1`, `10.0.0.0/8` and `1-1024` are single words; inside `[ ]` a colon separates offset and
//! size (`tcp[13:2]`). Operators follow tcpdump: `! && || ( ) [ ] : & | ^ + - * / % << >>` and
//! the relations `= == != < <= > >=`.

use super::{ArithOp, FilterError, RelOp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// A keyword, name, number or address.
    Word(&'a str),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Colon,
    /// `!`
    Bang,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    Arith(ArithOp),
    Rel(RelOp),
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub tok: Tok<'a>,
    pub start: usize,
    pub end: usize,
}

impl Token<'_> {
    /// How the token is quoted in messages.
    pub fn text<'e>(&self, expr: &'e str) -> &'e str {
        expr.get(self.start..self.end).unwrap_or("")
    }
}

fn is_word_char(c: char, in_brackets: bool) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '.' | '-')
        || (!in_brackets && matches!(c, ':' | '/'))
}

fn is_word_start(c: char, in_brackets: bool) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.') || (!in_brackets && c == ':')
}

/// Tokens of `expr`, ending with [`Tok::End`].
pub(crate) fn lex(expr: &str) -> Result<Vec<Token<'_>>, FilterError> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut it = expr.char_indices().peekable();
    while let Some((start, c)) = it.next() {
        if c.is_whitespace() {
            continue;
        }
        if is_word_start(c, depth > 0) {
            let mut end = start + c.len_utf8();
            while let Some(&(i, d)) = it.peek() {
                if !is_word_char(d, depth > 0) {
                    break;
                }
                end = i + d.len_utf8();
                it.next();
            }
            out.push(Token {
                tok: Tok::Word(&expr[start..end]),
                start,
                end,
            });
            continue;
        }
        let next = it.peek().map(|&(_, d)| d);
        let (tok, len) = match (c, next) {
            ('&', Some('&')) => (Tok::AndAnd, 2),
            ('|', Some('|')) => (Tok::OrOr, 2),
            ('!', Some('=')) => (Tok::Rel(RelOp::Ne), 2),
            ('=', Some('=')) => (Tok::Rel(RelOp::Eq), 2),
            ('<', Some('=')) => (Tok::Rel(RelOp::Le), 2),
            ('>', Some('=')) => (Tok::Rel(RelOp::Ge), 2),
            ('<', Some('<')) => (Tok::Arith(ArithOp::Shl), 2),
            ('>', Some('>')) => (Tok::Arith(ArithOp::Shr), 2),
            ('!', _) => (Tok::Bang, 1),
            ('=', _) => (Tok::Rel(RelOp::Eq), 1),
            ('<', _) => (Tok::Rel(RelOp::Lt), 1),
            ('>', _) => (Tok::Rel(RelOp::Gt), 1),
            ('&', _) => (Tok::Arith(ArithOp::And), 1),
            ('|', _) => (Tok::Arith(ArithOp::Or), 1),
            ('^', _) => (Tok::Arith(ArithOp::Xor), 1),
            ('+', _) => (Tok::Arith(ArithOp::Add), 1),
            ('-', _) => (Tok::Arith(ArithOp::Sub), 1),
            ('*', _) => (Tok::Arith(ArithOp::Mul), 1),
            ('/', _) => (Tok::Arith(ArithOp::Div), 1),
            ('%', _) => (Tok::Arith(ArithOp::Mod), 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            ('[', _) => {
                depth += 1;
                (Tok::LBracket, 1)
            }
            (']', _) => {
                depth = depth.saturating_sub(1);
                (Tok::RBracket, 1)
            }
            (':', _) => (Tok::Colon, 1),
            _ => {
                return Err(FilterError {
                    expr: expr.to_string(),
                    span: (start, start + c.len_utf8()),
                    message: format!(
                        "unexpected character `{c}`: filters are made of words, numbers, \
                         addresses, parentheses and the operators ! && || & | + - * / < > = []"
                    ),
                });
            }
        };
        if len == 2 {
            it.next();
        }
        let end = start + if len == 2 { 2 } else { c.len_utf8() };
        out.push(Token { tok, start, end });
    }
    out.push(Token {
        tok: Tok::End,
        start: expr.len(),
        end: expr.len(),
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(e: &str) -> Vec<Tok<'_>> {
        lex(e).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn words_keep_addresses_ranges_and_names_whole() {
        assert_eq!(
            kinds("net 10.0.0.0/8 or host ::1 and portrange 1-1024"),
            vec![
                Tok::Word("net"),
                Tok::Word("10.0.0.0/8"),
                Tok::Word("or"),
                Tok::Word("host"),
                Tok::Word("::1"),
                Tok::Word("and"),
                Tok::Word("portrange"),
                Tok::Word("1-1024"),
                Tok::End
            ]
        );
    }

    #[test]
    fn brackets_split_offset_and_size_and_operators_need_no_spaces() {
        assert_eq!(
            kinds("tcp[13:2]&tcp-syn!=0||!udp"),
            vec![
                Tok::Word("tcp"),
                Tok::LBracket,
                Tok::Word("13"),
                Tok::Colon,
                Tok::Word("2"),
                Tok::RBracket,
                Tok::Arith(ArithOp::And),
                Tok::Word("tcp-syn"),
                Tok::Rel(RelOp::Ne),
                Tok::Word("0"),
                Tok::OrOr,
                Tok::Bang,
                Tok::Word("udp"),
                Tok::End
            ]
        );
    }

    #[test]
    fn spans_point_into_the_expression() {
        let t = lex("tcp  port 7").unwrap();
        assert_eq!((t[1].start, t[1].end), (5, 9));
        assert_eq!(t[1].text("tcp  port 7"), "port");
        assert_eq!((t[3].start, t[3].end), (11, 11));
    }

    #[test]
    fn stray_characters_are_refused_with_a_caret() {
        let e = lex("tcp $ udp").unwrap_err();
        assert_eq!(e.span, (4, 5));
    }
}
