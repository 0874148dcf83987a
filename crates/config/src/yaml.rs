//! A YAML document as a tree of nodes that keep their line numbers.
//!
//! The tree is built from `saphyr-parser` events. Anchors and aliases are expanded, with the
//! total node count bounded so that an alias chain cannot blow up memory.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use crate::ConfigError;

/// Maximum number of nodes in a document, aliases expanded. Packetbeat's fully commented
/// reference configuration has about a thousand; the limit also bounds the quadratic cost of
/// merging keys.
pub(crate) const MAX_NODES: usize = 20_000;

/// Maximum bytes of scalar and key text in a document, aliases expanded. It is twice the
/// largest file read, so only alias copies can reach it, and it keeps a long anchored scalar
/// copied by thousands of aliases from filling memory.
pub(crate) const MAX_TEXT_BYTES: usize = 2 * crate::config::MAX_CONFIG_BYTES as usize;

/// Maximum nesting depth of maps and lists, dotted key segments included.
pub(crate) const MAX_DEPTH: usize = 64;

/// One YAML node and the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub line: usize,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    /// A scalar; `plain` is false for quoted and block scalars, which are always strings.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Entries in document order: key text, key line, value.
    Map(Vec<(String, usize, Node)>),
}

/// The nodes in a subtree and the bytes of its scalar and key text.
#[derive(Debug, Default, Clone, Copy)]
struct Size {
    nodes: usize,
    text_bytes: usize,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.nodes += other.nodes;
        self.text_bytes += other.text_bytes;
    }
}

impl Node {
    fn size(&self) -> Size {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Size {
                nodes: 1,
                text_bytes: text.len(),
            },
            NodeKind::Seq(items) => {
                let mut size = Size {
                    nodes: 1,
                    text_bytes: 0,
                };
                for item in items {
                    size.add(item.size());
                }
                size
            }
            NodeKind::Map(entries) => {
                let mut size = Size {
                    nodes: 1,
                    text_bytes: 0,
                };
                for (key, _, value) in entries {
                    size.add(Size {
                        nodes: 1,
                        text_bytes: key.len(),
                    });
                    size.add(value.size());
                }
                size
            }
        }
    }
}

enum Frame {
    Seq {
        line: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        line: usize,
        anchor: usize,
        entries: Vec<(String, usize, Node)>,
        key: Option<(String, usize)>,
    },
}

struct Builder<'f> {
    file: &'f str,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    documents: usize,
    /// Nodes and text completed so far, aliases expanded.
    size: Size,
}

/// Parses `text` into a node tree. An empty document returns `None`.
pub(crate) fn parse(text: &str, file: &str) -> Result<Option<Node>, ConfigError> {
    let mut builder = Builder {
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        documents: 0,
        size: Size::default(),
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| scan_error(&e, file))?;
        builder.on_event(event, span)?;
    }
    Ok(builder.root)
}

fn scan_error(error: &ScanError, file: &str) -> ConfigError {
    ConfigError::Syntax {
        file: file.to_owned(),
        line: error.marker().line(),
        column: error.marker().col() + 1,
        message: error.info().to_owned(),
    }
}

impl Builder<'_> {
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), ConfigError> {
        let line = span.start.line();
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(self.syntax(span, "more than one YAML document in the file"));
                }
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = style == ScalarStyle::Plain;
                let node = Node {
                    line,
                    kind: NodeKind::Scalar {
                        text: text.into_owned(),
                        plain,
                    },
                };
                self.complete(node, anchor, span)?;
            }
            Event::SequenceStart(anchor, _tag) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Seq {
                    line,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, _tag) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Map {
                    line,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => self.end_container(span)?,
            Event::Alias(anchor) => {
                let Some(node) = self.anchors.get(&anchor) else {
                    return Err(self.syntax(span, "alias refers to an unknown anchor"));
                };
                let node = node.clone();
                self.complete(node, 0, span)?;
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
        Ok(())
    }

    fn check_depth(&self, span: Span) -> Result<(), ConfigError> {
        if self.stack.len() >= MAX_DEPTH {
            let message = format!("nesting deeper than {MAX_DEPTH} levels");
            return Err(self.syntax(span, &message));
        }
        Ok(())
    }

    fn end_container(&mut self, span: Span) -> Result<(), ConfigError> {
        let (node, anchor) = match self.stack.pop() {
            Some(Frame::Seq {
                line,
                anchor,
                items,
            }) => (
                Node {
                    line,
                    kind: NodeKind::Seq(items),
                },
                anchor,
            ),
            Some(Frame::Map {
                line,
                anchor,
                entries,
                ..
            }) => (
                Node {
                    line,
                    kind: NodeKind::Map(entries),
                },
                anchor,
            ),
            None => return Err(self.syntax(span, "unbalanced end of a map or list")),
        };
        self.attach(node, anchor, span)
    }

    /// Counts a finished scalar or alias copy, then attaches it.
    fn complete(&mut self, node: Node, anchor: usize, span: Span) -> Result<(), ConfigError> {
        self.size.add(node.size());
        if self.size.nodes > MAX_NODES {
            let message = format!("more than {MAX_NODES} nodes after alias expansion");
            return Err(self.syntax(span, &message));
        }
        if self.size.text_bytes > MAX_TEXT_BYTES {
            let message = format!(
                "more than {MAX_TEXT_BYTES} bytes of text after alias expansion; use fewer aliases of long values"
            );
            return Err(self.syntax(span, &message));
        }
        self.attach(node, anchor, span)
    }

    fn attach(&mut self, node: Node, anchor: usize, span: Span) -> Result<(), ConfigError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some((text, line)) => entries.push((text, line, node)),
                None => match node.kind {
                    NodeKind::Scalar { text, .. } => *key = Some((text, node.line)),
                    _ => return Err(self.syntax(span, "a map key must be a scalar")),
                },
            },
        }
        Ok(())
    }

    fn syntax(&self, span: Span, message: &str) -> ConfigError {
        ConfigError::Syntax {
            file: self.file.to_owned(),
            line: span.start.line(),
            column: span.start.col() + 1,
            message: message.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Node {
        parse(text, "test.yml")
            .expect("test YAML is valid")
            .expect("test YAML has a document")
    }

    fn scalar(node: &Node) -> &str {
        match &node.kind {
            NodeKind::Scalar { text, .. } => text,
            other => panic!("expected a scalar, got {other:?}"),
        }
    }

    #[test]
    fn map_entries_keep_lines() {
        let root = parse_ok("a: 1\n\nb:\n  - x\n  - 'y'\n");
        let NodeKind::Map(entries) = &root.kind else {
            panic!("root is a map");
        };
        assert_eq!(entries[0].0, "a");
        assert_eq!(entries[0].1, 1);
        assert_eq!(entries[1].0, "b");
        assert_eq!(entries[1].1, 3);
        let NodeKind::Seq(items) = &entries[1].2.kind else {
            panic!("b is a list");
        };
        assert_eq!(items[1].line, 5);
        assert_eq!(
            items[1].kind,
            NodeKind::Scalar {
                text: "y".into(),
                plain: false
            }
        );
    }

    #[test]
    fn alias_copies_anchor() {
        let root = parse_ok("a: &x hello\nb: *x\n");
        let NodeKind::Map(entries) = &root.kind else {
            panic!("root is a map");
        };
        assert_eq!(scalar(&entries[1].2), "hello");
    }

    #[test]
    fn alias_bomb_rejected() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let result = parse(&text, "bomb.yml");
        assert!(matches!(result, Err(ConfigError::Syntax { .. })));
    }

    #[test]
    fn long_scalar_alias_bomb_rejected() {
        // 100 copies of a 100,000-byte scalar add 10 MB with only 101 nodes.
        let long = "x".repeat(100_000);
        let mut text = format!("a: &a \"{long}\"\nb:\n");
        for _ in 0..100 {
            text.push_str("  - *a\n");
        }
        let result = parse(&text, "bomb.yml");
        let Err(ConfigError::Syntax { line, message, .. }) = result else {
            panic!("expected a syntax error, got {result:?}");
        };
        assert!(
            message.contains("bytes of text after alias expansion"),
            "{message}"
        );
        assert!(line > 2, "line {line}");
    }

    #[test]
    fn long_scalar_without_aliases_accepted() {
        let long = "x".repeat(crate::config::MAX_CONFIG_BYTES as usize - 10);
        let root = parse_ok(&format!("a: {long}\n"));
        let NodeKind::Map(entries) = &root.kind else {
            panic!("root is a map");
        };
        assert_eq!(scalar(&entries[0].2).len(), long.len());
    }

    #[test]
    fn syntax_error_has_line() {
        let result = parse("a: 1\nb: [1, 2\n", "bad.yml");
        let Err(ConfigError::Syntax { line, file, .. }) = result else {
            panic!("expected a syntax error, got {result:?}");
        };
        assert_eq!(file, "bad.yml");
        assert!(line >= 2, "line {line}");
    }

    #[test]
    fn empty_text_has_no_document() {
        assert_eq!(
            parse("# only a comment\n", "empty.yml").expect("valid"),
            None
        );
    }

    #[test]
    fn two_documents_rejected() {
        let result = parse("a: 1\n---\nb: 2\n", "two.yml");
        assert!(matches!(result, Err(ConfigError::Syntax { .. })));
    }
}
