//! The rule tree: category root rules with their children, siblings ordered as Wazuh orders
//! them (level-0 rules first, then by level descending, ties in load order).

use std::collections::HashMap;

use dnstel_ruleset::matcher::Matcher;
use dnstel_ruleset::{Category, Rule};

/// Level ordering key Wazuh uses when inserting siblings: level × 100, level 0 as 9900 so it
/// sorts first, and `accuracy="0"` without the × 100 so it sorts last.
fn sort_key(rule: &Rule) -> u32 {
    let level = u32::from(rule.level);
    if rule.accuracy_zero {
        level
    } else if level == 0 {
        9900
    } else {
        level * 100
    }
}

/// Deepest level a rule may sit at, roots being level 1. Evaluation descends the tree
/// recursively, so a much longer `if_sid` chain would overflow the stack. Wazuh's whole
/// default ruleset loads within this limit.
pub const MAX_RULE_DEPTH: u32 = 256;

/// Rules arranged as Wazuh's evaluation tree.
#[derive(Debug, Default)]
pub struct RuleTree {
    rules: Vec<Rule>,
    children: Vec<Vec<usize>>,
    /// Level of each rule in the tree, roots being 1.
    depths: Vec<u32>,
    roots: Vec<usize>,
    by_id: HashMap<u32, usize>,
    warnings: Vec<String>,
}

impl RuleTree {
    /// Builds the tree from rules in load order. Problems that make Wazuh skip a rule are
    /// recorded as warnings (see [`RuleTree::warnings`]).
    pub fn build(rules: Vec<Rule>) -> RuleTree {
        let mut tree = RuleTree::default();
        for rule in rules {
            tree.add(rule);
        }
        tree
    }

    /// Adds one rule after the ones already in the tree.
    pub fn add(&mut self, rule: Rule) {
        if let Some(&existing) = self.by_id.get(&rule.id) {
            if rule.overwrite {
                self.rules[existing] = rule;
            } else {
                self.warnings.push(format!(
                    "{}: rule {} is duplicated; the later definition is ignored",
                    rule.source, rule.id
                ));
            }
            return;
        }
        let parents = self.parents_of(&rule);
        let index = self.rules.len();
        if rule.is_root() {
            self.roots.push(index);
        } else if parents.is_empty() {
            self.warnings.push(format!(
                "{}: rule {} has no parent rule loaded; it is ignored",
                rule.source, rule.id
            ));
            return;
        }
        let depth = parents
            .iter()
            .map(|&parent| self.depths[parent])
            .max()
            .map_or(1, |deepest| deepest + 1);
        if depth > MAX_RULE_DEPTH {
            self.warnings.push(format!(
                "{}: rule {} would sit {depth} levels deep, over the limit of {MAX_RULE_DEPTH}; \
                 it is ignored",
                rule.source, rule.id
            ));
            return;
        }
        let key = sort_key(&rule);
        self.by_id.insert(rule.id, index);
        self.rules.push(rule);
        self.children.push(Vec::new());
        self.depths.push(depth);
        for parent in parents {
            // Siblings are kept sorted by descending key, so a binary search finds the slot
            // after the last sibling with a key at least as high; this keeps loading large
            // flat rule files linear instead of quadratic.
            let siblings = &self.children[parent];
            let position =
                siblings.partition_point(|&sibling| sort_key(&self.rules[sibling]) >= key);
            self.children[parent].insert(position, index);
        }
    }

    fn parents_of(&mut self, rule: &Rule) -> Vec<usize> {
        if rule.is_root() {
            return Vec::new();
        }
        if !rule.if_sid.is_empty() {
            let mut parents = Vec::new();
            for id in &rule.if_sid {
                match self.by_id.get(id) {
                    Some(&index) => parents.push(index),
                    None => self.warnings.push(format!(
                        "{}: rule {} refers to unknown if_sid {id}",
                        rule.source, rule.id
                    )),
                }
            }
            return parents;
        }
        if let Some(level) = rule.if_level {
            return (0..self.rules.len())
                .filter(|&index| self.rules[index].level >= level)
                .collect();
        }
        if let Some(group) = &rule.if_group {
            return (0..self.rules.len())
                .filter(|&index| group.is_match(&self.rules[index].group_string))
                .collect();
        }
        let category = rule.category.unwrap_or_default();
        self.roots
            .iter()
            .copied()
            .filter(|&root| self.rules[root].category.unwrap_or_default() == category)
            .take(1)
            .collect()
    }

    /// Root rules in load order.
    pub fn roots(&self) -> &[usize] {
        &self.roots
    }

    /// Children of the rule at `index`, in evaluation order.
    pub fn children(&self, index: usize) -> &[usize] {
        &self.children[index]
    }

    /// The rule at `index`.
    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    /// Index of the rule with id `id`.
    pub fn index_of(&self, id: u32) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    /// Number of rules in the tree.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Returns true when the tree has no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Problems found while building (skipped rules, unknown parents).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Category of a root rule (`syslog` when unset).
    pub fn root_category(&self, index: usize) -> Category {
        self.rules[index].category.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<Rule> {
        let mut set = dnstel_ruleset::Ruleset::default();
        set.add_rule_text("rules/test.xml", text.as_bytes());
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        set.rules
    }

    fn child_ids(tree: &RuleTree, parent: u32) -> Vec<u32> {
        let index = tree.index_of(parent).expect("parent loaded");
        tree.children(index)
            .iter()
            .map(|&child| tree.rule(child).id)
            .collect()
    }

    #[test]
    fn children_sorted_by_level_then_load() {
        let tree = RuleTree::build(rules(
            r#"<group name="t,">
  <rule id="1" level="0"><description>root</description></rule>
  <rule id="101" level="3"><if_sid>1</if_sid><description>a</description></rule>
  <rule id="102" level="10"><if_sid>1</if_sid><description>b</description></rule>
  <rule id="103" level="3"><if_sid>1</if_sid><description>c</description></rule>
  <rule id="104" level="0"><if_sid>1</if_sid><description>d</description></rule>
  <rule id="105" level="10"><if_sid>1</if_sid><description>e</description></rule>
</group>"#,
        ));
        // Level 0 sorts first (key 9900), then higher levels, ties in load order.
        assert_eq!(child_ids(&tree, 1), [104, 102, 105, 101, 103]);
    }

    #[test]
    fn many_siblings_keep_load_order() {
        let mut text = String::from(
            r#"<group name="t,"><rule id="1" level="0"><description>root</description></rule>"#,
        );
        for id in 1000..6000 {
            text.push_str(&format!(
                r#"<rule id="{id}" level="3"><if_sid>1</if_sid><description>x</description></rule>"#
            ));
        }
        text.push_str("</group>");
        let tree = RuleTree::build(rules(&text));
        let expected: Vec<u32> = (1000..6000).collect();
        assert_eq!(child_ids(&tree, 1), expected);
    }

    #[test]
    fn deep_chain_cut_at_limit() {
        let mut text = String::from(
            r#"<group name="t,"><rule id="1" level="0"><description>root</description></rule>"#,
        );
        // Ids below 10 are roots, so the chain starts at 1001 under root 1: rule 1000 + k sits
        // at level k + 1.
        let mut parent = 1;
        for id in 1001..=1000 + MAX_RULE_DEPTH + 10 {
            text.push_str(&format!(
                r#"<rule id="{id}" level="3"><if_sid>{parent}</if_sid><description>x</description></rule>"#
            ));
            parent = id;
        }
        text.push_str("</group>");
        let tree = RuleTree::build(rules(&text));
        assert_eq!(tree.len(), MAX_RULE_DEPTH as usize);
        assert!(tree.index_of(1000 + MAX_RULE_DEPTH - 1).is_some());
        assert!(tree.index_of(1000 + MAX_RULE_DEPTH).is_none());
        assert!(
            tree.warnings()
                .iter()
                .any(|warning| warning.contains("over the limit of 256")),
            "{:?}",
            tree.warnings()
        );
    }
}
