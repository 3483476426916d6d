use super::*;

fn slice<'a>(text: &'a str, node: Node<'_>) -> &'a str {
    &text[node.span()]
}

#[test]
fn keys_and_values_carry_their_byte_spans() {
    let text = "kind: Pod\nspec:\n  containers:\n    - image: \"redis:7\"\n";
    let stream = parse(text);
    let root = stream.documents[0].root().unwrap();
    let (key, value) = root
        .get("spec")
        .unwrap()
        .get("containers")
        .unwrap()
        .items()
        .next()
        .unwrap()
        .entry("image")
        .unwrap();
    assert_eq!(slice(text, key), "image");
    assert_eq!(slice(text, value), "\"redis:7\"");
    assert_eq!(value.as_str(), Some("redis:7"));
}

#[test]
fn multi_document_streams_keep_every_document() {
    let stream = parse("a: 1\n---\nb: 2\n---\n# only a comment\n");
    assert_eq!(stream.documents.len(), 3);
    assert!(
        stream.documents[2]
            .root()
            .and_then(|r| r.as_text())
            .is_none()
    );
    assert!(stream.problems.is_empty());
}

#[test]
fn json_is_read_as_yaml() {
    let stream = parse(r#"{"kind": "Pod", "metadata": {"name": "x"}}"#);
    let root = stream.documents[0].root().unwrap();
    assert_eq!(root.path("metadata.name").unwrap().as_str(), Some("x"));
}

#[test]
fn a_syntax_error_is_positioned_and_later_documents_survive() {
    let text = "a: 1\n---\nb: [1, 2\nc: 3\n---\nd: 4\n";
    let stream = parse(text);
    assert_eq!(stream.problems.len(), 1, "{:?}", stream.problems);
    assert_eq!(stream.problems[0].kind, ProblemKind::Syntax);
    let names: Vec<_> = stream
        .documents
        .iter()
        .filter_map(|d| d.root())
        .flat_map(|r| r.entries())
        .filter_map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(names, ["a", "d"]);
}

#[test]
fn duplicate_keys_point_at_the_second_key_and_remember_the_first() {
    let text = "metadata:\n  name: a\n  name: b\n";
    let stream = parse(text);
    assert_eq!(stream.problems.len(), 1);
    let problem = &stream.problems[0];
    assert_eq!(problem.kind, ProblemKind::DuplicateKey);
    assert_eq!(problem.span, 22..26);
    assert_eq!(problem.related, Some(12..16));
}

#[test]
fn aliases_share_the_anchored_node_and_merge_keys_apply() {
    let text = "base: &b {image: redis, tag: '7'}\nuse:\n  <<: *b\n  tag: '8'\nagain: *b\n";
    let stream = parse(text);
    let root = stream.documents[0].root().unwrap();
    let used = root.get("use").unwrap();
    assert_eq!(used.text("image"), Some("redis"));
    assert_eq!(used.text("tag"), Some("8"));
    assert_eq!(
        root.get("again").unwrap().id(),
        root.get("base").unwrap().id()
    );
    let keys: Vec<_> = used
        .entries()
        .iter()
        .map(|(k, _)| k.as_str().unwrap())
        .collect();
    assert_eq!(keys, ["tag", "image"]);
}

#[test]
fn an_alias_bomb_costs_one_node_per_alias() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let prev = format!("*a{}", level - 1);
        let items = [prev.as_str(); 9].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    let stream = parse(text.as_str());
    assert!(stream.documents[0].nodes.len() < 200);
    let kinds: Vec<_> = stream
        .problems
        .iter()
        .map(|p| (p.kind, p.span.clone()))
        .collect();
    assert_eq!(kinds, [(ProblemKind::ExcessiveAliasing, 63..66)]);
}

#[test]
fn kubectl_accepts_aliases_that_stay_a_small_share_of_the_document() {
    // 2,000 plain nodes and 150 aliases of a scalar: 150 aliased decodes of ~2,300 (6.5%).
    let mut text = String::from(
        "anchor: &a x
",
    );
    text.extend((0..1_000).map(|i| format!("k{i}: v\n")));
    text.extend((0..150).map(|i| format!("alias{i}: *a\n")));
    assert!(parse(text.as_str()).problems.is_empty());
}

#[test]
fn an_alias_inside_its_own_value_is_refused_like_kubectl_does() {
    let stream = parse("a: &a [x, *a]\n");
    assert_eq!(stream.problems[0].kind, ProblemKind::ExcessiveAliasing);
    assert!(stream.problems[0].message.contains("contains itself"));
}

#[test]
fn deep_nesting_is_a_syntax_problem_not_a_crash() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let stream = parse(text.as_str());
    assert_eq!(stream.problems[0].kind, ProblemKind::Syntax);
}

#[test]
fn unknown_anchors_are_problems_at_the_alias() {
    let text = "a: *nope\nb: 1\n";
    let stream = parse(text);
    assert_eq!(stream.problems[0].span, 3..8);
    assert_eq!(stream.documents[0].root().unwrap().text("b"), Some("1"));
}

#[test]
fn comments_are_collected_with_their_spans() {
    let text = "# kubelint-disable-file a\nkind: Pod # trailing\n";
    let stream = parse(text);
    let texts: Vec<_> = stream.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, [" kubelint-disable-file a", " trailing"]);
    assert_eq!(&text[stream.comments[1].span.clone()], "# trailing");
}

#[test]
fn a_long_comment_block_parses_the_same_whether_comments_are_collected_or_not() {
    let block: String = (0..500).map(|i| format!("  # note {i}\n")).collect();
    let body = format!("spec:\n  containers:\n{block}  - name: a\n    image: x\n");
    let without = parse(body.as_str());
    let with = parse(format!("# kubelint-disable-file a\n{body}"));
    assert!(without.problems.is_empty() && with.problems.is_empty());
    assert_eq!(with.comments.len(), 501);
    let image = |s: &Stream| {
        let root = s.documents[0].root().unwrap();
        let containers = root.get("spec").unwrap().get("containers").unwrap();
        containers
            .items()
            .next()
            .unwrap()
            .text("image")
            .map(str::to_string)
    };
    assert_eq!(image(&with).as_deref(), Some("x"));
    assert_eq!(image(&with), image(&without));
}

#[test]
fn crlf_tabs_and_non_ascii_keep_exact_spans() {
    let text = "a: \"日本\"\r\nb:\t\"x\"\r\n";
    let stream = parse(text);
    let root = stream.documents[0].root().unwrap();
    assert_eq!(slice(text, root.get("a").unwrap()), "\"日本\"");
    assert_eq!(slice(text, root.get("b").unwrap()), "\"x\"");
}

#[test]
fn null_scalars_have_no_text() {
    let stream = parse("a:\nb: ~\nc: 'null'\n");
    let root = stream.documents[0].root().unwrap();
    assert_eq!(root.text("a"), None);
    assert_eq!(root.text("b"), None);
    assert_eq!(root.text("c"), Some("null"));
}

#[test]
fn escaped_and_folded_scalars_keep_their_values_and_source_spans() {
    let text = "a: \"x\\ty\"\nb: >\n  one\n  two\nc: 'it''s'\nd: plain\n";
    let stream = parse(text);
    let root = stream.documents[0].root().unwrap();
    assert_eq!(root.text("a"), Some("x\ty"));
    assert_eq!(slice(text, root.get("a").unwrap()), "\"x\\ty\"");
    assert_eq!(root.text("b"), Some("one two\n"));
    assert_eq!(root.text("c"), Some("it's"));
    assert_eq!(root.text("d"), Some("plain"));
}

#[test]
fn nodes_stay_compact() {
    assert!(std::mem::size_of::<super::tree::NodeData>() <= 24);
}

#[test]
fn a_leading_bom_is_read_past_and_spans_stay_file_offsets() {
    let text = "\u{feff}kind: Pod\nmetadata: {name: a}\n";
    let stream = parse(text);
    assert!(stream.problems.is_empty(), "{:?}", stream.problems);
    let root = stream.documents[0].root().unwrap();
    let (key, _) = root.entry("kind").unwrap();
    assert_eq!(key.span(), 3..7);
}

#[test]
fn a_block_scalar_at_the_end_of_a_file_without_a_line_break_has_none() {
    let stream = parse("a: |\n  x\n  y");
    let root = stream.documents[0].root().unwrap();
    assert_eq!(root.get("a").unwrap().as_str(), Some("x\ny"));
    let stream = parse("a: |\n  x\n");
    let root = stream.documents[0].root().unwrap();
    assert_eq!(root.get("a").unwrap().as_str(), Some("x\n"));
}

#[test]
fn concatenated_json_values_are_documents_with_file_offsets() {
    let text = "{\"a\": 1}\n{\"b\": \"x\"}\n";
    let stream = parse_json(text);
    assert!(stream.problems.is_empty());
    assert_eq!(stream.documents.len(), 2);
    let second = stream.documents[1].root().unwrap();
    let value = second.get("b").unwrap();
    assert_eq!(&text[value.span()], "\"x\"");
}

#[test]
fn json_comments_are_a_syntax_problem_at_the_comment() {
    let text = "{\n  // no\n  \"a\": 1\n}\n";
    let stream = parse_json(text);
    assert!(stream.documents.is_empty());
    assert_eq!(stream.problems[0].span, 4..4);
    assert!(stream.problems[0].message.contains("comments"));
}

#[test]
fn merge_keys_through_a_dag_of_aliases_are_read_once_per_source() {
    // Eight aliases of the level below at each of nine levels: 8^9 paths to the bottom.
    let mut text = String::from("m0: &m0 { x0: 1 }\n");
    for level in 1..10 {
        let below = vec![format!("*m{}", level - 1); 8].join(", ");
        text.push_str(&format!(
            "m{level}: &m{level} {{ <<: [{below}], x{level}: 1 }}\n"
        ));
    }
    text.push_str("top: { <<: *m9, own: 1 }\n");
    let stream = parse(text.as_str());
    let top = stream.documents[0].root().unwrap().get("top").unwrap();
    assert_eq!(top.text("x0"), Some("1"));
    assert_eq!(top.get("missing"), None);
    let keys: Vec<_> = top.entries().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys.len(),
        11,
        "own, then x9 down to x0, each once: {keys:?}"
    );
}

#[test]
fn a_duplicated_key_reads_the_last_value_as_kubernetes_does() {
    let stream = parse("metadata:\n  name: a\n  name: b\n  other: c\n");
    let metadata = stream.documents[0].root().unwrap().get("metadata").unwrap();
    assert_eq!(metadata.text("name"), Some("b"));
    let entries: Vec<_> = metadata
        .entries()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap(), v.as_str().unwrap()))
        .collect();
    assert_eq!(entries, [("name", "b"), ("other", "c")]);
}

#[test]
fn plain_scalars_resolve_to_the_types_kubernetes_reads() {
    use crate::yaml::ScalarType::*;
    let stream =
        parse("[123, -1.5e3, 0x1F, .inf, 'quoted 1', yes, null, ~, redis:7, 1.2.3, 7e, {a: b}]\n");
    let types: Vec<_> = stream.documents[0]
        .root()
        .unwrap()
        .items()
        .map(|n| n.scalar_type())
        .collect();
    assert_eq!(
        types,
        [
            Some(Number),
            Some(Number),
            Some(Number),
            Some(Number),
            Some(String),
            Some(Bool),
            Some(Null),
            Some(Null),
            Some(String),
            Some(String),
            Some(String),
            None
        ]
    );
}
