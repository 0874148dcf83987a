//! Printing of an [`Alert`] as Wazuh's `alerts.json` line, straight into a text buffer: the
//! members, their order and the number format follow what cJSON prints for the alert object
//! Wazuh builds.

use crate::alert::{split_groups, Alert};
use crate::data::write_data;
use crate::event::Event;
use crate::json::{format_cjson_number, write_string, JsonValue};

/// Prints the members of one JSON object and the commas between them.
struct ObjectPrinter<'o> {
    out: &'o mut String,
    count: usize,
}

impl<'o> ObjectPrinter<'o> {
    fn open(out: &'o mut String) -> ObjectPrinter<'o> {
        out.push('{');
        ObjectPrinter { out, count: 0 }
    }

    /// Writes the key of the next member and returns the buffer for its value.
    fn key(&mut self, name: &str) -> &mut String {
        if self.count > 0 {
            self.out.push(',');
        }
        self.count += 1;
        write_string(self.out, name);
        self.out.push(':');
        self.out
    }

    fn string(&mut self, name: &str, value: &str) {
        write_string(self.key(name), value);
    }

    fn number(&mut self, name: &str, value: f64) {
        let text = format_cjson_number(value);
        self.key(name).push_str(&text);
    }

    fn value(&mut self, name: &str, value: &JsonValue) {
        value.write(self.key(name), None);
    }

    /// Writes the member `name` when `write_value` appends a value and returns true.
    fn optional(&mut self, name: &str, write_value: impl FnOnce(&mut String) -> bool) {
        let mark = self.out.len();
        let count = self.count;
        if !write_value(self.key(name)) {
            self.out.truncate(mark);
            self.count = count;
        }
    }

    fn close(self) {
        self.out.push('}');
    }
}

impl Alert {
    /// Appends the `alerts.json` object to `out`. The `id` member is left out when
    /// `alert_id` is `None`, as `wazuh-logtest` shows alerts below the alert level.
    pub fn write_json(&self, alert_id: Option<&str>, out: &mut String) {
        self.write_json_at(&self.timestamp_text(), alert_id, out);
    }

    /// Appends the `alerts.json` object to `out` like [`Alert::write_json`], with `timestamp`
    /// as the already formatted [`Alert::timestamp_text`].
    pub(crate) fn write_json_at(&self, timestamp: &str, alert_id: Option<&str>, out: &mut String) {
        let event = &self.event;
        let mut root = ObjectPrinter::open(out);
        root.string("timestamp", timestamp);
        self.write_rule(root.key("rule"));
        self.write_agent(root.key("agent"));
        let mut manager = ObjectPrinter::open(root.key("manager"));
        manager.string("name", &self.manager_name);
        manager.close();
        if let Some(alert_id) = alert_id {
            root.string("id", alert_id);
        }
        if self.previous_output.len() >= 2 {
            root.string("previous_output", &self.previous_output.join("\n"));
        }
        if !self.rule.no_full_log {
            root.string("full_log", &event.full_log);
        }
        write_predecoder(&mut root, event);
        write_decoder(&mut root, event);
        root.optional("data", |out| write_data(event, out));
        root.string("location", &event.location);
        root.close();
    }

    fn write_rule(&self, out: &mut String) {
        let rule = &self.rule;
        let mut members = ObjectPrinter::open(out);
        if rule.level > 0 {
            members.number("level", f64::from(rule.level));
        }
        members.string("description", &rule.description);
        members.string("id", &rule.id.to_string());
        if let Some(mitre) = &rule.mitre {
            members.value("mitre", mitre);
        }
        if let Some(cve) = &rule.cve {
            members.string("cve", cve);
        }
        if let Some(info) = &rule.info {
            members.string("info", info);
        }
        if let Some(frequency) = rule.frequency {
            members.number("frequency", f64::from(frequency));
        }
        if let Some(firedtimes) = rule.firedtimes {
            // Counters stay far below 2^53, so the conversion is exact.
            members.number("firedtimes", firedtimes as f64);
        }
        members
            .key("mail")
            .push_str(if rule.mail { "true" } else { "false" });
        for (name, value) in split_groups(&rule.group_string) {
            members.value(&name, &value);
        }
        members.close();
    }

    fn write_agent(&self, out: &mut String) {
        let agent = &self.agent;
        let mut members = ObjectPrinter::open(out);
        members.string("id", &agent.id);
        if let Some(name) = &agent.name {
            members.string("name", name);
        }
        if let Some(ip) = agent.ip.as_ref().filter(|ip| *ip != "any") {
            members.string("ip", ip);
        }
        let mut labels = Vec::new();
        for (key, value) in &agent.labels {
            if !key.starts_with('_') {
                crate::data::add_field(&mut labels, key, value);
            }
        }
        if !labels.is_empty() {
            members.value("labels", &JsonValue::Object(labels));
        }
        members.close();
    }
}

fn write_predecoder(root: &mut ObjectPrinter<'_>, event: &Event) {
    let fields = [
        ("program_name", &event.program_name),
        ("timestamp", &event.header_timestamp),
        ("hostname", &event.header_hostname),
    ];
    if fields.iter().all(|(_, value)| value.is_none()) {
        return;
    }
    let mut members = ObjectPrinter::open(root.key("predecoder"));
    for (name, value) in fields {
        if let Some(value) = value {
            members.string(name, value);
        }
    }
    members.close();
}

fn write_decoder(root: &mut ObjectPrinter<'_>, event: &Event) {
    let Some(decoder) = &event.decoder else {
        return;
    };
    let mut members = ObjectPrinter::open(root.key("decoder"));
    if decoder.accumulate {
        members.number("accumulate", 1.0);
    }
    if let Some(parent) = &decoder.parent {
        members.string("parent", parent);
    }
    members.string("name", &decoder.name);
    if let Some(comment) = &decoder.fts_comment {
        members.string("ftscomment", comment);
    }
    members.close();
}
