//! The shape of a rule file under `rules/`: the rule, its docs and its own test cases.

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::config::Environment;
use crate::finding::Severity;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleFile {
    pub id: String,
    pub severity: Severity,
    /// One line: what the rule catches.
    pub summary: String,
    /// Longer documentation: why it matters, when it does not apply.
    #[serde(default)]
    pub description: Option<String>,
    /// The incident or runbook entry the rule comes from, such as `K8S-001`.
    #[serde(default)]
    pub runbook: Option<String>,
    /// Where to read more; defaults to the rule's section in the README.
    #[serde(default)]
    pub url: Option<String>,
    /// The check lives in code (YAML syntax, encodings); the file still carries id, docs, cases.
    #[serde(default)]
    pub builtin: bool,
    /// What the rule looks at: `object`, `pod`, `container`, `image`, `volume`, `port`,
    /// `env-var`, or `item` (each node of `each`).
    #[serde(default, rename = "for")]
    pub subject: Option<Subject>,
    /// Look at each node of a list within the subject (a path with `[*]`), or at the nodes a
    /// code template picks; each is the `item` in conditions and messages.
    #[serde(default)]
    pub each: Option<Each>,
    /// Rules off by default run only when the config lists them in `rules.enable`.
    #[serde(default = "on")]
    pub enabled: bool,
    /// Object kinds the rule applies to; all kinds when empty.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// A condition that must hold before any `deny` clause is tried.
    #[serde(default)]
    pub when: Option<Spanned<serde_json::Value>>,
    #[serde(default)]
    pub deny: Vec<Clause>,
    /// Message and help shared by clauses that do not set their own; `{fact}` placeholders.
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub help: Option<String>,
    /// The fix shared by clauses that do not declare their own.
    #[serde(default)]
    pub fix: Option<FixSpec>,
    /// For `for: reference`: the nodes that name other objects, and how.
    #[serde(default)]
    pub references: Vec<ReferenceSpec>,
}

/// How a finding is fixed, as data: every action given is applied, together, or none is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FixSpec {
    /// What the fix does, for `--diff`, JSON, SARIF and an editor's code action; `{fact}`s.
    pub title: String,
    /// Why the fix may change how the workload runs; such fixes need `--unsafe-fixes`.
    #[serde(default, rename = "unsafe")]
    pub unsafe_because: Option<String>,
    /// The finding's node (its `at`, or the image) gets this value, its quoting kept.
    #[serde(default)]
    pub replace: Option<String>,
    /// A node to delete: `image.digest` (the `@sha256:…` of the reference) or a path, whose
    /// whole entry goes.
    #[serde(default)]
    pub remove: Option<String>,
    /// Paths (`container.securityContext.runAsNonRoot`) set to YAML text (`true`): replaced
    /// where present, inserted with the file's indentation where not, parents created.
    #[serde(default)]
    pub set: std::collections::BTreeMap<String, String>,
    /// An item added to a list, the list created when it is absent.
    #[serde(default)]
    pub append: Option<Append>,
    /// A `# kubelint-disable-next-line` comment above the finding's line.
    #[serde(default)]
    pub suppress: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Append {
    /// The list, such as `pod.imagePullSecrets`.
    pub to: String,
    /// The item's keys and their values (`{fact}` templates), such as `{ name: … }`.
    pub item: std::collections::BTreeMap<String, String>,
}

/// Which nodes of an object name another object, and which of its keys or ports.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReferenceSpec {
    /// Each node that refers, a path such as `container.env[*].valueFrom.secretKeyRef`.
    pub at: String,
    /// The kinds of object this reference is read in; every kind when empty.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// The kind it names; or `kind-from`, a path under the node that names it (with
    /// `kind-default` when that is absent).
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub kind_from: Option<String>,
    #[serde(default)]
    pub kind_default: Option<String>,
    /// The name, a path under the node (`name`, `secretName`); the node itself when unset.
    #[serde(default)]
    pub name: Option<String>,
    /// Keys or ports named under the node (`key`, `items[*].key`, `port.number`).
    #[serde(default)]
    pub member: Vec<String>,
    /// A path under the node whose `true` makes the reference optional.
    #[serde(default)]
    pub optional: Option<String>,
    /// A path under the node naming the namespace (a binding's subject); the object's own
    /// namespace when unset.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Pods chosen by the label selector at this path, rather than an object by name.
    #[serde(default)]
    pub selector: Option<String>,
    /// The reverse: not what this object names, but whether some `kind` in its namespace
    /// covers it (`at` is then the pod labels for `selector`, or any node for `scale-target`).
    #[serde(default)]
    pub covered_by: Option<CoveredBy>,
}

/// How another object covers this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoveredBy {
    /// Its label selector (a PodDisruptionBudget's, a NetworkPolicy's) matches the labels at
    /// `at`.
    Selector,
    /// Its `scaleTargetRef` (a HorizontalPodAutoscaler's) names this object.
    ScaleTarget,
}

/// The `tests:` section, the last key of a rule file. It is read apart from the rule, and only
/// when cases run or docs are made, so starting kubelint does not parse every rule's cases.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tests {
    #[serde(default)]
    pub tests: Vec<Case>,
}

fn on() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    Object,
    /// Every object with a pod spec.
    Pod,
    /// Every container whose image parses; invalid images are `invalid-image-reference`'s.
    Image,
    /// Every container, whatever its image: probes, resources, security settings.
    Container,
    /// Each of `pod.volumes`.
    Volume,
    /// Each of every container's `ports`.
    Port,
    /// Each of every container's `env`.
    EnvVar,
    /// Each node of the rule's `each`.
    Item,
    /// Each reference the rule's `references` find, resolved against the repository.
    Reference,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Each {
    Path(String),
    /// Several paths from one root (`object.`, `pod.`, `container.`), their nodes in order.
    Paths(Vec<String>),
    Template(CodeTemplate),
}

/// A check that needs code, registered by id, with its parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeTemplate {
    pub template: String,
    /// The nodes the template looks at, such as `container.env[*]`.
    pub of: String,
    #[serde(default)]
    pub key: Option<String>,
}

/// One node, or the first present of several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum At {
    One(String),
    FirstOf(Vec<String>),
}

/// One way the rule fails: a condition, where to point, and what to say.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Clause {
    #[serde(default, rename = "if")]
    pub condition: Option<Spanned<serde_json::Value>>,
    /// The node the finding points at: a path fact such as
    /// `object.metadata.annotations["x"]`; the subject itself when unset. If the node is
    /// absent the clause does not fire.
    #[serde(default)]
    pub at: Option<At>,
    /// Point at the key of the `at` node rather than its value.
    #[serde(default)]
    pub at_key: bool,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub fix: Option<FixSpec>,
    /// A related location at the referenced object (where it is defined), with this message.
    #[serde(default)]
    pub related: Option<String>,
}

/// A test case: a document that must (bad) or must not (good) produce this rule's findings,
/// under the environment it assumes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Case {
    #[serde(default)]
    pub name: Option<String>,
    /// The path the document is linted as (`Chart.yaml` for chart checks); `case.yaml` when unset.
    #[serde(default)]
    pub path: Option<String>,
    /// The environment the document deploys to; none when unset.
    #[serde(default)]
    pub env: Option<Environment>,
    #[serde(default)]
    pub bad: Option<String>,
    #[serde(default)]
    pub good: Option<String>,
    /// A live dump (`kubectl get … -o yaml`): the case runs `kubelint drift` with it, the
    /// case's document being Git; findings in the dump are expected as `live:line:column`.
    #[serde(default)]
    pub live: Option<String>,
    /// For a bad case: `line:column` of every finding, in order.
    #[serde(default)]
    pub expect: Vec<String>,
    /// For a good case: the other rules it is known to trip, by id. Any other rule firing on
    /// a good case fails it, so a case shows one rule's behaviour and never hides another's.
    #[serde(default)]
    pub also: Vec<String>,
    /// Other files of the repository (path → text): their objects resolve references, their
    /// own findings are not the case's.
    #[serde(default)]
    pub files: std::collections::BTreeMap<String, String>,
}
