//! Recursive-descent parser for the `bpf_filter` subset.
//!
//! Precedence follows libpcap: `not` binds tightest, then `and`, then `or`; `and` and `or` are
//! left-associative.

use std::net::IpAddr;

use super::ast::{Direction, Expr, Network, Primitive};
use super::lexer::{tokenize, Token, TokenKind};
use super::FilterError;

/// Maximum filter length in bytes; longer strings are rejected before parsing.
pub const MAX_LENGTH: usize = 8192;

/// Maximum nesting of parentheses and `not`, which bounds the parser's recursion.
pub const MAX_DEPTH: usize = 64;

/// libpcap keywords this subset does not implement, so the error can name them as unsupported
/// rather than as unknown.
const UNSUPPORTED_KEYWORDS: &[&str] = &[
    "ether",
    "arp",
    "rarp",
    "icmp",
    "icmp6",
    "igmp",
    "sctp",
    "proto",
    "protochain",
    "gateway",
    "broadcast",
    "multicast",
    "less",
    "greater",
    "len",
    "mpls",
    "pppoed",
    "pppoes",
    "geneve",
    "vxlan",
    "inbound",
    "outbound",
    "ifname",
    "on",
    "link",
    "decnet",
    "atalk",
    "ipx",
    "iso",
    "stp",
    "netbeui",
    "wlan",
    "type",
    "subtype",
    "dir",
    "addr1",
    "addr2",
    "addr3",
    "addr4",
    "ra",
    "ta",
    "fddi",
    "tr",
    "ah",
    "esp",
    "pim",
    "vrrp",
    "carp",
    "mask",
    "lat",
    "mopdl",
    "moprc",
    "sca",
    "clnp",
    "esis",
    "isis",
    "l1",
    "l2",
    "iih",
    "lsp",
    "snp",
    "csnp",
    "psnp",
    "llc",
    "hsrp",
];

/// Parses a `bpf_filter` string. An empty or blank string is an error, because an empty filter
/// is represented by not configuring one.
pub fn parse(source: &str) -> Result<Expr, FilterError> {
    if source.len() > MAX_LENGTH {
        return Err(FilterError::new(
            1,
            format!(
                "filter is {} bytes long, the maximum is {MAX_LENGTH}",
                source.len()
            ),
        ));
    }
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        tokens,
        position: 0,
        end_column: source.chars().count() + 1,
        depth: 0,
    };
    let expr = parser.or_expr()?;
    match parser.peek() {
        None => Ok(expr),
        Some(token) => Err(FilterError::new(
            token.column,
            format!(
                "unexpected {} after a complete expression; join primitives with 'and' or 'or'",
                describe(&token.kind)
            ),
        )),
    }
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    position: usize,
    end_column: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let token = self.tokens.get(self.position).cloned();
        self.position += usize::from(token.is_some());
        token
    }

    fn next_if(&mut self, kind: &TokenKind<'_>) -> bool {
        let matched = self.peek().is_some_and(|token| token.kind == *kind);
        self.position += usize::from(matched);
        matched
    }

    fn peek_word(&self) -> Option<&'a str> {
        match self.peek()?.kind {
            TokenKind::Word(word) => Some(word),
            _ => None,
        }
    }

    fn or_expr(&mut self) -> Result<Expr, FilterError> {
        let mut expr = self.and_expr()?;
        while self.next_if(&TokenKind::Or) {
            expr = expr.or(self.and_expr()?);
        }
        Ok(expr)
    }

    fn and_expr(&mut self) -> Result<Expr, FilterError> {
        let mut expr = self.unary()?;
        while self.next_if(&TokenKind::And) {
            expr = expr.and(self.unary()?);
        }
        Ok(expr)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        let Some(token) = self.next() else {
            return Err(FilterError::new(
                self.end_column,
                "expected a primitive, found the end of the filter",
            ));
        };
        match token.kind {
            TokenKind::Not => self.nested(token.column, |parser| {
                Ok(Expr::Not(Box::new(parser.unary()?)))
            }),
            TokenKind::Open => self.nested(token.column, |parser| {
                let expr = parser.or_expr()?;
                match parser.next() {
                    Some(Token {
                        kind: TokenKind::Close,
                        ..
                    }) => Ok(expr),
                    Some(other) => Err(FilterError::new(
                        other.column,
                        format!("expected ')', found {}", describe(&other.kind)),
                    )),
                    None => Err(FilterError::new(
                        parser.end_column,
                        format!("missing ')' for the '(' at column {}", token.column),
                    )),
                }
            }),
            TokenKind::Word(word) => self.primitive(word, token.column),
            other => Err(FilterError::new(
                token.column,
                format!("expected a primitive, found {}", describe(&other)),
            )),
        }
    }

    fn nested(
        &mut self,
        column: usize,
        parse: impl FnOnce(&mut Self) -> Result<Expr, FilterError>,
    ) -> Result<Expr, FilterError> {
        if self.depth >= MAX_DEPTH {
            return Err(FilterError::new(
                column,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn primitive(&mut self, word: &'a str, column: usize) -> Result<Expr, FilterError> {
        let keyword = word.to_ascii_lowercase();
        let primitive = match keyword.as_str() {
            "src" => self.qualified(Direction::Source, column)?,
            "dst" => self.qualified(Direction::Destination, column)?,
            "host" | "net" | "port" | "portrange" => {
                self.addressed(Direction::Either, word, column)?
            }
            "udp" | "tcp" => return self.transport(&keyword),
            "ip" => Primitive::Ip,
            "ip6" => Primitive::Ip6,
            "vlan" => Primitive::Vlan(self.vlan_id()?),
            _ if UNSUPPORTED_KEYWORDS.contains(&keyword.as_str()) => {
                return Err(FilterError::new(
                    column,
                    format!(
                        "unsupported primitive '{word}'; supported are host, net, port, \
                         portrange, src, dst, udp, tcp, ip, ip6 and vlan"
                    ),
                ))
            }
            _ => {
                return Err(FilterError::new(
                    column,
                    format!(
                        "expected a primitive, found '{word}'; every value needs its own \
                         keyword, as in 'port 53 or port 5353'"
                    ),
                ))
            }
        };
        Ok(Expr::Primitive(primitive))
    }

    /// Parses what follows `udp` or `tcp`: nothing, or a port test restricted to that protocol.
    fn transport(&mut self, keyword: &str) -> Result<Expr, FilterError> {
        let protocol = if keyword == "udp" {
            Primitive::Udp
        } else {
            Primitive::Tcp
        };
        let follows_port = self.peek_word().is_some_and(|next| {
            ["src", "dst", "port", "portrange"]
                .iter()
                .any(|qualifier| next.eq_ignore_ascii_case(qualifier))
        });
        let protocol = Expr::Primitive(protocol);
        if !follows_port {
            return Ok(protocol);
        }
        let Some(Token {
            kind: TokenKind::Word(word),
            column,
        }) = self.next()
        else {
            unreachable!("peek_word returned a word");
        };
        let port = self.primitive(word, column)?;
        match &port {
            Expr::Primitive(Primitive::Port(..) | Primitive::PortRange(..)) => {
                Ok(protocol.and(port))
            }
            _ => Err(FilterError::new(
                column,
                format!("'{keyword}' can only qualify 'port' or 'portrange'"),
            )),
        }
    }

    /// Parses the rest of `src ...` or `dst ...`.
    fn qualified(&mut self, direction: Direction, column: usize) -> Result<Primitive, FilterError> {
        match self.next() {
            Some(Token {
                kind: TokenKind::Word(word),
                column,
            }) if ["host", "net", "port", "portrange"]
                .iter()
                .any(|keyword| word.eq_ignore_ascii_case(keyword)) =>
            {
                self.addressed(direction, word, column)
            }
            Some(other) => Err(FilterError::new(
                other.column,
                format!(
                    "expected 'host', 'net', 'port' or 'portrange' after '{}', found {}",
                    if direction == Direction::Source {
                        "src"
                    } else {
                        "dst"
                    },
                    describe(&other.kind)
                ),
            )),
            None => Err(FilterError::new(
                self.end_column.max(column),
                "expected 'host', 'net', 'port' or 'portrange' at the end of the filter",
            )),
        }
    }

    /// Parses the value after `host`, `net`, `port` or `portrange`.
    fn addressed(
        &mut self,
        direction: Direction,
        keyword: &str,
        keyword_column: usize,
    ) -> Result<Primitive, FilterError> {
        let keyword = keyword.to_ascii_lowercase();
        let (value, column) = match self.next() {
            Some(Token {
                kind: TokenKind::Word(value),
                column,
            }) => (value, column),
            Some(other) => {
                return Err(FilterError::new(
                    other.column,
                    format!(
                        "expected a value after '{keyword}', found {}",
                        describe(&other.kind)
                    ),
                ))
            }
            None => {
                return Err(FilterError::new(
                    self.end_column.max(keyword_column),
                    format!("expected a value after '{keyword}', found the end of the filter"),
                ))
            }
        };
        match keyword.as_str() {
            "host" => Ok(Primitive::Host(direction, parse_address(value, column)?)),
            "net" => Ok(Primitive::Net(direction, parse_network(value, column)?)),
            "port" => Ok(Primitive::Port(direction, parse_port(value, column)?)),
            _ => {
                let (first, last) = parse_port_range(value, column)?;
                Ok(Primitive::PortRange(direction, first, last))
            }
        }
    }

    fn vlan_id(&mut self) -> Result<Option<u16>, FilterError> {
        let Some(word) = self.peek_word() else {
            return Ok(None);
        };
        if !word.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok(None);
        }
        let column = self.next().map_or(self.end_column, |token| token.column);
        match word.parse::<u16>() {
            Ok(id) if id <= 4095 => Ok(Some(id)),
            _ => Err(FilterError::new(
                column,
                format!("invalid VLAN id '{word}', expected 0-4095"),
            )),
        }
    }
}

fn describe(kind: &TokenKind<'_>) -> String {
    match kind {
        TokenKind::Word(word) => format!("'{word}'"),
        TokenKind::Open => "'('".to_owned(),
        TokenKind::Close => "')'".to_owned(),
        TokenKind::And => "'and'".to_owned(),
        TokenKind::Or => "'or'".to_owned(),
        TokenKind::Not => "'not'".to_owned(),
    }
}

fn parse_address(value: &str, column: usize) -> Result<IpAddr, FilterError> {
    value.parse().map_err(|_| {
        FilterError::new(
            column,
            format!(
                "invalid host address '{value}'; only IPv4 and IPv6 literals are supported, \
                 not host names"
            ),
        )
    })
}

fn parse_network(value: &str, column: usize) -> Result<Network, FilterError> {
    let (address_text, prefix_text) = match value.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (value, None),
    };
    let address: IpAddr = address_text.parse().map_err(|_| {
        FilterError::new(
            column,
            format!("invalid network address '{address_text}', expected ADDRESS/LENGTH"),
        )
    })?;
    let max_prefix = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix_text {
        None => max_prefix,
        Some(text) => match text.parse::<u8>() {
            Ok(prefix) if prefix <= max_prefix => prefix,
            _ => {
                return Err(FilterError::new(
                    column,
                    format!("invalid prefix length '{text}' in '{value}', expected 0-{max_prefix}"),
                ))
            }
        },
    };
    let network = Network { address, prefix };
    if masked(address, prefix) != address {
        return Err(FilterError::new(
            column,
            format!("network '{value}' has bits set beyond its /{prefix} prefix"),
        ));
    }
    Ok(network)
}

/// Clears the bits of `address` after the first `prefix` bits.
fn masked(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

fn parse_port(value: &str, column: usize) -> Result<u16, FilterError> {
    value.parse().map_err(|_| {
        FilterError::new(
            column,
            format!(
                "invalid port '{value}', expected a number 0-65535 (port names are not supported)"
            ),
        )
    })
}

/// Parses `A-B`; like libpcap, a reversed range is swapped.
fn parse_port_range(value: &str, column: usize) -> Result<(u16, u16), FilterError> {
    let Some((first, last)) = value.split_once('-') else {
        return Err(FilterError::new(
            column,
            format!("invalid port range '{value}', expected FIRST-LAST"),
        ));
    };
    let first = parse_port(first, column)?;
    let last = parse_port(last, column)?;
    Ok((first.min(last), first.max(last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(source: &str) -> String {
        parse(source).expect("valid filter").to_string()
    }

    fn error(source: &str) -> FilterError {
        parse(source).expect_err("invalid filter")
    }

    #[test]
    fn precedence_not_and_or() {
        assert_eq!(
            parsed("not udp and tcp or ip6"),
            "((not udp and tcp) or ip6)"
        );
        assert_eq!(parsed("udp || tcp && !ip"), "(udp or (tcp and not ip))");
    }

    #[test]
    fn parentheses_group() {
        assert_eq!(
            parsed("udp and (port 53 or port 5353)"),
            "(udp and (port 53 or port 5353))"
        );
    }

    #[test]
    fn qualifiers_and_values() {
        assert_eq!(parsed("src host 10.0.0.1"), "src host 10.0.0.1");
        assert_eq!(parsed("dst net 10.0.0.0/8"), "dst net 10.0.0.0/8");
        assert_eq!(parsed("net 2001:db8::/32"), "net 2001:db8::/32");
        assert_eq!(parsed("portrange 2000-1000"), "portrange 1000-2000");
        assert_eq!(parsed("udp dst port 53"), "(udp and dst port 53)");
        assert_eq!(parsed("vlan 100 and vlan"), "(vlan 100 and vlan)");
        assert_eq!(parsed("HOST ::1"), "host ::1");
    }

    #[test]
    fn unsupported_keyword_names_column() {
        let error = error("udp and ether host 00:11:22:33:44:55");
        assert_eq!(error.column, 9);
        assert!(error.message.contains("'ether'"), "{}", error.message);
    }

    #[test]
    fn implicit_value_list_is_error() {
        let error = error("port 53 or 5353");
        assert_eq!(error.column, 12);
        assert!(error.message.contains("'5353'"), "{}", error.message);
    }

    #[test]
    fn host_name_is_error() {
        let error = error("host example.com");
        assert_eq!(error.column, 6);
        assert!(error.message.contains("host names"), "{}", error.message);
    }

    #[test]
    fn network_with_host_bits_is_error() {
        assert!(error("net 10.0.0.1/8").message.contains("/8"));
        assert!(error("net 10.0.0.0/33").message.contains("'33'"));
    }

    #[test]
    fn missing_parts_are_errors() {
        assert_eq!(error("").column, 1);
        assert_eq!(error("port").column, 5);
        assert_eq!(error("(udp").column, 5);
        assert_eq!(error("udp and").column, 8);
        assert_eq!(error("udp tcp").column, 5);
        assert_eq!(error("src tcp").column, 5);
        assert_eq!(error("vlan 5000").column, 6);
        assert_eq!(error("port domain").column, 6);
    }

    #[test]
    fn deep_nesting_is_error() {
        let source = format!("{}udp{}", "(".repeat(100), ")".repeat(100));
        assert!(error(&source).message.contains("nesting"));
        let source = format!("{}udp", "not ".repeat(100));
        assert!(error(&source).message.contains("nesting"));
    }

    #[test]
    fn overlong_filter_is_error() {
        let source = "udp or ".repeat(2000) + "udp";
        assert!(error(&source).message.contains("maximum"));
    }
}
