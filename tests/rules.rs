//! Every rule's own cases, the minimum each rule must carry, and the docs generated from them.

use std::path::Path;

use kubelint::config::Config;
use kubelint::rules::{RuleSet, cases, docs};

fn builtin() -> RuleSet {
    RuleSet::load(&Config::empty(Path::new(env!("CARGO_MANIFEST_DIR")).into()))
        .expect("built-in rules compile")
}

#[test]
fn every_rule_passes_its_own_cases() {
    let failures = cases::run_all(&builtin());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One snapshot per rule file: the message, help and exact span of every bad case's finding.
#[test]
fn every_rule_pins_its_rendered_findings() {
    let rules = builtin().with_every_rule_on();
    for rule in rules.rules() {
        let rendered = cases::rendered(rule, &rules);
        if rendered.is_empty() {
            continue;
        }
        insta::assert_snapshot!(format!("rule-{}", rule.id), rendered);
    }
}

#[test]
fn every_declarative_rule_has_three_bad_and_three_good_cases() {
    for rule in builtin().rules().iter().filter(|r| !r.builtin) {
        let cases = rule.cases().unwrap();
        let bad = cases.iter().filter(|c| c.bad.is_some()).count();
        let good = cases.iter().filter(|c| c.good.is_some()).count();
        assert!(
            bad >= 3 && good >= 3,
            "{} has {bad} bad and {good} good cases",
            rule.id
        );
    }
}

#[test]
fn every_rule_has_docs_and_every_text_checkable_builtin_has_cases() {
    for rule in builtin().rules() {
        assert!(rule.description.is_some(), "{} has no description", rule.id);
        // Their cases are file-system states or renders with helm (tests/zoo.rs, helm*.rs).
        let checked_on_files = [
            "file-not-text",
            "file-unreadable",
            "helm-values-schema",
            "helm-render-error",
            "helm-dependency-not-vendored",
        ]
        .contains(&&*rule.id);
        assert!(
            checked_on_files || !rule.cases().unwrap().is_empty(),
            "{} has no cases",
            rule.id
        );
    }
}

/// `KUBELINT_BLESS=1 cargo test --test rules` rewrites the generated docs.
#[test]
fn generated_rule_docs_are_current() {
    let rules = builtin();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference = docs::reference(&rules);
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let (head, rest) = readme
        .split_once("<!-- rules:start -->\n")
        .expect("README has the rules markers");
    let (_, tail) = rest
        .split_once("<!-- rules:end -->")
        .expect("README has the rules markers");
    let new_readme = format!(
        "{head}<!-- rules:start -->\n{}<!-- rules:end -->{tail}",
        docs::table(&rules)
    );
    if std::env::var_os("KUBELINT_BLESS").is_some() {
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(root.join("docs/rules.md"), &reference).unwrap();
        std::fs::write(root.join("README.md"), &new_readme).unwrap();
    }
    let current = std::fs::read_to_string(root.join("docs/rules.md")).unwrap_or_default();
    assert!(
        current == reference,
        "docs/rules.md is stale: run KUBELINT_BLESS=1 cargo test --test rules"
    );
    assert!(
        readme == new_readme,
        "README's rule table is stale: run KUBELINT_BLESS=1 cargo test --test rules"
    );
}
