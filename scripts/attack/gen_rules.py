#!/usr/bin/env python3
"""Write hostile Wazuh rule files, CDB lists and event lines for `dnstel logtest`/`analyze`.

Usage: gen_rules.py OUTDIR

Rule files are OUTDIR/rules-*.xml (each passed alone with `logtest --rules`), event files are
OUTDIR/events-*.txt (fed on standard input to `logtest --rules rule-ok.xml`).
"""
import os
import sys

OK_RULE = """<group name="dns">
  <rule id="200300" level="3">
    <decoded_as>json</decoded_as>
    <field name="method">QUERY</field>
    <description>DNS Query</description>
  </rule>
</group>
"""


def rule(body, rule_id=100001, extra=""):
    return f'<rule id="{rule_id}" level="3" {extra}>{body}<description>x</description></rule>'


def group(rules):
    return '<group name="t">' + "".join(rules) + "</group>\n"


def rule_cases(out):
    yield "unclosed", '<group name="t"><rule id="100001" level="3"><match>a</match>'
    yield "nested-groups-100k", "<group name=\"a\">" * 100000 + rule("<match>a</match>") + "</group>" * 100000
    yield "attribute-10mb", f'<group name="{"a" * (10 << 20)}">' + rule("<match>a</match>") + "</group>"
    yield "match-10mb", group([rule("<match>" + "a" * (10 << 20) + "</match>")])
    # Catastrophic backtracking patterns.
    yield "pcre2-catastrophic", group([rule('<field name="method" type="pcre2">^(a+)+$</field>')])
    yield "pcre2-catastrophic-2", group([rule('<regex type="pcre2">(a|aa)+(b|bb)+$</regex>')])
    yield "pcre2-invalid", group([rule('<regex type="pcre2">(unclosed[</regex>')])
    yield "osregex-star", group([rule("<regex>" + "\\w*" * 50 + "x</regex>")])
    yield "osregex-invalid", group([rule("<regex>(((</regex>")])
    # Variables that refer to themselves or to each other.
    yield "var-self", '<var name="A">$A</var>' + group([rule("<match>$A</match>")])
    yield "var-mutual", '<var name="A">$B</var><var name="B">$A</var>' + group([rule("<match>$A</match>")])
    yield "var-expansion-bomb", "".join(
        f'<var name="V{i}">' + (f"$V{i - 1}" * 10 if i else "x") + "</var>" for i in range(10)
    ) + group([rule("<match>$V9</match>")])
    yield "var-undefined", group([rule("<match>$NOPE</match>")])
    # if_sid cycles.
    yield "if-sid-cycle", group([
        rule("<if_sid>100002</if_sid><match>a</match>", 100001),
        rule("<if_sid>100001</if_sid><match>a</match>", 100002),
    ])
    yield "if-sid-self", group([rule("<if_sid>100001</if_sid><match>a</match>", 100001)])
    yield "if-sid-missing", group([rule("<if_sid>999999</if_sid><match>a</match>", 100001)])
    yield "if-group-self", '<group name="loop,">' + rule("<if_group>loop</if_group>", 100001) + "</group>"
    yield "if-matched-cycle", group([
        rule("<if_matched_sid>100002</if_matched_sid>", 100001, 'frequency="2" timeframe="60"'),
        rule("<if_matched_sid>100001</if_matched_sid>", 100002, 'frequency="2" timeframe="60"'),
    ])
    yield "frequency-huge", group([
        rule('<decoded_as>json</decoded_as>', 100001),
        rule("<if_matched_sid>100001</if_matched_sid><same_field>dns.id</same_field>", 100002,
             'frequency="999999999" timeframe="2147483647"'),
    ])
    yield "frequency-negative", group([rule("<if_matched_sid>200300</if_matched_sid>", 100002, 'frequency="-1" timeframe="-5"')])
    yield "duplicate-ids", group([rule("<match>a</match>", 100001), rule("<match>b</match>", 100001)])
    yield "level-huge", group([rule("<match>a</match>", 100001).replace('level="3"', 'level="99999999999"')])
    yield "id-huge", group([rule("<match>a</match>", 99999999999999999999)])
    yield "binary-bytes", "<group name=\"t\">\x00\x01" + rule("<match>\x7f\x1b</match>") + "</group>"
    yield "invalid-utf8", None
    yield "entity-bomb", '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>' + group([rule("<match>&c;</match>")])
    yield "external-entity", '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/shadow">]>' + group([rule("<match>&e;</match>")])
    yield "many-rules-100k", group([rule(f"<match>m{i}</match>", 100000 + i) for i in range(100000)])
    yield "list-missing", group([rule('<list field="srcip" lookup="address_match_key">etc/lists/nope</list>')])


def events(out):
    yield "long-line-10mb", '{"method":"QUERY","x":"' + "a" * (10 << 20) + '"}\n'
    yield "nul-bytes", '{"method":"QUERY","x":"a\x00b"}\n\x00\x00\x00\n{"method":"QUERY"}\n'
    yield "deep-array", "[" * 100000 + "]" * 100000 + "\n" + '{"method":"QUERY","a":' + "[" * 100000 + "]" * 100000 + "}\n"
    yield "deep-object", '{"a":' * 100000 + "1" + "}" * 100000 + "\n"
    yield "huge-numbers", '{"method":"QUERY","n":1e999,"m":-1e999,"i":123456789012345678901234567890}\n'
    yield "duplicate-keys", '{"method":"QUERY","method":"ANSWER","a":1,"a":2}\n'
    yield "million-fields", "{" + ",".join(f'"f{i}":{i}' for i in range(1000000)) + ',"method":"QUERY"}\n'
    yield "bad-escapes", '{"method":"QUERY","x":"\\ud800\\udfff\\u0000\\uZZZZ"}\n{"method":"QUERY","y":"\\ud800"}\n'
    yield "truncated-json", '{"method":"QUERY","x":\n{"method":\n'
    yield "many-lines", '{"method":"QUERY"}\n' * 200000


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "rule-ok.xml"), "w") as handle:
        handle.write(OK_RULE)
    for name, text in rule_cases(out):
        path = os.path.join(out, f"rules-{name}.xml")
        if text is None:
            with open(path, "wb") as handle:
                handle.write(b'<group name="t"><rule id="100001" level="3"><match>\xff\xfe</match><description>x</description></rule></group>')
            continue
        with open(path, "w") as handle:
            handle.write(text)
    for name, text in events(out):
        with open(os.path.join(out, f"events-{name}.txt"), "w", encoding="utf-8", errors="surrogatepass") as handle:
            handle.write(text)
    with open(os.path.join(out, "events-invalid-utf8.txt"), "wb") as handle:
        handle.write(b'{"method":"QUERY","x":"\xff\xfe\xc3"}\n{"method":"QUERY"}\n')


if __name__ == "__main__":
    main()
