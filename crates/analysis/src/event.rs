//! One event during analysis: the pre-decoded message, the static fields Wazuh keeps in
//! named slots, and the dynamic fields in decode order.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

/// Maximum number of dynamic fields per event (Wazuh's `analysisd.decoder_order_size`).
pub const MAX_DYNAMIC_FIELDS: usize = 256;

/// A static (named-slot) field of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaticField {
    /// `srcip`.
    SrcIp,
    /// `dstip`.
    DstIp,
    /// `srcport`.
    SrcPort,
    /// `dstport`.
    DstPort,
    /// `protocol`.
    Protocol,
    /// `action`.
    Action,
    /// `srcuser`.
    SrcUser,
    /// `dstuser`.
    DstUser,
    /// `id`.
    Id,
    /// `status`.
    Status,
    /// `url`.
    Url,
    /// `data`.
    Data,
    /// `extra_data`.
    ExtraData,
    /// `systemname` in decoders, `system_name` in rules and alerts.
    SystemName,
}

impl StaticField {
    /// Every static field, in the order the slots are stored.
    pub const ALL: [StaticField; 14] = [
        StaticField::SrcIp,
        StaticField::DstIp,
        StaticField::SrcPort,
        StaticField::DstPort,
        StaticField::Protocol,
        StaticField::Action,
        StaticField::SrcUser,
        StaticField::DstUser,
        StaticField::Id,
        StaticField::Status,
        StaticField::Url,
        StaticField::Data,
        StaticField::ExtraData,
        StaticField::SystemName,
    ];

    /// The key this field has in an alert's `data` object.
    pub fn alert_name(self) -> &'static str {
        match self {
            StaticField::SrcIp => "srcip",
            StaticField::DstIp => "dstip",
            StaticField::SrcPort => "srcport",
            StaticField::DstPort => "dstport",
            StaticField::Protocol => "protocol",
            StaticField::Action => "action",
            StaticField::SrcUser => "srcuser",
            StaticField::DstUser => "dstuser",
            StaticField::Id => "id",
            StaticField::Status => "status",
            StaticField::Url => "url",
            StaticField::Data => "data",
            StaticField::ExtraData => "extra_data",
            StaticField::SystemName => "system_name",
        }
    }

    /// Maps a top-level JSON key or a decoder `<order>` name to its static field; `user` maps to
    /// `dstuser` (the caller handles the "dstuser already set" case).
    pub fn from_decoder_name(name: &str) -> Option<StaticField> {
        Some(match name {
            "srcip" => StaticField::SrcIp,
            "dstip" => StaticField::DstIp,
            "srcport" => StaticField::SrcPort,
            "dstport" => StaticField::DstPort,
            "protocol" => StaticField::Protocol,
            "action" => StaticField::Action,
            "srcuser" => StaticField::SrcUser,
            "dstuser" | "user" => StaticField::DstUser,
            "id" => StaticField::Id,
            "status" => StaticField::Status,
            "url" => StaticField::Url,
            "data" => StaticField::Data,
            "extra_data" => StaticField::ExtraData,
            "systemname" | "system_name" => StaticField::SystemName,
            _ => return None,
        })
    }

    /// Maps a `$(name)` placeholder of a rule description to its static field.
    pub fn from_description_name(name: &str) -> Option<StaticField> {
        match name {
            "user" | "systemname" => None,
            other => StaticField::from_decoder_name(other),
        }
    }

    /// Returns whether `name` is the alert name of a static field, ignoring ASCII case. The
    /// length picks the candidates, because this runs for every top-level member.
    pub fn is_alert_name_ignoring_case(name: &[u8]) -> bool {
        let candidates: &[StaticField] = match name.len() {
            2 => &[StaticField::Id],
            3 => &[StaticField::Url],
            4 => &[StaticField::Data],
            5 => &[StaticField::SrcIp, StaticField::DstIp],
            6 => &[StaticField::Action, StaticField::Status],
            7 => &[
                StaticField::SrcPort,
                StaticField::DstPort,
                StaticField::SrcUser,
                StaticField::DstUser,
            ],
            8 => &[StaticField::Protocol],
            10 => &[StaticField::ExtraData],
            11 => &[StaticField::SystemName],
            _ => &[],
        };
        candidates
            .iter()
            .any(|field| field.alert_name().as_bytes().eq_ignore_ascii_case(name))
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The decoder that decoded an event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecoderInfo {
    /// Name reported in `decoder.name` (the parent's name for child decoders).
    pub name: String,
    /// Parent decoder name, when the decoder is a child.
    pub parent: Option<String>,
    /// The `ftscomment` of the decoder.
    pub fts_comment: Option<String>,
    /// Whether the decoder has `<accumulate>`.
    pub accumulate: bool,
    /// The decoder's `<fts>` field list (first-time-seen key).
    pub fts: Vec<String>,
    /// The decoder's `<type>` (category); root rules of other categories are skipped.
    pub category: dnstel_ruleset::Category,
}

/// The location of one dynamic field in [`Event`]'s field text, which holds the field as
/// its `alerts.log` line `name: value\n`. The name is `start..name_end`, the value
/// `name_end + 2..value_end`, and the value's compact JSON text, when the decoder stored one,
/// is `json_start..json_end` of the JSON text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldSpan {
    pub(crate) start: usize,
    pub(crate) name_end: usize,
    pub(crate) value_end: usize,
    pub(crate) json_start: usize,
    pub(crate) json_end: usize,
    /// Whether the name and value contain no character that JSON strings escape.
    pub(crate) is_plain: bool,
}

/// One dynamic field as the alert's `data` object needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DataField<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
    /// The value's compact JSON text, or empty when the decoder stored none.
    pub(crate) json: &'a str,
    /// Whether the name and value contain no `"`, `\` or control character, so they print
    /// as JSON strings between quotes as they are.
    pub(crate) is_plain: bool,
}

/// Maximum capacity in bytes of a buffer that [`Event::into_buffers`] keeps, so one huge
/// event does not keep its memory for the events after it.
pub const MAX_KEPT_BUFFER_BYTES: usize = 64 * 1024;

/// The emptied buffers of a finished event's full log and fields, which the next event reuses.
#[derive(Debug, Default)]
pub struct EventBuffers {
    full_log: String,
    field_text: String,
    field_json: String,
    fields: Vec<FieldSpan>,
    data: String,
}

impl EventBuffers {
    /// Takes the buffer of the earlier event's full log, empty, for the text of the next one.
    pub fn take_full_log(&mut self) -> String {
        std::mem::take(&mut self.full_log)
    }
}

/// Room a trimmed buffer may keep beyond twice its use; see [`Event::trim_buffers`].
pub const TRIM_SLACK_BYTES: usize = 4096;

fn trim_text(text: &mut String) {
    if text.capacity() > 2 * text.len() + TRIM_SLACK_BYTES {
        text.shrink_to(2 * text.len());
    }
}

/// Returns `text` emptied, or a new string when its capacity is past
/// [`MAX_KEPT_BUFFER_BYTES`].
fn emptied_text(mut text: String) -> String {
    if text.capacity() > MAX_KEPT_BUFFER_BYTES {
        return String::new();
    }
    text.clear();
    text
}

/// The number of dynamic fields and the length of their text at one point of decoding, to
/// remove the fields added after it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldMark {
    fields: usize,
    text_len: usize,
    json_len: usize,
    dropped: usize,
}

/// An event during decoding and rule evaluation.
#[derive(Debug, Clone)]
pub struct Event {
    /// The message as received (`full_log`).
    pub full_log: String,
    /// Offset in `full_log` where the log starts, after any syslog header.
    log_start: usize,
    /// Location as written in alerts (`/var/log/packetbeat`, `stdin`), shared by the events
    /// of one stream.
    pub location: Arc<str>,
    /// Location as rules see it (`(agent) 10.0.0.5->/var/log/x` for agent events).
    pub full_location: Arc<str>,
    /// Agent id (`000` for local events).
    pub agent_id: String,
    /// Agent name for agent events, the manager's short host name for local events.
    pub hostname: String,
    /// Program name from a syslog header, if any.
    pub program_name: Option<String>,
    /// Timestamp text of a recognised header, if any.
    pub header_timestamp: Option<String>,
    /// Host name written in a syslog header, if any.
    pub header_hostname: Option<String>,
    /// Manager time when the event was received.
    pub time: DateTime<FixedOffset>,
    /// The decoder that matched, if any, shared with the decoder set.
    pub decoder: Option<Arc<DecoderInfo>>,
    statics: [Option<String>; 14],
    /// The dynamic fields as `alerts.log` lines, back to back, so a field costs no allocation
    /// and the record copies runs of lines at once.
    field_text: String,
    /// Compact JSON texts of dynamic field values, where the decoder stored one.
    field_json: String,
    fields: Vec<FieldSpan>,
    dropped_fields: usize,
    /// The dynamic members of the alert's `data` object, without braces, when the JSON
    /// decoder wrote them for exactly the current dynamic fields.
    data_members: Option<String>,
    /// An empty buffer from an earlier event, for the JSON decoder to write `data` into.
    spare_data: String,
    /// Whether the JSON decoder parsed the whole full log as one object in cJSON's compact
    /// layout.
    is_compact_object: bool,
    /// Whether the JSON decoder stops reading the whole full log at the first text outside
    /// cJSON's compact layout.
    stops_unless_compact: bool,
}

impl Event {
    /// Creates an undecoded event.
    pub fn new(full_log: String, location: Arc<str>, time: DateTime<FixedOffset>) -> Event {
        Event {
            full_log,
            log_start: 0,
            full_location: Arc::clone(&location),
            location,
            agent_id: "000".to_string(),
            hostname: String::new(),
            program_name: None,
            header_timestamp: None,
            header_hostname: None,
            time,
            decoder: None,
            statics: Default::default(),
            field_text: String::new(),
            field_json: String::new(),
            fields: Vec::new(),
            dropped_fields: 0,
            data_members: None,
            spare_data: String::new(),
            is_compact_object: false,
            stops_unless_compact: false,
        }
    }

    /// Creates an undecoded event like [`Event::new`] that stores its fields in the buffers
    /// of an earlier event, so decoding it allocates less.
    pub fn with_buffers(
        full_log: String,
        location: Arc<str>,
        time: DateTime<FixedOffset>,
        buffers: EventBuffers,
    ) -> Event {
        let mut event = Event::new(full_log, location, time);
        event.field_text = buffers.field_text;
        event.field_json = buffers.field_json;
        event.fields = buffers.fields;
        event.spare_data = buffers.data;
        event
    }

    /// Returns the buffers of the event's fields, emptied, for [`Event::with_buffers`].
    /// Buffers that grew past [`MAX_KEPT_BUFFER_BYTES`] are freed instead.
    pub fn into_buffers(self) -> EventBuffers {
        let data = self.data_members.unwrap_or(self.spare_data);
        EventBuffers {
            full_log: emptied_text(self.full_log),
            field_text: emptied_text(self.field_text),
            field_json: emptied_text(self.field_json),
            fields: if self.fields.capacity() * size_of::<FieldSpan>() > MAX_KEPT_BUFFER_BYTES {
                Vec::new()
            } else {
                let mut fields = self.fields;
                fields.clear();
                fields
            },
            data: emptied_text(data),
        }
    }

    /// Gives back the room of the full log and field buffers beyond twice their use plus
    /// [`TRIM_SLACK_BYTES`], for an event that correlation keeps: buffers taken over from a
    /// larger event would otherwise stay allocated with it.
    pub fn trim_buffers(&mut self) {
        trim_text(&mut self.full_log);
        trim_text(&mut self.field_text);
        trim_text(&mut self.field_json);
        if let Some(data) = &mut self.data_members {
            trim_text(data);
        }
        self.spare_data = String::new();
        let used = self.fields.len();
        if self.fields.capacity() > 2 * used + TRIM_SLACK_BYTES / size_of::<FieldSpan>() {
            self.fields.shrink_to(2 * used);
        }
    }

    /// Returns the bytes that the event's field buffers have room for.
    pub fn field_capacity(&self) -> usize {
        self.field_text.capacity()
            + self.field_json.capacity()
            + self.fields.capacity() * size_of::<FieldSpan>()
            + self.data_members.as_ref().map_or(0, String::capacity)
            + self.spare_data.capacity()
    }

    /// Takes the buffer for the JSON decoder's `data` members, empty.
    pub(crate) fn take_spare_data(&mut self) -> String {
        std::mem::take(&mut self.spare_data)
    }

    /// Gives back the buffer that [`Event::take_spare_data`] took, for a later decoder.
    pub(crate) fn put_spare_data(&mut self, data: String) {
        self.spare_data = data;
    }

    /// Returns the message after any syslog header: what `<match>` and `<regex>` see.
    pub fn log(&self) -> &str {
        &self.full_log[self.log_start..]
    }

    /// Offset in the full log where the log starts.
    pub fn log_start(&self) -> usize {
        self.log_start
    }

    /// Starts the log at byte `start` of the full log, after a header. An offset past the
    /// end or inside a character leaves the log unchanged.
    pub fn set_log_start(&mut self, start: usize) {
        if self.full_log.is_char_boundary(start) {
            self.log_start = start;
        }
    }

    /// Returns a static field value.
    pub fn static_field(&self, field: StaticField) -> Option<&str> {
        self.statics[field.index()].as_deref()
    }

    /// Sets a static field, replacing an earlier value.
    pub fn set_static(&mut self, field: StaticField, value: String) {
        self.statics[field.index()] = Some(value);
    }

    /// Adds a dynamic field; returns false (and counts the drop) past [`MAX_DYNAMIC_FIELDS`].
    pub fn push_field(&mut self, key: &str, value: &str) -> bool {
        self.push_field_with(key, "", false, |text| {
            text.push_str(value);
            true
        })
    }

    /// Adds a dynamic field whose value `render` appends to the given text, unless it returns
    /// false. `json` is the value's compact JSON text for the alert's `data`, or empty, and
    /// `is_plain` is [`DataField::is_plain`]. Returns whether a field was added; past
    /// [`MAX_DYNAMIC_FIELDS`] none is, and a rendered value counts as dropped.
    pub(crate) fn push_field_with(
        &mut self,
        key: &str,
        json: &str,
        is_plain: bool,
        render: impl FnOnce(&mut String) -> bool,
    ) -> bool {
        if self.fields.len() >= MAX_DYNAMIC_FIELDS {
            if render(&mut String::new()) {
                self.dropped_fields += 1;
            }
            return false;
        }
        let start = self.field_text.len();
        self.field_text.push_str(key);
        let name_end = self.field_text.len();
        self.field_text.push_str(": ");
        if !render(&mut self.field_text) {
            self.field_text.truncate(start);
            return false;
        }
        let value_end = self.field_text.len();
        self.field_text.push('\n');
        self.data_members = None;
        let json_start = self.field_json.len();
        if !json.is_empty() {
            self.field_json.push_str(json);
        }
        self.fields.push(FieldSpan {
            start,
            name_end,
            value_end,
            json_start,
            json_end: self.field_json.len(),
            is_plain,
        });
        true
    }

    /// Adds a dynamic field with the value `value`, like [`Event::push_field_with`] with a
    /// `render` that appends `value` and no JSON text.
    pub(crate) fn push_text_field(&mut self, key: &str, value: &str, is_plain: bool) -> bool {
        if self.fields.len() >= MAX_DYNAMIC_FIELDS {
            self.dropped_fields += 1;
            return false;
        }
        let start = self.field_text.len();
        self.field_text.reserve(key.len() + value.len() + 3);
        self.field_text.push_str(key);
        self.field_text.push_str(": ");
        self.field_text.push_str(value);
        let value_end = self.field_text.len();
        self.field_text.push('\n');
        if self.data_members.is_some() {
            self.data_members = None;
        }
        let json_start = self.field_json.len();
        self.fields.push(FieldSpan {
            start,
            name_end: start + key.len(),
            value_end,
            json_start,
            json_end: json_start,
            is_plain,
        });
        true
    }

    /// Takes out the field text, as bytes, and the field spans, for a decoder that writes
    /// them directly. [`Event::restore_fields`] puts them back. Also returns the length of
    /// the JSON text, where the spans of new fields without JSON text start and end. The
    /// `data` members stay: a decoder that adds fields sets new ones.
    pub(crate) fn take_fields(&mut self) -> (Vec<u8>, Vec<FieldSpan>, usize) {
        let text = std::mem::take(&mut self.field_text).into_bytes();
        (
            text,
            std::mem::take(&mut self.fields),
            self.field_json.len(),
        )
    }

    /// Puts back the field text and spans that [`Event::take_fields`] took out.
    pub(crate) fn restore_fields(&mut self, text: String, spans: Vec<FieldSpan>) {
        self.field_text = text;
        self.fields = spans;
    }

    /// Reserves room for about `bytes` more bytes of field names and values and `count` more
    /// fields, up to [`MAX_DYNAMIC_FIELDS`].
    pub(crate) fn reserve_fields(&mut self, bytes: usize, count: usize) {
        self.field_text.reserve(bytes);
        let room = MAX_DYNAMIC_FIELDS.saturating_sub(self.fields.len());
        self.fields.reserve(count.min(room));
    }

    /// Appends the `alerts.log` line `name: value` of each dynamic field whose value is not
    /// empty to `out`.
    pub(crate) fn write_field_lines(&self, out: &mut String) {
        out.reserve(self.field_text.len());
        // Lines are copied in runs up to the next field that is left out.
        let mut run_start = 0;
        for span in &self.fields {
            if span.value_end == span.name_end + 2 {
                out.push_str(&self.field_text[run_start..span.start]);
                run_start = span.value_end + 1;
            }
        }
        out.push_str(&self.field_text[run_start..]);
    }

    /// Returns the current end of the dynamic fields, for [`Event::truncate_fields`].
    pub(crate) fn field_mark(&self) -> FieldMark {
        FieldMark {
            fields: self.fields.len(),
            text_len: self.field_text.len(),
            json_len: self.field_json.len(),
            dropped: self.dropped_fields,
        }
    }

    /// Removes the dynamic fields added since `mark`, and the drops counted since then.
    pub(crate) fn truncate_fields(&mut self, mark: FieldMark) {
        if mark.fields < self.fields.len() {
            self.data_members = None;
        }
        self.fields.truncate(mark.fields);
        self.field_text.truncate(mark.text_len);
        self.field_json.truncate(mark.json_len);
        self.dropped_fields = mark.dropped;
    }

    /// Records that the JSON decoder parsed the whole full log as one object in cJSON's
    /// compact layout.
    pub(crate) fn set_compact_object(&mut self) {
        self.is_compact_object = true;
    }

    /// Makes the JSON decoder stop reading the whole full log at the first text outside
    /// cJSON's compact layout, for a caller that then decodes the encoded log instead.
    pub(crate) fn set_stops_unless_compact(&mut self) {
        self.stops_unless_compact = true;
    }

    /// Returns whether the JSON decoder stops reading the whole full log at the first text
    /// outside cJSON's compact layout.
    pub(crate) fn stops_unless_compact(&self) -> bool {
        self.stops_unless_compact
    }

    /// Returns whether the JSON decoder parsed the whole full log as one object exactly as
    /// cJSON's compact printer prints it, so printing the parsed object gives the full log
    /// again.
    pub fn is_compact_object(&self) -> bool {
        self.is_compact_object
    }

    /// Stores the dynamic members of `data` that the JSON decoder wrote for the current
    /// dynamic fields. Adding or removing a field drops them.
    pub(crate) fn set_data_members(&mut self, members: String) {
        self.data_members = Some(members);
    }

    /// Returns the dynamic members of `data`, without braces, when the JSON decoder wrote
    /// them for the current dynamic fields.
    pub(crate) fn data_members(&self) -> Option<&str> {
        self.data_members.as_deref()
    }

    /// Returns the dynamic field added last, as `data` needs it.
    pub(crate) fn last_data_field(&self) -> Option<DataField<'_>> {
        self.fields.last().map(|span| self.data_field(span))
    }

    /// Returns the first dynamic field whose name equals `name` ignoring ASCII case.
    pub fn field(&self, name: &str) -> Option<&str> {
        let text = self.field_text.as_bytes();
        // Rules look fields up for every event, so names of other lengths are passed over
        // without slicing them.
        let span = self.fields.iter().find(|span| {
            span.name_end - span.start == name.len()
                && text[span.start..span.name_end].eq_ignore_ascii_case(name.as_bytes())
        })?;
        Some(&self.field_text[span.name_end + 2..span.value_end])
    }

    /// Dynamic fields in decode order, as the alert's `data` object needs them.
    pub(crate) fn data_fields(&self) -> impl Iterator<Item = DataField<'_>> + '_ {
        self.fields.iter().map(|span| self.data_field(span))
    }

    fn data_field(&self, span: &FieldSpan) -> DataField<'_> {
        DataField {
            name: &self.field_text[span.start..span.name_end],
            value: &self.field_text[span.name_end + 2..span.value_end],
            json: &self.field_json[span.json_start..span.json_end],
            is_plain: span.is_plain,
        }
    }

    /// Dynamic fields (name and value) in decode order.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.fields.iter().map(|span| {
            (
                &self.field_text[span.start..span.name_end],
                &self.field_text[span.name_end + 2..span.value_end],
            )
        })
    }

    /// Number of dynamic fields dropped because of [`MAX_DYNAMIC_FIELDS`].
    pub fn dropped_fields(&self) -> usize {
        self.dropped_fields
    }

    /// Looks a name up the way rule options with a field name do: static names first (as
    /// spelled in decoders and alerts), then the pre-decoded `hostname`/`program_name`/
    /// `location`, then dynamic fields.
    pub fn lookup(&self, name: &str) -> Option<&str> {
        if let Some(field) = StaticField::from_decoder_name(name) {
            if name == "user" {
                return self
                    .static_field(StaticField::DstUser)
                    .or_else(|| self.static_field(StaticField::SrcUser));
            }
            return self.static_field(field);
        }
        match name {
            "hostname" => Some(self.hostname.as_str()),
            "program_name" => self.program_name.as_deref(),
            "location" => Some(&self.full_location),
            _ => self.field(name),
        }
    }

    /// Describes everything decoding stores, for comparing two decoders: static fields,
    /// dynamic fields with their JSON text and plainness, drops, and the `data` members.
    pub(crate) fn decoded_summary(&self) -> String {
        let statics: Vec<_> = StaticField::ALL
            .iter()
            .filter_map(|field| Some((field.alert_name(), self.static_field(*field)?)))
            .collect();
        let fields: Vec<_> = self
            .data_fields()
            .map(|field| (field.name, field.value, field.json, field.is_plain))
            .collect();
        format!(
            "statics {statics:?}\nfields {fields:?}\ndropped {}\ndata {:?}",
            self.dropped_fields, self.data_members
        )
    }

    /// The `user` of rule options: `dstuser`, else `srcuser`.
    pub fn user(&self) -> Option<&str> {
        self.lookup("user")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        let time = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
        Event::new("{}".into(), "stdin".into(), time)
    }

    #[test]
    fn field_lookup_ignores_case() {
        let mut event = event();
        event.push_field("Dns.Question.Name", "a");
        event.push_field("dns.question.name", "b");
        assert_eq!(event.field("DNS.QUESTION.NAME"), Some("a"));
    }

    #[test]
    fn field_cap_counts_drops() {
        let mut event = event();
        for index in 0..MAX_DYNAMIC_FIELDS + 3 {
            event.push_field(&format!("f{index}"), "v");
        }
        assert_eq!(event.fields().len(), MAX_DYNAMIC_FIELDS);
        assert_eq!(event.dropped_fields(), 3);
    }

    #[test]
    fn field_lines_skip_empty_values() {
        let mut event = event();
        event.push_field("a", "1");
        event.push_field("empty", "");
        event.push_field("b.c", "x: y");
        event.push_field("last", "");
        let mut lines = String::from("start\n");
        event.write_field_lines(&mut lines);
        assert_eq!(lines, "start\na: 1\nb.c: x: y\n");
        let fields: Vec<(&str, &str)> = event.fields().collect();
        assert_eq!(
            fields,
            vec![("a", "1"), ("empty", ""), ("b.c", "x: y"), ("last", "")]
        );
    }

    #[test]
    fn alert_names_match_ignoring_case() {
        for field in StaticField::ALL {
            let name = field.alert_name();
            assert!(
                StaticField::is_alert_name_ignoring_case(name.as_bytes()),
                "{name}"
            );
            let upper = name.to_ascii_uppercase();
            assert!(
                StaticField::is_alert_name_ignoring_case(upper.as_bytes()),
                "{upper}"
            );
        }
        for name in [
            "",
            "user",
            "systemname",
            "srcips",
            "i",
            "extra-data",
            "url ",
        ] {
            assert!(
                !StaticField::is_alert_name_ignoring_case(name.as_bytes()),
                "{name}"
            );
        }
    }

    #[test]
    fn user_prefers_dstuser() {
        let mut event = event();
        event.set_static(StaticField::SrcUser, "src".into());
        assert_eq!(event.user(), Some("src"));
        event.set_static(StaticField::DstUser, "dst".into());
        assert_eq!(event.user(), Some("dst"));
    }
}
