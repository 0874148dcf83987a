//! The key sequences of events that the one-pass decoder accepted, kept as a tree so that
//! the next events of the same shape skip the work each key otherwise takes.
//!
//! A path from the root contains the members of one accepted event in order: each node is a
//! key, the depth of the object it is in, and whether its value is an object. Following a
//! path only compares the input's keys with the stored ones. Every path comes from an
//! accepted event, so keys that follow a path have no escapes or dots and no key comes twice
//! in one object. The static field of each top-level key on a path is known too. The decoder
//! skips those checks for such keys.
//!
//! A node also keeps a memo: the text of a run of members of one object, starting with the
//! node's member, as one event had it, and what decoding each member wrote (field lines,
//! spans, `data` bytes). When the next event has the same text there, the decoder appends
//! what the memo has for the members whose text is the same, instead of reading them again.
//! Objects such as `host`, `agent` and `ecs` of a Packetbeat event, and most members of
//! `network` or `event`, stay the same from event to event.
//!
//! The tree is bounded: it keeps at most [`MAX_NODES`] nodes and [`MAX_KEY_BYTES`] bytes of
//! keys, and a node gets at most [`MAX_CHILDREN`] children. When a new path does not fit,
//! the tree is emptied and learns again from the next events, so a stream of events of
//! ever new shapes costs a bounded amount of memory. The memos together keep at most
//! [`MAX_MEMO_BYTES`] of allocated room, and a memo that would pass it is left empty.

use std::cell::RefCell;

use crate::event::{FieldSpan, StaticField};

/// Maximum number of nodes, the root included.
pub(crate) const MAX_NODES: usize = 4096;
/// Maximum number of bytes of stored keys, with the `":` after each.
pub(crate) const MAX_KEY_BYTES: usize = 64 * 1024;
/// Maximum number of children of one node; a path that would add another one is not kept.
pub(crate) const MAX_CHILDREN: u8 = 8;
/// Maximum number of new members that one event adds to the tree.
const MAX_LEARNED: usize = 1024;
/// The index of the root node, whose children are the first keys of the events.
pub(crate) const ROOT: u32 = 0;
/// No node.
const NONE: u32 = u32::MAX;
/// Keys stored with their `":` up to this long compare in one masked 16-byte step.
const HEAD: usize = 16;
/// Maximum length of the text of a memo's run.
pub(crate) const MAX_MEMO_VALUE: usize = 4096;
/// Maximum number of bytes that all memos hold together, spans and steps counted by their
/// size.
pub(crate) const MAX_MEMO_BYTES: usize = 1024 * 1024;
/// Events in a row whose text differed from the memo from the first member on, after which a
/// node compares its text with the memo and records a new memo only every [`RETRY_EVERY`]
/// events. Members that change with each event then cost little.
const MISSES_BEFORE_BACKOFF: u32 = 4;
const RETRY_EVERY: u32 = 64;

thread_local! {
    /// The shapes that the decoder on this thread has seen.
    static SHAPES: RefCell<Shapes> = const { RefCell::new(Shapes::new()) };
}

/// Runs `work` with the shapes of this thread.
pub(crate) fn with_thread_shapes<T>(work: impl FnOnce(&mut Shapes) -> T) -> T {
    SHAPES.with_borrow_mut(work)
}

/// Returns the length of the longest common start of `first` and `second`.
#[inline(always)]
fn common_prefix(first: &[u8], second: &[u8]) -> usize {
    let len = first.len().min(second.len());
    let mut at = 0;
    while let (Some(one), Some(other)) = (
        first[at..len].first_chunk::<16>(),
        second[at..len].first_chunk::<16>(),
    ) {
        let differ = u128::from_le_bytes(*one) ^ u128::from_le_bytes(*other);
        if differ != 0 {
            return at + (differ.trailing_zeros() / 8) as usize;
        }
        at += 16;
    }
    while at < len && first[at] == second[at] {
        at += 1;
    }
    at
}

/// Returns whether a node whose text differed from its memo `misses` times in a row
/// compares and records its text this time.
#[inline(always)]
fn retries(misses: u32) -> bool {
    misses < MISSES_BEFORE_BACKOFF || misses % RETRY_EVERY == 0
}

/// One key of a path.
#[derive(Clone, Copy)]
struct Node {
    /// The first [`HEAD`] bytes of the key and its `":`, little-endian, and the mask of
    /// those that the stored text covers.
    head: u128,
    mask: u128,
    /// The key and its `":` as offset and length in [`Shapes::keys`].
    literal: (u32, u32),
    /// The number of objects around the member, the parsed object not counted.
    depth: u32,
    is_object: bool,
    /// The static field that a member of the parsed object fills, if any.
    static_field: Option<StaticField>,
    first_child: u32,
    next_sibling: u32,
    children: u8,
    /// The index of the node's memo in [`Shapes::memos`], or [`NONE`].
    memo: u32,
    /// Events in a row whose text differed from the memo from the first member on.
    misses: u32,
}

/// The output of decoding a run of members of one object, kept to be written again for the
/// same text.
#[derive(Default)]
pub(crate) struct Memo {
    /// The run's text, from the comma before the first member (or its key, when it comes
    /// first) to the `,` or `}` after the last one.
    pub(crate) value: Vec<u8>,
    /// Whether no member of the object was in `data` when the run started.
    pub(crate) none_written: bool,
    /// The field lines written, and their spans with offsets from the first line's start.
    pub(crate) text: Vec<u8>,
    pub(crate) spans: Vec<FieldSpan>,
    /// The bytes written to `data`.
    pub(crate) data: Vec<u8>,
    /// The state after each member of the run.
    pub(crate) steps: Vec<Step>,
}

/// The state of a pass after one member of a run, with offsets from the run's start in the
/// input and in each output.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Step {
    /// The offset of the `,` or `}` after the member.
    pub(crate) end: u32,
    pub(crate) text_len: u32,
    pub(crate) spans_len: u32,
    pub(crate) data_len: u32,
    /// The offset up to which the input was copied to `data`.
    pub(crate) copied: u32,
    /// The number of members of the run that `data` shows.
    pub(crate) written: u32,
    /// The node of the member's key.
    pub(crate) node: u32,
    /// The member's key, as the offset after its opening quote and its length.
    pub(crate) key: (u32, u32),
}

impl Memo {
    /// Returns the bytes the memo's buffers have allocated.
    fn size(&self) -> usize {
        self.value.capacity()
            + self.text.capacity()
            + self.data.capacity()
            + self.spans.capacity() * std::mem::size_of::<FieldSpan>()
            + self.steps.capacity() * std::mem::size_of::<Step>()
    }
}

/// Empties `buffer` for `len` new items, with a new allocation when the one it has is much
/// larger, so that a memo replaced by a smaller one does not keep the larger one's memory.
fn empty_for<T>(buffer: &mut Vec<T>, len: usize) {
    if buffer.capacity() > 2 * len + 64 {
        *buffer = Vec::with_capacity(len);
    } else {
        buffer.clear();
    }
}

/// The output of decoding a run of members, as [`Shapes::store_memo`] takes it.
pub(crate) struct MemoParts<'a> {
    pub(crate) value: &'a [u8],
    pub(crate) none_written: bool,
    pub(crate) text: &'a [u8],
    /// The spans of the lines in `text`, with offsets in the field text where `text` starts
    /// at `text_start`.
    pub(crate) spans: &'a [FieldSpan],
    pub(crate) text_start: usize,
    pub(crate) data: &'a [u8],
    pub(crate) steps: &'a [Step],
}

/// A member that the decoder read without the tree and that a new path would keep.
#[derive(Clone, Copy)]
struct Learned {
    key_offset: u32,
    key_len: u32,
    depth: u32,
    is_object: bool,
}

/// The tree of key sequences.
pub(crate) struct Shapes {
    nodes: Vec<Node>,
    keys: Vec<u8>,
    /// The members of the current event after the point where it left the tree.
    learned: Vec<Learned>,
    /// The steps of the run that the current event records, kept here to reuse the memory.
    pub(crate) steps: Vec<Step>,
    /// The decoder's scratch text for printing arrays, kept here to reuse the memory.
    pub(crate) pretty: String,
    /// The node that the learned members hang from, or [`NONE`] when the event adds none.
    learn_from: u32,
    memos: Vec<Memo>,
    /// The sum of [`Memo::size`] over `memos`.
    memo_bytes: usize,
}

impl Shapes {
    /// Returns an empty tree.
    pub(crate) const fn new() -> Shapes {
        Shapes {
            nodes: Vec::new(),
            keys: Vec::new(),
            learned: Vec::new(),
            steps: Vec::new(),
            pretty: String::new(),
            learn_from: NONE,
            memos: Vec::new(),
            memo_bytes: 0,
        }
    }

    /// Returns the node where a new event starts, or `None` when the tree is empty.
    pub(crate) fn start(&mut self) -> Option<u32> {
        self.learned.clear();
        self.learn_from = ROOT;
        (!self.nodes.is_empty()).then_some(ROOT)
    }

    /// Finds the child of `node` whose key is the one at `at` of `bytes`, the offset after the
    /// key's opening quote, in an object `depth` levels down. The byte after the key's `":`
    /// shows whether its value is an object. Returns the child and the key's length.
    /// A child found after the first one moves to the front, so the shape of most events is
    /// found first.
    #[inline(always)]
    pub(crate) fn follow(
        &mut self,
        node: u32,
        bytes: &[u8],
        at: usize,
        depth: usize,
    ) -> Option<(u32, usize)> {
        let first = self.nodes.get(node as usize)?.first_child;
        let mut previous = NONE;
        let mut child = first;
        while let Some(candidate) = self.nodes.get(child as usize) {
            let len = candidate.literal.1 as usize;
            if candidate.depth as usize == depth && self.key_matches(candidate, bytes, at) {
                let opens_object = bytes.get(at + len) == Some(&b'{');
                if opens_object == candidate.is_object {
                    if previous != NONE {
                        let next = candidate.next_sibling;
                        self.nodes[previous as usize].next_sibling = next;
                        self.nodes[child as usize].next_sibling = first;
                        self.nodes[node as usize].first_child = child;
                    }
                    return Some((child, len - 2));
                }
            }
            previous = child;
            child = candidate.next_sibling;
        }
        None
    }

    /// Returns whether the bytes at `at` start with the key and `":` of `node`.
    #[inline(always)]
    fn key_matches(&self, node: &Node, bytes: &[u8], at: usize) -> bool {
        let (offset, len) = (node.literal.0 as usize, node.literal.1 as usize);
        if len <= HEAD {
            if let Some(chunk) = bytes.get(at..at + HEAD) {
                let word = u128::from_le_bytes(chunk.try_into().unwrap_or([0; HEAD]));
                return (word ^ node.head) & node.mask == 0;
            }
        }
        bytes.get(at..at + len) == self.keys.get(offset..offset + len)
    }

    /// Returns the static field that the key of `node` fills, if any.
    #[inline(always)]
    pub(crate) fn static_field(&self, node: u32) -> Option<StaticField> {
        self.nodes
            .get(node as usize)
            .and_then(|node| node.static_field)
    }

    /// Notes that the current event left the tree after `node`: the members read after it
    /// make a new path from there.
    pub(crate) fn leave(&mut self, node: u32) {
        self.learned.clear();
        self.learn_from = node;
    }

    /// Notes a member that the decoder read without the tree.
    #[inline(always)]
    pub(crate) fn note(
        &mut self,
        key_offset: usize,
        key_len: usize,
        depth: usize,
        is_object: bool,
    ) {
        if self.learn_from == NONE {
            return;
        }
        let member = (|| {
            Some(Learned {
                key_offset: u32::try_from(key_offset).ok()?,
                key_len: u32::try_from(key_len).ok()?,
                depth: u32::try_from(depth).ok()?,
                is_object,
            })
        })();
        match member {
            Some(member) if self.learned.len() < MAX_LEARNED => self.learned.push(member),
            _ => self.learn_from = NONE,
        }
    }

    /// Keeps the members noted since the event left the tree as a new path, once the
    /// decoder accepted the event whose text is `input`.
    pub(crate) fn learn(&mut self, input: &[u8]) {
        let parent = std::mem::replace(&mut self.learn_from, NONE);
        if parent == NONE || self.learned.is_empty() {
            return;
        }

        let key_bytes: usize = self.learned.iter().map(|m| m.key_len as usize + 2).sum();
        if self.nodes.len() + self.learned.len() > MAX_NODES
            || self.keys.len() + key_bytes > MAX_KEY_BYTES
        {
            // The path would start at a node that emptying removes, so it waits for the
            // next event of its shape.
            self.nodes.clear();
            self.keys.clear();
            self.memos.clear();
            self.memo_bytes = 0;
            return;
        }
        if self.nodes.is_empty() {
            self.nodes.push(Node::root());
        }
        let Some(parent_node) = self.nodes.get(parent as usize) else {
            return;
        };
        if parent_node.children >= MAX_CHILDREN {
            return;
        }

        let mut parent = parent;
        let learned = std::mem::take(&mut self.learned);
        for member in &learned {
            let start = member.key_offset as usize;
            let Some(key) = input.get(start..start + member.key_len as usize) else {
                break;
            };
            let Some(index) = self.add_child(parent, key, member) else {
                break;
            };
            parent = index;
        }
        self.learned = learned;
        self.learned.clear();
    }

    /// Adds a node for `member`, whose key is `key`, as the first child of `parent`.
    fn add_child(&mut self, parent: u32, key: &[u8], member: &Learned) -> Option<u32> {
        let index = u32::try_from(self.nodes.len()).ok()?;
        let offset = u32::try_from(self.keys.len()).ok()?;
        self.keys.extend_from_slice(key);
        self.keys.extend_from_slice(b"\":");
        let literal = &self.keys[offset as usize..];

        let mut head = [0; HEAD];
        let covered = literal.len().min(HEAD);
        head[..covered].copy_from_slice(&literal[..covered]);
        let mask = if covered == HEAD {
            u128::MAX
        } else {
            (1u128 << (8 * covered)) - 1
        };
        let static_field = match member.depth {
            0 => std::str::from_utf8(key)
                .ok()
                .and_then(StaticField::from_decoder_name),
            _ => None,
        };

        let parent_node = self.nodes.get_mut(parent as usize)?;
        let next_sibling = std::mem::replace(&mut parent_node.first_child, index);
        parent_node.children += 1;
        self.nodes.push(Node {
            head: u128::from_le_bytes(head),
            mask,
            literal: (offset, u32::try_from(literal.len()).ok()?),
            depth: member.depth,
            is_object: member.is_object,
            static_field,
            first_child: NONE,
            next_sibling,
            children: 0,
            memo: NONE,
            misses: 0,
        });
        Some(index)
    }

    /// Returns the number of steps of the memo of `node` whose text is the same at `start` of
    /// `bytes`, or 0 when there is none or the memo did not start with `none_written` alike.
    /// Counts a miss for 0 when the node has a memo.
    #[inline(always)]
    pub(crate) fn memo_covers(
        &mut self,
        node: u32,
        bytes: &[u8],
        start: usize,
        none_written: bool,
    ) -> usize {
        let Some(node) = self.nodes.get_mut(node as usize) else {
            return 0;
        };
        let Some(memo) = self.memos.get(node.memo as usize) else {
            return 0;
        };
        // A text that keeps changing is compared only now and then.
        let covered = if retries(node.misses) && memo.none_written == none_written {
            let same = common_prefix(bytes.get(start..).unwrap_or_default(), &memo.value);
            // A step counts when the text matched up to the `,` or `}` after it.
            memo.steps
                .iter()
                .take_while(|step| (step.end as usize) < same)
                .count()
        } else {
            0
        };
        node.misses = if covered == 0 {
            node.misses.saturating_add(1)
        } else {
            0
        };
        covered
    }

    /// Returns the memo of `node`, if it has one.
    #[inline(always)]
    pub(crate) fn memo(&self, node: u32) -> Option<&Memo> {
        let node = self.nodes.get(node as usize)?;
        self.memos.get(node.memo as usize)
    }

    /// Returns whether a run starting at `node` should be recorded as its memo this time.
    /// Runs leave out static fields, so they start at no static field's key.
    #[inline(always)]
    pub(crate) fn wants_memo(&self, node: u32) -> bool {
        self.nodes
            .get(node as usize)
            .is_some_and(|node| node.static_field.is_none() && retries(node.misses))
    }

    /// Keeps the output of decoding a run that started at `node` as the node's memo, in place
    /// of the one it had, unless the memos would grow past [`MAX_MEMO_BYTES`].
    pub(crate) fn store_memo(&mut self, node: u32, parts: MemoParts<'_>) {
        let Some(node) = self.nodes.get_mut(node as usize) else {
            return;
        };
        if parts.value.len() > MAX_MEMO_VALUE || parts.steps.is_empty() {
            return;
        }
        let index = match self.memos.get(node.memo as usize) {
            Some(_) => node.memo as usize,
            None => {
                let Ok(index) = u32::try_from(self.memos.len()) else {
                    return;
                };
                self.memos.push(Memo::default());
                node.memo = index;
                index as usize
            }
        };

        let memo = &mut self.memos[index];
        let others = self.memo_bytes - memo.size();
        empty_for(&mut memo.value, parts.value.len());
        memo.value.extend_from_slice(parts.value);
        memo.none_written = parts.none_written;
        empty_for(&mut memo.text, parts.text.len());
        memo.text.extend_from_slice(parts.text);
        empty_for(&mut memo.spans, parts.spans.len());
        memo.spans.extend(parts.spans.iter().map(|span| FieldSpan {
            start: span.start - parts.text_start,
            name_end: span.name_end - parts.text_start,
            value_end: span.value_end - parts.text_start,
            ..*span
        }));
        empty_for(&mut memo.data, parts.data.len());
        memo.data.extend_from_slice(parts.data);
        empty_for(&mut memo.steps, parts.steps.len());
        memo.steps.extend_from_slice(parts.steps);
        if others + memo.size() > MAX_MEMO_BYTES {
            // An empty memo matches no text.
            *memo = Memo::default();
        }
        self.memo_bytes = others + memo.size();
    }

    /// Returns the number of nodes, the root included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }
}

impl Node {
    fn root() -> Node {
        Node {
            head: 0,
            mask: 0,
            literal: (0, 0),
            depth: 0,
            is_object: true,
            static_field: None,
            first_child: NONE,
            next_sibling: NONE,
            children: 0,
            memo: NONE,
            misses: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compact_decoder::decode_compact_with;
    use crate::event::Event;

    fn decode(line: &str, shapes: &mut Shapes) -> bool {
        let time = chrono::DateTime::UNIX_EPOCH.fixed_offset();
        let mut event = Event::new(line.to_string(), "test".into(), time);
        decode_compact_with(&mut event, line, shapes)
    }

    fn assert_bounded(shapes: &Shapes) {
        assert!(shapes.len() <= MAX_NODES, "{} nodes", shapes.len());
        assert!(shapes.keys.len() <= MAX_KEY_BYTES);
        assert!(
            shapes.memo_bytes <= MAX_MEMO_BYTES,
            "{} memo bytes",
            shapes.memo_bytes
        );
        let counted: usize = shapes.memos.iter().map(Memo::size).sum();
        assert_eq!(counted, shapes.memo_bytes);
        assert!(shapes
            .nodes
            .iter()
            .all(|node| node.children <= MAX_CHILDREN));
    }

    #[test]
    fn tree_of_ever_new_shapes_stays_bounded() {
        let mut shapes = Shapes::new();
        let mut emptied = 0;
        let mut last_len = 0;
        for index in 0..3_000 {
            // A shared start of varying length, then keys no other event has.
            let shared: Vec<String> = (0..index % 100)
                .map(|key| format!("\"c{key}\":1"))
                .collect();
            let unique: Vec<String> = (0..20).map(|key| format!("\"u{index}_{key}\":1")).collect();
            let line = format!("{{{},{}}}", shared.join(","), unique.join(","));
            let line = line.replace("{,", "{");
            assert!(decode(&line, &mut shapes), "{line}");
            assert_bounded(&shapes);
            if shapes.len() < last_len {
                emptied += 1;
            }
            last_len = shapes.len();
        }
        assert!(emptied > 0, "the tree filled up and was emptied");
    }

    #[test]
    fn memos_of_changing_objects_stay_bounded() {
        let mut shapes = Shapes::new();
        for index in 0..200 {
            let objects: Vec<String> = (0..40)
                .map(|object| format!(r#""o{object}":{{"v":"{index}{}"}}"#, "x".repeat(3_000)))
                .collect();
            let line = format!(r#"{{"first{}":"1",{}}}"#, index % 8, objects.join(","));
            assert!(decode(&line, &mut shapes));
            assert_bounded(&shapes);
        }
        assert!(
            shapes.memo_bytes > MAX_MEMO_BYTES / 2,
            "the memos filled up"
        );
    }

    #[test]
    fn memo_bound_counts_allocated_room() {
        // Each path records a memo of a large array, then one of a short string. The bound
        // counts what the buffers keep allocated, not what they contain.
        let mut shapes = Shapes::new();
        let item = r#"{"a":{"b":{"c":"xxxxxxxxxxxxxxxx"}}}"#;
        let large = format!("[{}]", vec![item; 60].join(","));
        for path in 0..64 {
            let (first, second) = (path % 8, path / 8);
            for value in [large.as_str(), large.as_str(), r#""1""#, r#""1""#] {
                let line = format!(r#"{{"p{first}":"1","q{second}":"1","k":{value}}}"#);
                assert!(decode(&line, &mut shapes), "{line}");
                assert_bounded(&shapes);
            }
        }
    }

    #[test]
    fn unchanged_members_are_written_from_memos() {
        let mut shapes = Shapes::new();
        let line = r#"{"host":{"name":"h","os":{"family":"debian"}},"n":1}"#;
        for _ in 0..3 {
            assert!(decode(line, &mut shapes));
        }
        let host = shapes.nodes[ROOT as usize].first_child as usize;
        assert_eq!(shapes.nodes[host].misses, 0);
        let memo = &shapes.memos[shapes.nodes[host].memo as usize];
        assert_eq!(
            memo.value,
            br#""host":{"name":"h","os":{"family":"debian"}},"n":1}"#
        );
        assert_eq!(memo.text, b"host.name: h\nhost.os.family: debian\nn: 1\n");
        assert_eq!(memo.steps.len(), 2);
    }
}
