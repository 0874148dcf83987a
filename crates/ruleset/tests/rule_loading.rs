//! Rule file loading: options, errors with file, line and rule id,
//! overwrite, and hostile input.

use dnstel_ruleset::{LoadErrorKind, Ruleset};

const JSON_DECODER: &str = r#"<decoder name="json">
  <prematch>^{\s*"</prematch>
  <plugin_decoder>JSON_Decoder</plugin_decoder>
</decoder>"#;

fn load(rules: &str) -> Ruleset {
    let mut set = Ruleset::default();
    set.add_decoder_text("decoders/json.xml", JSON_DECODER.as_bytes());
    set.add_list_text("etc/lists/bad-domains", "evil.example:malware\n");
    set.add_rule_text("rules/test.xml", rules.as_bytes());
    set
}

#[test]
fn seed_rule_loads() {
    let set = load(
        r#"<group name="linux,packetbeat,dns">
    <rule id="200300" level="3">
        <decoded_as>json</decoded_as>
        <field name="method">QUERY</field>
        <mitre>
          <id>T1071</id>
        </mitre>
        <description>Linux: DNS Query</description>
        <options>no_full_log</options>
    </rule>
</group>"#,
    );
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let rule = &set.rules[0];
    assert_eq!(rule.id, 200300);
    assert_eq!(rule.level, 3);
    assert_eq!(rule.groups, ["linux", "packetbeat", "dns"]);
    assert_eq!(rule.mitre.ids, ["T1071"]);
    assert!(rule.options.no_full_log);
    assert_eq!(rule.fields[0].name, "method");
    assert!(rule.fields[0].matcher.test("query"));
    assert_eq!(rule.source.line, 2);
}

#[test]
fn options_are_typed() {
    let set = load(
        r#"<var name="FREQ">6</var>
<group name="a,">
  <rule id="100" level="0" noalert="1"><description>root</description></rule>
  <rule id="101" level="10" frequency="$FREQ" timeframe="120" ignore="60" maxsize="10">
    <if_matched_sid>100</if_matched_sid>
    <same_source_ip />
    <different_url />
    <same_field>dns.question.name</same_field>
    <match>foo|bar</match>
    <match>baz</match>
    <action>drop</action>
    <srcip>!10.0.0.0/8</srcip>
    <list field="dns.question.name" lookup="match_key">etc/lists/bad-domains</list>
    <time>6 pm - 8:30 am</time>
    <weekday>weekends</weekday>
    <check_diff />
    <group>b,pci_dss_1.2,</group>
    <description>dns $(dns.question.name)</description>
  </rule>
</group>"#,
    );
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let rule = &set.rules[1];
    assert_eq!(rule.frequency, Some(6));
    assert_eq!(rule.if_sid, [100]);
    assert_eq!(rule.if_matched_sid, Some(100));
    assert_eq!(rule.same.len(), 1);
    assert_eq!(rule.different.len(), 1);
    assert_eq!(rule.same_fields, ["dns.question.name"]);
    let matcher = rule.match_log.as_ref().expect("match loaded");
    assert_eq!(matcher.pattern.source(), "foo|barbaz");
    assert!(rule.action.as_ref().expect("action").test("drop"));
    assert!(!rule.action.as_ref().expect("action").test("DROP"));
    assert!(rule.srcip.as_ref().expect("srcip").matches("8.8.8.8"));
    assert!(rule.lists[0].matches("evil.example"));
    assert!(rule.time.is_some());
    assert!(rule.weekday.is_some());
    assert!(rule.check_diff);
    assert_eq!(rule.unevaluated, ["check_diff"]);
    assert_eq!(rule.groups, ["a", "b", "pci_dss_1.2"]);
    assert_eq!(rule.description, "dns $(dns.question.name)");
    assert!(set.rules[0].noalert);
}

#[test]
fn if_sid_commas_and_spaces() {
    let set = load(
        r#"<group name="g"><rule id="5" level="1"><if_sid>1, 2 3,4</if_sid><description>d</description></rule></group>"#,
    );
    assert_eq!(set.rules[0].if_sid, [1, 2, 3, 4]);
}

#[test]
fn unknown_option_names_file_line_rule() {
    let set =
        load("<group name=\"g\">\n<rule id=\"1234\" level=\"3\">\n<foo>x</foo>\n</rule>\n</group>");
    assert_eq!(set.errors.len(), 1);
    assert_eq!(
        set.errors[0].to_string(),
        "rules/test.xml:3: rule 1234: unknown option <foo>"
    );
    assert!(set.rules.is_empty());
}

#[test]
fn oversized_number_reports_range() {
    let set = load(
        r#"<group name="g">
<rule id="1" level="3" frequency="99999999999"><if_matched_sid>2</if_matched_sid><description>d</description></rule>
<rule id="3" level="3" frequency="x"><if_matched_sid>2</if_matched_sid><description>d</description></rule>
</group>"#,
    );
    assert_eq!(set.errors.len(), 2, "{:?}", set.errors);
    assert_eq!(
        set.errors[0].to_string(),
        "rules/test.xml:2: rule 1: invalid value \"99999999999\" for frequency: must be 2 to 9999"
    );
    assert_eq!(
        set.errors[1].to_string(),
        "rules/test.xml:3: rule 3: invalid value \"x\" for frequency: not a number"
    );
}

#[test]
fn bad_rule_does_not_stop_others() {
    let set = load(
        r#"<group name="g">
<rule id="1" level="17"><description>too high</description></rule>
<rule id="2" level="3"><regex>(unclosed</regex><description>bad regex</description></rule>
<rule id="3" level="3"><decoded_as>nope</decoded_as><description>d</description></rule>
<rule id="4" level="3"><description>fine</description></rule>
</group>"#,
    );
    assert_eq!(set.errors.len(), 3, "{:?}", set.errors);
    assert_eq!(set.rules.len(), 1);
    assert_eq!(set.rules[0].id, 4);
    assert!(matches!(
        set.errors[2].kind,
        LoadErrorKind::DecoderNotFound(_)
    ));
}

#[test]
fn overwrite_keeps_position_and_parents() {
    let set = load(
        r#"<group name="g">
<rule id="10" level="3"><if_sid>1</if_sid><description>old</description></rule>
<rule id="11" level="3"><description>next</description></rule>
<rule id="10" level="7" overwrite="yes"><if_sid>2</if_sid><description>new</description></rule>
<rule id="11" level="9"><description>duplicate</description></rule>
</group>"#,
    );
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    assert_eq!(set.rules.len(), 2);
    assert_eq!(set.rules[0].description, "new");
    assert_eq!(set.rules[0].level, 7);
    assert_eq!(set.rules[0].if_sid, [1]);
    assert_eq!(set.rules[1].description, "next");
    assert_eq!(set.warnings.len(), 1);
}

#[test]
fn fallback_rule_replaced_silently() {
    let mut fallback = Ruleset::default();
    fallback.add_decoder_text("decoders/json.xml", JSON_DECODER.as_bytes());
    fallback.add_fallback_rule_text(
        "builtin/roots.xml",
        br#"<group name="roots,">
<rule id="1" level="0"><description>built-in root</description></rule>
<rule id="2" level="0"><description>built-in other</description></rule>
</group>"#,
    );
    fallback.add_rule_text(
        "rules/user.xml",
        br#"<group name="user,">
<rule id="1" level="0"><description>user root</description></rule>
<rule id="100" level="3"><if_sid>1</if_sid><description>user rule</description></rule>
<rule id="1" level="0"><description>user root again</description></rule>
</group>"#,
    );
    assert!(fallback.errors.is_empty(), "{:?}", fallback.errors);
    let descriptions: Vec<&str> = fallback
        .rules
        .iter()
        .map(|rule| rule.description.as_str())
        .collect();
    assert_eq!(
        descriptions,
        ["user root", "built-in other", "user rule"],
        "the user's rule 1 takes the fallback's place, and rule 2 stays"
    );
    assert_eq!(fallback.warnings.len(), 1, "{:?}", fallback.warnings);
    assert_eq!(fallback.warnings[0].rule_id, Some(1));
    assert_eq!(fallback.warnings[0].location.file, "rules/user.xml");
}

#[test]
fn fallback_overwrite_keeps_placement() {
    let mut set = Ruleset::default();
    set.add_fallback_rule_text(
        "builtin/roots.xml",
        br#"<group name="g"><rule id="5" level="0"><if_sid>1</if_sid><description>built-in</description></rule></group>"#,
    );
    set.add_rule_text(
        "rules/user.xml",
        br#"<group name="g">
<rule id="5" level="4" overwrite="yes"><if_sid>2</if_sid><description>user</description></rule>
<rule id="5" level="6"><description>duplicate</description></rule>
</group>"#,
    );
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    assert_eq!(set.rules.len(), 1);
    assert_eq!(set.rules[0].description, "user");
    assert_eq!(set.rules[0].if_sid, [1]);
    assert_eq!(set.warnings.len(), 1, "{:?}", set.warnings);
}

#[test]
fn hostile_xml_reports_line() {
    let cases: Vec<(Vec<u8>, u32)> = vec![
        (
            b"<group name=\"g\">\n<rule id=\"1\" level=\"3\">\n<match>x".to_vec(),
            2,
        ),
        (
            b"\n<group name=\"g\"><rule id=\"1\" level=\"3\"></group>".to_vec(),
            2,
        ),
        (b"<group name=\"g\">\n\x00\xff\xfe<\x01\x02>".to_vec(), 2),
    ];
    for (input, line) in cases {
        let mut set = Ruleset::default();
        set.add_rule_text("rules/bad.xml", &input);
        assert_eq!(set.errors.len(), 1, "{:?}", set.errors);
        assert_eq!(set.errors[0].location.file, "rules/bad.xml");
        assert!(set.errors[0].location.line >= line, "{:?}", set.errors[0]);
    }
}

#[test]
fn huge_attribute_rejected() {
    let mut input = b"<group name=\"".to_vec();
    input.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    input.extend_from_slice(b"\"></group>");
    let mut set = Ruleset::default();
    set.add_rule_text("rules/huge.xml", &input);
    assert_eq!(set.errors.len(), 1);
    assert_eq!(set.errors[0].location.line, 1);
}

#[test]
fn deep_nesting_rejected() {
    let mut input = String::new();
    for _ in 0..5000 {
        input.push_str("<group name=\"g\">");
    }
    let mut set = Ruleset::default();
    set.add_rule_text("rules/deep.xml", input.as_bytes());
    assert_eq!(set.errors.len(), 1);
    assert!(set.errors[0].to_string().contains("nested deeper"));
}

#[test]
fn attribute_quirks_follow_wazuh() {
    let set = load(
        r#"<group name="g">
<rule id="1" level="3" maxsize="65535" noalert="0"><description>d</description></rule>
<rule id="2" level="3" noalert="1" accuracy="0"><description>d</description></rule>
<rule id="3" level="3" frequency="2"><description>no context needed</description></rule>
</group>"#,
    );
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    assert_eq!(set.rules[0].maxsize, Some(6553));
    assert!(!set.rules[0].noalert);
    assert!(set.rules[1].noalert);
    assert!(set.rules[1].accuracy_zero);
    assert_eq!(set.rules[2].frequency, Some(2));
}

#[test]
fn context_and_description_required() {
    let set = load(
        r#"<group name="g">
<rule id="1" level="3"></rule>
<rule id="2" level="3" frequency="4"><description>d</description></rule>
<rule id="3" level="3"><same_source_ip /><description>d</description></rule>
<rule id="4" level="3"><check_diff /><same_source_ip /><description>d</description></rule>
</group>"#,
    );
    assert_eq!(set.errors.len(), 3, "{:?}", set.errors);
    assert_eq!(set.errors[0].rule_id, Some(1));
    assert_eq!(set.errors[1].rule_id, Some(2));
    assert_eq!(set.errors[2].rule_id, Some(3));
    assert_eq!(set.rules.len(), 1);
    assert_eq!(set.rules[0].id, 4);
}

#[test]
fn decoder_options_are_typed() {
    let mut set = Ruleset::default();
    set.add_decoder_text(
        "decoders/t.xml",
        br#"<decoder name="sshd">
  <program_name>^sshd</program_name>
</decoder>
<decoder name="sshd-user">
  <parent>sshd</parent>
  <prematch offset="after_parent">^Accepted </prematch>
  <regex offset="after_prematch">^(\S+) for (\S+)</regex>
  <order>method, user</order>
  <use_own_name>true</use_own_name>
</decoder>
<decoder name="json-x">
  <prematch>^{</prematch>
  <plugin_decoder offset="after_parent">JSON_Decoder</plugin_decoder>
  <json_null_field>discard</json_null_field>
  <json_array_structure>csv</json_array_structure>
</decoder>"#,
    );
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let child = &set.decoders[1];
    assert_eq!(child.parent.as_deref(), Some("sshd"));
    assert_eq!(child.order, ["method", "user"]);
    assert_eq!(child.reported_name(), "sshd-user");
    let text = "password for root from";
    let regex = child.regex.as_ref().expect("regex loaded");
    let span = dnstel_ruleset::Matcher::find(&regex.pattern, text).expect("matches");
    assert_eq!(span.group(text, 0).as_deref(), Some("password"));
    assert_eq!(span.group(text, 1).as_deref(), Some("root"));
    let json = &set.decoders[2];
    assert_eq!(json.json_null_field, dnstel_ruleset::JsonNullField::Discard);
    assert_eq!(
        json.json_array_structure,
        dnstel_ruleset::JsonArrayStructure::Csv
    );
    assert!(json.plugin.is_some());
}

#[test]
fn decoder_errors_name_decoder() {
    let mut set = Ruleset::default();
    set.add_decoder_text(
        "decoders/t.xml",
        b"<decoder name=\"d\">\n<type>nonsense</type>\n</decoder>\n<decoder name=\"ok\"><prematch>x</prematch></decoder>",
    );
    assert_eq!(set.errors.len(), 1);
    assert_eq!(
        set.errors[0].to_string(),
        "decoders/t.xml:2: decoder d: invalid value \"nonsense\" for type: unknown decoder type"
    );
    assert_eq!(set.decoders.len(), 1);
}
