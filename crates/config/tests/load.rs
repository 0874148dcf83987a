//! Loading whole configuration files: the stock packetbeat.yml, every implemented option,
//! not-applied options, and the errors for unknown keys and wrong types.

use std::path::{Path, PathBuf};
use std::time::Duration;

use dnstel_config::{
    AddCloudMetadataConfig, AddDockerMetadataConfig, AddHostMetadataConfig, CaptureType, Condition,
    Config, ConfigError, DropFieldsConfig, FieldValue, FileOutputConfig, JsonCodecConfig, LogLevel,
    OutputConfig, ProcessorConfig, RangeBounds,
};

/// Returns the path of the stock Packetbeat 7.17 packetbeat.yml beside the repository checkout.
fn stock_packetbeat_yml() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seed/packetbeat.yml")
}

fn test_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_yaml_with_env(text, "test.yml", &|_| None)
}

fn file_output(config: &Config) -> &FileOutputConfig {
    match &config.output {
        OutputConfig::File(file) => file,
        other => panic!("expected the file output, got {other:?}"),
    }
}

#[test]
fn stock_file_loads() {
    let config = Config::load(&stock_packetbeat_yml()).expect("stock packetbeat.yml loads");
    assert_eq!(config.interfaces.device, "any");
    assert_eq!(config.interfaces.internal_networks, ["private"]);
    assert_eq!(config.interfaces.capture_type, CaptureType::Pcap);
    assert!(!config.ignore_outgoing);
    let dns = config.dns.as_ref().expect("stock file has a dns entry");
    assert!(dns.enabled);
    assert_eq!(dns.ports, [53]);
    assert_eq!(dns.transaction_timeout, Duration::from_secs(10));
    assert!(!dns.include_authorities);
    assert!(!dns.send_request);
    let file = file_output(&config);
    assert_eq!(file.path, PathBuf::from("/var/log/"));
    assert_eq!(file.filename, "packetbeat");
    assert_eq!(file.rotate_every_kb, 10240);
    assert_eq!(file.number_of_files, 7);
    assert_eq!(file.permissions, 0o600);
    assert!(file.rotate_on_startup);
    assert_eq!(file.codec, JsonCodecConfig::default());
    assert_eq!(config.general.name, None);
    assert!(config.general.tags.is_empty());
    assert_eq!(config.logging.level, LogLevel::Info);
}

#[test]
fn stock_file_processors() {
    let config = Config::load(&stock_packetbeat_yml()).expect("stock packetbeat.yml loads");
    let expected = vec![
        ProcessorConfig::IfThenElse {
            condition: Condition::Contains(vec![("tags".into(), "forwarded".into())]),
            then: vec![ProcessorConfig::DropFields(DropFieldsConfig {
                fields: vec!["host".into()],
                ignore_missing: false,
                when: None,
            })],
            otherwise: vec![ProcessorConfig::AddHostMetadata(AddHostMetadataConfig {
                netinfo_enabled: true,
                cache_ttl: Duration::from_secs(300),
                replace_fields: true,
                name: None,
                when: None,
            })],
        },
        ProcessorConfig::AddCloudMetadata(AddCloudMetadataConfig {
            timeout: Duration::from_secs(3),
            providers: vec![],
            overwrite: false,
            when: None,
        }),
        ProcessorConfig::AddDockerMetadata(AddDockerMetadataConfig {
            host: "unix:///var/run/docker.sock".into(),
            match_fields: vec![],
            match_pids: vec!["process.pid".into(), "process.ppid".into()],
            match_source: true,
            when: None,
        }),
    ];
    assert_eq!(config.processors, expected);
}

#[test]
fn stock_file_not_applied() {
    let config = Config::load(&stock_packetbeat_yml()).expect("stock packetbeat.yml loads");
    let mut expected: Vec<String> = vec![
        "packetbeat.flows.timeout".into(),
        "packetbeat.flows.enabled".into(),
        "packetbeat.flows.period".into(),
    ];
    let types = [
        "icmp",
        "amqp",
        "cassandra",
        "dhcpv4",
        "dns",
        "http",
        "memcache",
        "mysql",
        "pgsql",
        "redis",
        "thrift",
        "mongodb",
        "nfs",
        "tls",
        "sip",
    ];
    for (index, kind) in types.iter().enumerate() {
        if *kind != "dns" {
            expected.push(format!("packetbeat.protocols.{index} (type: {kind})"));
        }
    }
    expected.extend([
        "setup.template.settings.index.number_of_shards".into(),
        "setup.kibana".into(),
        "processors.3.detect_mime_type".into(),
        "processors.4.detect_mime_type".into(),
    ]);
    let mut actual = config.not_applied.clone();
    actual.sort();
    expected.sort();
    assert_eq!(actual, expected);
}

#[test]
fn builtin_equals_stock_file() {
    let stock = Config::load(&stock_packetbeat_yml()).expect("stock packetbeat.yml loads");
    assert_eq!(Config::builtin(), stock);
}

#[test]
fn full_file_every_option() {
    let lookup = |_: &str| None;
    let text = std::fs::read_to_string(test_data("full.yml")).expect("fixture exists");
    let config = Config::from_yaml_with_env(&text, "full.yml", &lookup).expect("fixture loads");

    assert_eq!(config.general.name.as_deref(), Some("sensor-01"));
    assert_eq!(config.general.tags, ["dns", "edge"]);
    let expected_fields = vec![
        ("env".to_owned(), FieldValue::String("staging".into())),
        (
            "site".to_owned(),
            FieldValue::Map(vec![("rack".into(), FieldValue::Int(7))]),
        ),
        ("owner".to_owned(), FieldValue::String("0042".into())),
    ];
    assert_eq!(config.general.fields, expected_fields);
    assert!(config.general.fields_under_root);

    let interfaces = &config.interfaces;
    assert_eq!(interfaces.device, "eth0");
    assert_eq!(interfaces.capture_type, CaptureType::AfPacket);
    assert_eq!(interfaces.snaplen, 1514);
    assert_eq!(interfaces.buffer_size_mb, 64);
    assert_eq!(
        interfaces.bpf_filter.as_deref(),
        Some("udp port 53 or tcp port 53")
    );
    assert_eq!(
        interfaces.internal_networks,
        ["private", "100.64.0.0/10", "fd00::/8"]
    );
    assert!(config.ignore_outgoing);

    let dns = config.dns.as_ref().expect("dns entry");
    assert_eq!(dns.ports, [53, 5353]);
    assert!(dns.include_authorities);
    assert!(dns.include_additionals);
    assert!(dns.send_request);
    assert!(dns.send_response);
    assert_eq!(dns.transaction_timeout, Duration::from_secs(90));
    assert_eq!(dns.general.tags, ["resolver"]);
    assert_eq!(
        dns.general.fields,
        [("zone".to_owned(), FieldValue::String("internal".into()))]
    );
    assert_eq!(
        dns.processors,
        [ProcessorConfig::DropFields(DropFieldsConfig {
            fields: vec!["dns.answers".into()],
            ignore_missing: true,
            when: Some(Condition::Equals(vec![(
                "dns.response_code".into(),
                FieldValue::String("NXDOMAIN".into())
            )])),
        })]
    );

    let file = file_output(&config);
    assert_eq!(file.path, PathBuf::from("/tmp/dnstel"));
    assert_eq!(file.filename, "dns-events");
    assert_eq!(file.rotate_every_kb, 2048);
    assert_eq!(file.number_of_files, 3);
    assert_eq!(file.permissions, 0o640);
    assert!(!file.rotate_on_startup);
    assert!(file.codec.pretty);
    assert!(file.codec.escape_html);

    assert_eq!(config.paths.home, Some(PathBuf::from("/opt/dnstel")));
    assert_eq!(config.paths.data, Some(PathBuf::from("/var/lib/dnstel")));
    assert_eq!(config.paths.logs, Some(PathBuf::from("/var/log/dnstel")));
    assert_eq!(config.paths.config, Some(PathBuf::from("/etc/dnstel")));
    assert_eq!(config.logging.level, LogLevel::Debug);
    assert!(config.logging.to_stderr);
    assert!(!config.logging.to_files);
    assert_eq!(config.logging.selectors, ["*"]);
    assert!(config.not_applied.is_empty(), "{:?}", config.not_applied);
}

#[test]
fn full_file_processors() {
    let text = std::fs::read_to_string(test_data("full.yml")).expect("fixture exists");
    let config = Config::from_yaml_with_env(&text, "full.yml", &|_| None).expect("fixture loads");
    assert_eq!(config.processors.len(), 4);
    assert_eq!(
        config.processors[0],
        ProcessorConfig::AddHostMetadata(AddHostMetadataConfig {
            netinfo_enabled: false,
            cache_ttl: Duration::from_secs(600),
            replace_fields: false,
            name: Some("edge-host".into()),
            when: None,
        })
    );
    assert_eq!(
        config.processors[1],
        ProcessorConfig::AddCloudMetadata(AddCloudMetadataConfig {
            timeout: Duration::from_millis(500),
            providers: vec!["aws".into(), "gcp".into()],
            overwrite: true,
            when: None,
        })
    );
    let ProcessorConfig::AddDockerMetadata(docker) = &config.processors[2] else {
        panic!("third processor is add_docker_metadata");
    };
    assert_eq!(docker.host, "unix:///run/docker.sock");
    assert!(!docker.match_source);
    let ProcessorConfig::DropFields(drop) = &config.processors[3] else {
        panic!("fourth processor is drop_fields");
    };
    let expected = Condition::Or(vec![
        Condition::Network(vec![(
            "source.ip".into(),
            vec!["loopback".into(), "192.0.2.0/24".into()],
        )]),
        Condition::Not(Box::new(Condition::HasFields(vec![
            "dns.question.name".into()
        ]))),
        Condition::Range(vec![(
            "dns.answers_count".into(),
            RangeBounds {
                gte: Some(10.0),
                ..RangeBounds::default()
            },
        )]),
        Condition::Regexp(vec![("dns.question.name".into(), "^xn--".into())]),
    ]);
    assert_eq!(drop.when.as_ref(), Some(&expected));
}

#[test]
fn environment_variable_sets_path() {
    let text = std::fs::read_to_string(test_data("full.yml")).expect("fixture exists");
    let lookup = |name: &str| (name == "DNSTEL_TEST_OUTPUT_DIR").then(|| "/data/out".to_owned());
    let config = Config::from_yaml_with_env(&text, "full.yml", &lookup).expect("fixture loads");
    assert_eq!(file_output(&config).path, PathBuf::from("/data/out"));
}

#[test]
fn unimplemented_keys_listed() {
    let text = "\
packetbeat.interfaces.with_vlans: true
packetbeat.procs.enabled: false
packetbeat.protocols.http.ports: [80]
packetbeat.protocols.dns.ports: [53]
packetbeat.protocols.dns.index: dns-index
output.elasticsearch.hosts: [\"localhost:9200\"]
output.file:
  path: /tmp/x
  suffix: date
  codec.json.local_time: true
processors:
  - rate_limit: {limit: 10/m}
  - add_host_metadata:
      geo.name: lab
logging.metrics.enabled: false
monitoring.enabled: false
queue.mem.events: 4096
setup.ilm.enabled: false
";
    let config = load(text).expect("valid");
    let expected = [
        "packetbeat.interfaces.with_vlans",
        "packetbeat.protocols.http",
        "packetbeat.protocols.dns.index",
        "packetbeat.procs.enabled",
        "output.file.codec.json.local_time",
        "output.file.suffix",
        "output.elasticsearch.hosts",
        "processors.0.rate_limit",
        "processors.1.add_host_metadata.geo.name",
        "logging.metrics.enabled",
        "monitoring.enabled",
        "queue.mem.events",
        "setup.ilm.enabled",
    ];
    let mut actual = config.not_applied.clone();
    actual.sort();
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(actual, expected);
    assert_eq!(config.dns.expect("dns entry").ports, [53]);
}

#[test]
fn typo_key_names_line() {
    let text = "output.file:\n  path: /tmp/x\n  rotate_evry_kb: 10\n";
    let error = load(text).expect_err("typo is rejected");
    let ConfigError::UnknownKey {
        key,
        file,
        line,
        hint,
    } = &error
    else {
        panic!("expected an unknown key error, got {error:?}");
    };
    assert_eq!(key, "output.file.rotate_evry_kb");
    assert_eq!(file, "test.yml");
    assert_eq!(*line, 3);
    assert_eq!(hint.as_deref(), Some("did you mean rotate_every_kb?"));
    assert_eq!(
        error.to_string(),
        "test.yml:3: unknown key output.file.rotate_evry_kb (did you mean rotate_every_kb?)"
    );
}

#[test]
fn typo_dotted_key_names_line() {
    let text = "name: x\npacketbeat.interfaces.devise: eth0\n";
    let error = load(text).expect_err("typo is rejected");
    let ConfigError::UnknownKey { key, line, .. } = error else {
        panic!("expected an unknown key error, got {error:?}");
    };
    assert_eq!(key, "packetbeat.interfaces.devise");
    assert_eq!(line, 2);
}

#[test]
fn unknown_top_level_key() {
    let error = load("outptu.file.path: /tmp\n").expect_err("typo is rejected");
    let ConfigError::UnknownKey { key, hint, .. } = error else {
        panic!("expected an unknown key error, got {error:?}");
    };
    assert_eq!(key, "outptu");
    assert_eq!(hint.as_deref(), Some("did you mean output?"));
}

#[test]
fn unknown_processor_name() {
    let error = load("processors:\n  - drop_field:\n      fields: [a]\n").expect_err("rejected");
    let ConfigError::UnknownKey {
        key, line, hint, ..
    } = error
    else {
        panic!("expected an unknown key error, got {error:?}");
    };
    assert_eq!(key, "processors.0.drop_field");
    assert_eq!(line, 2);
    assert_eq!(hint.as_deref(), Some("did you mean drop_fields?"));
}

#[test]
fn interface_ignore_outgoing_hint() {
    let error = load("packetbeat.interfaces:\n  ignore_outgoing: true\n").expect_err("rejected");
    let ConfigError::UnknownKey {
        key, line, hint, ..
    } = error
    else {
        panic!("expected an unknown key error, got {error:?}");
    };
    assert_eq!(key, "packetbeat.interfaces.ignore_outgoing");
    assert_eq!(line, 2);
    assert!(hint.expect("hint").contains("packetbeat.ignore_outgoing"));
}

#[test]
fn wrong_types_name_value() {
    let cases = [
        (
            "output.file:\n  path: /x\n  rotate_every_kb: lots\n",
            "output.file.rotate_every_kb",
            3,
            "lots",
        ),
        (
            "output.file:\n  path: /x\n  number_of_files: 1\n",
            "output.file.number_of_files",
            3,
            "1",
        ),
        (
            "output.file:\n  path: /x\n  permissions: 600\n",
            "output.file.permissions",
            3,
            "600",
        ),
        (
            "output.file.path: [a, b]\n",
            "output.file.path",
            1,
            "a list",
        ),
        (
            "output.file:\n  path: /x\n  codec.json.pretty: maybe\n",
            "output.file.codec.json.pretty",
            3,
            "maybe",
        ),
        (
            "packetbeat.protocols:\n  - type: dns\n    transaction_timeout: 10 seconds\n",
            "packetbeat.protocols.0.transaction_timeout",
            3,
            "10 seconds",
        ),
        (
            "packetbeat.protocols:\n  - type: dns\n    ports: [53, 70000]\n",
            "packetbeat.protocols.0.ports",
            3,
            "70000",
        ),
        (
            "packetbeat.interfaces.internal_networks: [privat]\n",
            "packetbeat.interfaces.internal_networks",
            1,
            "privat",
        ),
        (
            "packetbeat.interfaces.type: pf_ring\n",
            "packetbeat.interfaces.type",
            1,
            "pf_ring",
        ),
        ("logging.level: verbose\n", "logging.level", 1, "verbose"),
        ("tags: {a: 1}\n", "tags", 1, "a map"),
    ];
    for (text, expected_key, expected_line, expected_value) in cases {
        let error = load(text).expect_err(text);
        let ConfigError::InvalidValue {
            key, line, value, ..
        } = &error
        else {
            panic!("expected an invalid value error for {text:?}, got {error:?}");
        };
        assert_eq!(key, expected_key, "{text}");
        assert_eq!(*line, expected_line, "{text}");
        assert_eq!(value, expected_value, "{text}");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("test.yml:{expected_line}: ")),
            "{message}"
        );
    }
}

#[test]
fn dotted_and_nested_equal() {
    let dotted = "\
packetbeat.interfaces.device: eth1
packetbeat.protocols:
  - type: dns
    ports: [53]
    send_request: true
output.file.path: /tmp/out
output.file.codec.json.pretty: true
processors:
  - if.contains.tags: forwarded
    then:
      - drop_fields.fields: [host]
";
    let nested = "\
packetbeat:
  interfaces:
    device: eth1
  protocols:
    - type: dns
      ports: [53]
      send_request: true
output:
  file:
    path: /tmp/out
    codec:
      json:
        pretty: true
processors:
  - if:
      contains:
        tags: forwarded
    then:
      - drop_fields:
          fields: [host]
";
    let mixed = "\
packetbeat.interfaces:
  device: eth1
packetbeat:
  protocols:
    - type: dns
      ports: [53]
      send_request: true
output.file:
  path: /tmp/out
output:
  file.codec.json:
    pretty: true
processors:
  - if.contains:
      tags: forwarded
    then:
      - drop_fields:
          fields: [host]
";
    let dotted = load(dotted).expect("dotted form loads");
    assert_eq!(load(nested).expect("nested form loads"), dotted);
    assert_eq!(load(mixed).expect("mixed form loads"), dotted);
}

#[test]
fn duplicate_key_both_lines() {
    let error =
        load("output.file.path: /a\noutput:\n  file:\n    path: /b\n").expect_err("rejected");
    let ConfigError::DuplicateKey {
        key,
        line,
        first_line,
        ..
    } = error
    else {
        panic!("expected a duplicate key error, got {error:?}");
    };
    assert_eq!(key, "output.file.path");
    assert_eq!(line, 4);
    assert_eq!(first_line, 1);
}

#[test]
fn durations_in_go_syntax() {
    let cases = [
        ("10s", Duration::from_secs(10)),
        ("1m30s", Duration::from_secs(90)),
        ("500ms", Duration::from_millis(500)),
        ("1.5s", Duration::from_millis(1500)),
        ("2h", Duration::from_secs(7200)),
        ("5", Duration::from_secs(5)),
        ("2.5", Duration::from_millis(2500)),
    ];
    for (text, expected) in cases {
        let yaml =
            format!("packetbeat.protocols:\n  - type: dns\n    transaction_timeout: {text}\n");
        let config = load(&yaml).expect(text);
        let dns = config.dns.expect("dns entry");
        assert_eq!(dns.transaction_timeout, expected, "{text}");
    }
}

#[test]
fn permissions_octal_forms() {
    let cases = [
        ("0600", 0o600),
        ("\"0640\"", 0o640),
        ("0o644", 0o644),
        ("384", 0o600),
    ];
    for (text, expected) in cases {
        let yaml = format!("output.file:\n  path: /x\n  permissions: {text}\n");
        let config = load(&yaml).expect(text);
        assert_eq!(file_output(&config).permissions, expected, "{text}");
    }
}

#[test]
fn file_output_requires_path() {
    let error = load("output.file:\n  filename: pb\n").expect_err("rejected");
    let ConfigError::MissingKey { key, line, .. } = error else {
        panic!("expected a missing key error, got {error:?}");
    };
    assert_eq!(key, "output.file.path");
    assert_eq!(line, 2);
}

#[test]
fn disabled_file_output_is_none() {
    let config = load("output.file:\n  enabled: false\n").expect("valid");
    assert_eq!(config.output, OutputConfig::None);
}

#[test]
fn console_output_selected() {
    let config = load("output.console:\n  codec.json.pretty: true\n").expect("valid");
    let OutputConfig::Console(console) = config.output else {
        panic!("expected the console output");
    };
    assert!(console.codec.pretty);
}

#[test]
fn two_outputs_conflict() {
    let error = load("output.file.path: /x\noutput.console.enabled: true\n").expect_err("rejected");
    assert!(
        matches!(error, ConfigError::Conflict { line: 2, .. }),
        "{error:?}"
    );
}

#[test]
fn second_dns_entry_conflicts() {
    let text = "packetbeat.protocols:\n  - type: dns\n  - type: dns\n    ports: [5353]\n";
    let error = load(text).expect_err("rejected");
    assert!(
        matches!(error, ConfigError::Conflict { line: 3, .. }),
        "{error:?}"
    );
}

#[test]
fn unknown_protocol_type() {
    let error = load("packetbeat.protocols:\n  - type: dnss\n").expect_err("rejected");
    let ConfigError::InvalidValue {
        key,
        line,
        value,
        expected,
        ..
    } = error
    else {
        panic!("expected an invalid value error, got {error:?}");
    };
    assert_eq!(key, "packetbeat.protocols.0.type");
    assert_eq!(line, 2);
    assert_eq!(value, "dnss");
    assert!(expected.contains("did you mean dns?"), "{expected}");
}

#[test]
fn processor_with_two_names() {
    let text = "processors:\n  - add_host_metadata: ~\n    add_cloud_metadata: ~\n";
    let error = load(text).expect_err("rejected");
    assert!(
        matches!(error, ConfigError::Conflict { line: 2, .. }),
        "{error:?}"
    );
}

#[test]
fn missing_environment_variable() {
    let error = load("output.file.path: ${DNSTEL_UNSET_FOR_TEST}\n").expect_err("rejected");
    let ConfigError::MissingEnvironmentVariable {
        name, key, line, ..
    } = error
    else {
        panic!("expected a missing variable error, got {error:?}");
    };
    assert_eq!(name, "DNSTEL_UNSET_FOR_TEST");
    assert_eq!(key, "output.file.path");
    assert_eq!(line, 1);
}

#[test]
fn missing_file_read_error() {
    let error = Config::load(Path::new("/nonexistent/packetbeat.yml")).expect_err("rejected");
    assert!(matches!(error, ConfigError::Read { .. }), "{error:?}");
}

#[test]
fn yaml_syntax_error_line() {
    let error = load("name: a\ntags: [a, b\nfields: {}\n").expect_err("rejected");
    let ConfigError::Syntax { file, line, .. } = error else {
        panic!("expected a syntax error, got {error:?}");
    };
    assert_eq!(file, "test.yml");
    assert!(line >= 2, "line {line}");
}

#[test]
fn interface_list_rejected() {
    let error = load("packetbeat.interfaces:\n  - device: eth0\n").expect_err("rejected");
    let ConfigError::InvalidValue { key, line, .. } = error else {
        panic!("expected an invalid value error, got {error:?}");
    };
    assert_eq!(key, "packetbeat.interfaces");
    assert_eq!(line, 2);
}

#[test]
fn crlf_and_byte_order_mark() {
    let text = "\u{feff}output.file:\r\n  path: /tmp/x\r\n  filename: pb\r\n";
    let config = load(text).expect("CRLF file with a BOM loads");
    let file = file_output(&config);
    assert_eq!(file.path, PathBuf::from("/tmp/x"));
    assert_eq!(file.filename, "pb");
}

#[test]
fn zero_transaction_timeout_names_line() {
    let text = "packetbeat.protocols:\n- type: dns\n  ports: [53]\n  transaction_timeout: 0s\n";
    let error = load(text)
        .expect_err("a zero timeout must fail")
        .to_string();
    assert!(error.contains("transaction_timeout"), "{error}");
    assert!(error.contains(":4"), "the error names line 4: {error}");
    assert!(error.contains("above zero"), "{error}");
}
