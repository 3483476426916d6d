use super::*;

const SAMPLE: &str = r#"
environments:
  prod:
    paths: [".pipeline/k8s/overlays/prod/**", "shared/**"]
    platform: ack
    region: cn-shanghai
    namespace: klinematrix-prod
    registries:
      financialagent-gxftdbbre4gtegea.azurecr.io: { pull-secret: acr-secret }
    mirrors:
      docker.io: { via: registry.cn-hangzhou.aliyuncs.com, digests: false }
    external-secrets:
      backend-secrets: [mongodb-url, jwt-secret]
  test:
    paths: [".pipeline/k8s/overlays/test/**", "shared/**"]
    platform: aks
rules:
  disable: [some-rule]
  severity: { some-rule: warning }
exclude: ["vendor/**"]
"#;

fn load(text: &str) -> Result<Config, ConfigError> {
    let path = Path::new("/repo/.kubelint.yaml");
    let file = Config::parse(path, text)?;
    Config::compile(PathBuf::from("/repo"), Some(path.into()), file)
}

#[test]
fn the_documented_keys_are_accepted() {
    let config = load(SAMPLE).unwrap();
    let prod = &config.environments_for(".pipeline/k8s/overlays/prod/app.yaml")[0];
    assert_eq!(prod.name, "prod");
    assert_eq!(prod.spec.platform, Some(Platform::Ack));
    assert_eq!(prod.spec.region.as_deref(), Some("cn-shanghai"));
    assert!(!prod.spec.mirrors["docker.io"].digests);
    let secret = &prod.spec.registries["financialagent-gxftdbbre4gtegea.azurecr.io"];
    assert_eq!(secret.pull_secret.as_deref(), Some("acr-secret"));
    assert_eq!(config.file.rules.disable[0].value, "some-rule");
    assert!(config.is_excluded("vendor/x/y.yaml"));
}

#[test]
fn a_path_in_two_environments_gets_both_in_name_order() {
    let config = load(SAMPLE).unwrap();
    let names: Vec<_> = config
        .environments_for("shared/app.yaml")
        .iter()
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(names, ["prod", "test"]);
    assert!(config.environments_for("elsewhere.yaml").is_empty());
}

#[test]
fn an_unknown_platform_is_an_error_at_its_line_and_column() {
    let error = load("environments:\n  prod:\n    platform: alibaba\n").unwrap_err();
    assert_eq!((error.line, error.column), (3, 15), "{error}");
    assert!(
        error.message.starts_with("unknown variant `alibaba`"),
        "{error}"
    );
}

#[test]
fn an_unknown_key_is_an_error_at_its_line() {
    let error = load("environments:\n  prod:\n    regoin: cn-shanghai\n").unwrap_err();
    assert_eq!(error.line, 3, "{error}");
    assert!(error.message.contains("regoin"), "{error}");
}

#[test]
fn an_invalid_glob_is_an_error_naming_the_field() {
    let error = load("exclude: [\"a/[\"]\n").unwrap_err();
    assert!(
        error.message.starts_with("exclude: invalid glob"),
        "{error}"
    );
}

#[test]
fn an_empty_file_is_an_empty_config() {
    let config = load("# nothing yet\n").unwrap();
    assert!(config.environments_for("a.yaml").is_empty());
}

#[test]
fn paths_are_matched_relative_to_the_config_folder() {
    let config = load(SAMPLE).unwrap();
    let relative = config.relative(Path::new(
        "/repo/./.pipeline/k8s/../k8s/overlays/prod/a.yaml",
    ));
    assert_eq!(relative, ".pipeline/k8s/overlays/prod/a.yaml");
}
