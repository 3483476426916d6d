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

/// Every rule's bad cases fixed one rule at a time (unsafe fixes too), also saved with CRLF
/// line breaks and a byte-order mark: the first round changes no byte outside its edits, the
/// result re-lints without that rule's fixable findings and without syntax errors, a second
/// run changes nothing, and CRLF and the BOM survive.
#[test]
fn every_fix_keeps_other_bytes_converges_and_is_idempotent() {
    use kubelint::check::check_buffer;
    use kubelint::fix::{self, Options};
    let rules = builtin().with_every_rule_on();
    let mut fixed_rules = Vec::new();
    for rule in rules.rules() {
        for (index, case) in rule.cases().unwrap().iter().enumerate() {
            let Some(bad) = &case.bad else { continue };
            let config = Config::for_case(case.env.clone());
            let path = Path::new(case.path.as_deref().unwrap_or("case.yaml"));
            let crlf = format!("\u{feff}{}", bad.replace('\n', "\r\n"));
            for text in [bad.clone(), crlf] {
                let what = format!("{} case {}", rule.id, index + 1);
                let options = Options {
                    unsafe_fixes: true,
                    only: Some(&rule.id),
                };
                let before = check_buffer(text.as_bytes(), path, &[], &[], &config, &rules);
                let plan = fix::plan(&before.findings, options);
                let Some(edits) = plan.edits.get(&kubelint::source::FileId(0)) else {
                    continue;
                };
                let once = fix::apply(&text, edits);
                let mut sorted = edits.clone();
                sorted.sort();
                let (mut old_at, mut new_at) = (0, 0);
                for edit in &sorted {
                    let range = edit.origin.range();
                    let kept = &text[old_at..range.start];
                    assert_eq!(
                        &once[new_at..new_at + kept.len()],
                        kept,
                        "{what}: bytes moved"
                    );
                    new_at += kept.len() + edit.text.len();
                    old_at = range.end;
                }
                assert_eq!(&once[new_at..], &text[old_at..], "{what}: the tail changed");
                let (fixed, rounds) = fix::fix_text(&text, path, &config, &rules, options);
                assert!(rounds < fix::MAX_ROUNDS, "{what}: fixes never settle");
                let after = check_buffer(fixed.as_bytes(), path, &[], &[], &config, &rules);
                let left: Vec<_> = after
                    .findings
                    .iter()
                    .filter(|f| f.rule == rule.id && f.fix.is_some())
                    .collect();
                assert!(
                    left.is_empty(),
                    "{what}: still fixable after fixing:\n{fixed}"
                );
                let unfixable = |o: &kubelint::check::Outcome| {
                    o.findings
                        .iter()
                        .filter(|f| f.rule == rule.id && f.fix.is_none())
                        .count()
                };
                assert!(
                    unfixable(&after) <= unfixable(&before),
                    "{what}: fixing made new findings:\n{fixed}"
                );
                assert!(
                    !after.findings.iter().any(|f| &*f.rule == "yaml-syntax"),
                    "{what}: the fix broke the YAML:\n{fixed}"
                );
                let (again, _) = fix::fix_text(&fixed, path, &config, &rules, options);
                assert_eq!(again, fixed, "{what}: a second run changed the text");
                if text.starts_with('\u{feff}') {
                    assert!(fixed.starts_with('\u{feff}'), "{what}: the BOM was lost");
                    let lone = fixed.replace("\r\n", "").contains('\n');
                    assert!(!lone, "{what}: a fix wrote a bare LF into a CRLF file");
                }
                fixed_rules.push(rule.id.to_string());
            }
        }
    }
    for rule in rules.rules().iter().filter(|r| r.has_fix()) {
        assert!(
            fixed_rules.iter().any(|id| *id == *rule.id),
            "{} declares a fix that none of its bad cases exercises",
            rule.id
        );
    }
}
