//! Container image references, parsed the way container runtimes parse them.
//!
//! The kubelet hands `image:` strings to containerd / CRI-O, which normalise them with
//! `ParseNormalizedNamed` from github.com/distribution/reference. Rules that reason about
//! registries, tags or digests must see the registry and repository the runtime will pull,
//! so this module follows that grammar rather than a looser "split on `/` and `:`". It is
//! hand-written instead of reusing the upstream regular expressions so that every error can
//! name the byte where the reference goes wrong.
//!
//! Deliberate differences from upstream, each so that rules compare like with like:
//! `registry-1.docker.io` is another Docker Hub alias; registry hosts are lower-cased; and a
//! host-like first component that upstream keeps inside the path (`foo_bar.com/app`) is
//! reported as the registry, which is where containerd then pulls from.

use std::fmt;

/// The name runtimes give Docker Hub once a reference is normalised.
const DOCKER_HUB: &str = "docker.io";
/// Hosts that all mean Docker Hub. `registry-1.docker.io` is not in distribution/reference,
/// but it is Hub's real API host and charts write it; treating it as another registry would
/// make registry allow-lists and `library/` normalisation disagree about the same image.
const DOCKER_HUB_ALIASES: [&str; 3] = [DOCKER_HUB, "index.docker.io", "registry-1.docker.io"];
/// Namespace of Docker Hub's official images: `redis` really is `library/redis`.
const OFFICIAL_NAMESPACE: &str = "library/";
/// distribution/reference caps the normalised repository path, not the registry host.
const MAX_REPOSITORY_LEN: usize = 255;
/// Tags are `[\w][\w.-]{0,127}`.
const MAX_TAG_LEN: usize = 128;
/// Longest stretch of user input quoted in a message, so a 10 KB value stays readable.
const MAX_QUOTED_CHARS: usize = 64;

/// A container image reference, normalised as container runtimes normalise it:
/// `redis:7` is registry `docker.io`, repository `library/redis`, tag `7`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (with port if any), lower-cased host as written; Docker Hub aliases
    /// (`index.docker.io`, `registry-1.docker.io`, `docker.io`, none) all become `docker.io`.
    /// A host marked only by upper case (`Foo/bar`) keeps its case: lower-cased it would read
    /// as a Docker Hub namespace.
    pub registry: String,
    /// Repository path inside the registry; `library/` prepended for single-component Docker Hub names.
    pub repository: String,
    pub tag: Option<String>,
    /// Full digest including algorithm, e.g. `sha256:abc…`.
    pub digest: Option<String>,
}

/// A part of an image reference as written, for pointing at the text that set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImagePart {
    Registry,
    Tag,
    Digest,
}

impl ImagePart {
    /// Where the part starts in `reference`. A part the reference leaves out is placed where
    /// it would begin: no registry at the start, no tag at the last path component (the
    /// name a default tag applies to), no digest at the end.
    #[must_use]
    pub fn offset(self, reference: &str) -> usize {
        let name_end = reference.find('@').unwrap_or(reference.len());
        let name = &reference[..name_end];
        let last_slash = name.rfind('/');
        match self {
            ImagePart::Registry => 0,
            ImagePart::Digest => name_end,
            ImagePart::Tag => match name.rfind(':') {
                Some(colon) if last_slash.is_none_or(|slash| colon > slash) => colon,
                _ => last_slash.map_or(0, |slash| slash + 1),
            },
        }
    }
}

/// Why a reference is malformed, and where in the input string (byte offset) the problem starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRefError {
    pub message: String,
    pub offset: usize,
}

impl fmt::Display for ImageRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ImageRefError {}

type Result<T> = std::result::Result<T, ImageRefError>;

fn fail<T>(message: impl Into<String>, offset: usize) -> Result<T> {
    Err(ImageRefError {
        message: message.into(),
        offset,
    })
}

impl ImageRef {
    /// Parses `reference` with the rules of distribution/reference's `ParseNormalizedNamed`.
    ///
    /// # Errors
    /// When the runtime would refuse the reference too; the error says why and where.
    pub fn parse(reference: &str) -> std::result::Result<ImageRef, ImageRefError> {
        if reference.is_empty() {
            return fail("empty image reference", 0);
        }
        // Runtimes do not trim, so `" redis"` fails to pull; say why rather than "invalid character".
        if reference.starts_with(char::is_whitespace) {
            return fail("leading whitespace in image reference", 0);
        }
        let trimmed = reference.trim_end();
        if trimmed.len() != reference.len() {
            return fail("trailing whitespace in image reference", trimmed.len());
        }
        // A bare 64-hex string is an image ID; upstream refuses to read it as a repository name.
        if reference.len() == 64 && is_lower_hex(reference) {
            return fail(
                "a 64-character hex string is an image id, not a repository name",
                0,
            );
        }
        // `@` cannot occur in names or tags, so the first one starts the digest.
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => {
                check_digest(digest, rest.len())?;
                (rest, Some(digest.to_owned()))
            }
            None => (reference, None),
        };
        // Only a registry port may hold `:` in a name, and it comes before the first `/`, so a
        // `:` after the last `/` starts the tag (and `localhost:5000` alone is a tagged name).
        let (name, tag) = match rest.rfind(':') {
            Some(colon) if rest.rfind('/').is_none_or(|slash| colon > slash) => {
                (&rest[..colon], Some((&rest[colon + 1..], colon)))
            }
            _ => (rest, None),
        };
        if name.is_empty() {
            return fail("missing repository name", 0);
        }
        let (mut registry, path, path_offset) = split_registry(name)?;
        check_path(path, path_offset)?;
        if DOCKER_HUB_ALIASES.contains(&registry.as_str()) {
            DOCKER_HUB.clone_into(&mut registry);
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("{OFFICIAL_NAMESPACE}{path}")
        } else {
            path.to_owned()
        };
        if repository.len() > MAX_REPOSITORY_LEN {
            let message = format!("repository name is longer than {MAX_REPOSITORY_LEN} characters");
            return fail(message, path_offset);
        }
        // The name is checked first: in `[::1]` the "tag" `1]` is only a symptom of a bad name.
        if let Some((tag, colon)) = tag {
            check_tag(tag, colon)?;
        }
        let tag = tag.map(|(tag, _)| tag.to_owned());
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// True when the image comes from Docker Hub.
    #[must_use]
    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB
    }

    /// The fully qualified form: `docker.io/library/redis:7`, `host:5000/a/b@sha256:…`, `x/y:t@sha256:…`.
    #[must_use]
    pub fn canonical(&self) -> String {
        let mut out = format!("{}/{}", self.registry, self.repository);
        if let Some(tag) = &self.tag {
            out = format!("{out}:{tag}");
        }
        if let Some(digest) = &self.digest {
            out = format!("{out}@{digest}");
        }
        out
    }

    /// A tag that moves: no digest and the tag is absent, `latest`, or a bare major version (`7`, `v7`).
    ///
    /// A digest pins the content whatever the tag says, so only undigested references can drift.
    #[must_use]
    pub fn has_mutable_tag(&self) -> bool {
        match (&self.digest, self.tag.as_deref()) {
            (Some(_), _) => false,
            (None, None | Some("latest")) => true,
            (None, Some(tag)) => {
                let major = tag.strip_prefix('v').unwrap_or(tag);
                !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit())
            }
        }
    }
}

/// Splits off the registry as `splitDockerDomain` does: the first component is a host only if
/// it has a `.` or `:`, is `localhost`, or has an upper-case letter (namespaces cannot).
/// Returns the lower-cased registry, the repository path and the path's offset in the input.
fn split_registry(name: &str) -> Result<(String, &str, usize)> {
    let Some((first, path)) = name.split_once('/') else {
        return Ok((DOCKER_HUB.to_owned(), name, 0));
    };
    let uppercase = first.bytes().any(|b| b.is_ascii_uppercase());
    if !(first.contains(['.', ':']) || first == "localhost" || uppercase) {
        return Ok((DOCKER_HUB.to_owned(), name, 0));
    }
    // Upstream quirk: a host-like first component that fails the host grammar but is a valid
    // path component (`foo_bar.com/app`) still parses, and containerd then pulls from that
    // host; accept it too so the linter does not flag images that do run.
    if let Err(host_error) = check_host(first) {
        check_component(first, 0).map_err(|_| host_error)?;
    }
    // Host names are case-insensitive; lower-casing lets rules compare registries directly.
    // Not when upper case is all that marks a host (`Foo/bar`): `foo/bar` is a Docker Hub
    // namespace, so `canonical()` would name a different image.
    let lowered = first.to_ascii_lowercase();
    let keep_case = !(lowered.contains(['.', ':']) || lowered == "localhost");
    Ok((
        if keep_case { first.to_owned() } else { lowered },
        path,
        first.len() + 1,
    ))
}

/// `host [":" port]`, host being dot-separated `[a-zA-Z0-9-]` labels or a bracketed IPv6 address.
fn check_host(domain: &str) -> Result<()> {
    let invalid = |offset: usize| fail(format!("invalid registry host {}", quote(domain)), offset);
    let port = if let Some(ipv6) = domain.strip_prefix('[') {
        // Only hex-and-colon addresses: zones (`%eth0`) and embedded IPv4 are refused upstream.
        let Some(end) = ipv6.find(']') else {
            return invalid(0);
        };
        if let Some(bad) = ipv6[..end].find(|c: char| !(c.is_ascii_hexdigit() || c == ':')) {
            return invalid(1 + bad);
        } else if end == 0 {
            return invalid(1);
        }
        match &domain[end + 2..] {
            "" => None,
            rest if rest.starts_with(':') => Some((&rest[1..], end + 3)),
            _ => return invalid(end + 2),
        }
    } else {
        let (host, port) = match domain.split_once(':') {
            Some((host, port)) => (host, Some((port, host.len() + 1))),
            None => (domain, None),
        };
        let mut offset = 0usize;
        for label in host.split('.') {
            let bad = label.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'));
            if label.is_empty() {
                return invalid(offset.saturating_sub(1));
            } else if let Some(bad) = bad.or(label.starts_with('-').then_some(0)) {
                return invalid(offset + bad);
            } else if label.ends_with('-') {
                return invalid(offset + label.len() - 1);
            }
            offset += label.len() + 1;
        }
        port
    };
    match port {
        Some((port, offset)) if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) => {
            fail(format!("invalid registry port {}", quote(port)), offset)
        }
        _ => Ok(()),
    }
}

/// Every `/`-separated part of the repository path must be a valid path component.
fn check_path(path: &str, offset: usize) -> Result<()> {
    let mut start = offset;
    for component in path.split('/') {
        check_component(component, start)?;
        start += component.len() + 1;
    }
    Ok(())
}

/// `[a-z0-9]+ (separator [a-z0-9]+)*` where a separator is `.`, `_`, `__` or a run of `-`.
fn check_component(component: &str, offset: usize) -> Result<()> {
    if component.is_empty() {
        return fail("empty component in repository name", offset);
    }
    if let Some(upper) = component.find(|c: char| c.is_ascii_uppercase()) {
        return fail("repository name must be lowercase", offset + upper);
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if let Some((at, c)) = component.char_indices().find(|&(_, c)| !allowed(c)) {
        return fail(
            format!("invalid character {c:?} in repository name"),
            offset + at,
        );
    }
    let bytes = component.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let separator = &component[start..i];
        if !separator.is_empty() && (start == 0 || i == bytes.len()) {
            let what = format!("repository name component {}", quote(component));
            return fail(
                format!("{what} must start and end with a letter or digit"),
                offset + start,
            );
        }
        if !matches!(separator, "" | "." | "_" | "__") && !separator.bytes().all(|b| b == b'-') {
            let message = format!("invalid separator {} in repository name", quote(separator));
            return fail(message, offset + start);
        }
        i += 1;
    }
    Ok(())
}

/// Tags are `[\w][\w.-]{0,127}` with ASCII word characters; `colon` is the offset of the `:`.
fn check_tag(tag: &str, colon: usize) -> Result<()> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let Some((&first, rest)) = tag.as_bytes().split_first() else {
        return fail("empty tag after `:`", colon);
    };
    if !word(first) || !rest.iter().all(|&b| word(b) || b == b'.' || b == b'-') {
        return fail(format!("invalid tag {}", quote(tag)), colon + 1);
    }
    if tag.len() > MAX_TAG_LEN {
        let message = format!(
            "invalid tag {}: longer than {MAX_TAG_LEN} characters",
            quote(tag)
        );
        return fail(message, colon + 1);
    }
    Ok(())
}

/// `algorithm ":" hex`, limited to the algorithms runtimes register (go-digest's sha256,
/// sha384 and sha512), each with its exact lower-case hex length; `at` is the offset of `@`.
fn check_digest(digest: &str, at: usize) -> Result<()> {
    if digest.is_empty() {
        return fail("missing digest after `@`", at);
    }
    let invalid = |why: &str| fail(format!("invalid digest {}: {why}", quote(digest)), at + 1);
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return invalid("expected `algorithm:hex`");
    };
    let lower_alnum = |part: &str| {
        part.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    if algorithm
        .split(['+', '.', '_', '-'])
        .any(|part| part.is_empty() || !lower_alnum(part))
    {
        return invalid("malformed algorithm");
    }
    let hex_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return fail(
                format!("unsupported digest algorithm {}", quote(algorithm)),
                at + 1,
            );
        }
    };
    if encoded.len() != hex_len || !is_lower_hex(encoded) {
        return invalid(&format!(
            "{algorithm} needs {hex_len} lower-case hex characters"
        ));
    }
    Ok(())
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Back-quotes user input for a message, cut short so huge inputs give readable errors.
fn quote(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("`{}…`", &s[..cut]),
        None => format!("`{s}`"),
    }
}

#[cfg(test)]
mod tests {
    //! Cases ported from distribution/reference's `reference_test.go`, `normalize_test.go`
    //! (`ParseNormalizedNamed`) and `regexp_test.go`, plus kubelint's own.
    use super::*;

    const SHA256: &str = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    /// An image id: refused alone, fine as a repository name once qualified.
    const ID: &str = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";

    /// Rows of whitespace-separated columns with `{sha256}`, `{sha512}`, `{ID}` and `{SONG}`
    /// expanded; cases are separated by new lines or `;`.
    fn rows(table: &str) -> Vec<Vec<String>> {
        let sha512 = format!("sha512:{}", "f".repeat(128));
        let song = "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev";
        let expand = |s: &str| {
            let s = s.replace("{sha256}", SHA256).replace("{sha512}", &sha512);
            s.replace("{ID}", ID).replace("{SONG}", song)
        };
        let lines = table
            .split(['\n', ';'])
            .filter(|line| !line.trim().is_empty());
        lines
            .map(|line| line.split_whitespace().map(expand).collect())
            .collect()
    }

    /// Rows of `input [canonical]`, all on Docker Hub or none; off Hub the canonical form
    /// defaults to the input, on Hub it is only checked when given.
    fn assert_parses(table: &str, docker_hub: bool) {
        for row in rows(table) {
            let input = &row[0];
            let parsed = ImageRef::parse(input);
            let image = parsed.unwrap_or_else(|e| panic!("{input:?}: {e} at {}", e.offset));
            if let Some(expected) = row.get(1).or((!docker_hub).then_some(input)) {
                assert_eq!(&image.canonical(), expected, "{input}");
            }
            assert_eq!(image.is_docker_hub(), docker_hub, "{input}");
            let again = ImageRef::parse(&image.canonical());
            assert_eq!(again, Ok(image), "canonical form of {input}");
        }
    }

    /// Rows of `input offset [message prefix]`.
    fn assert_rejected(table: &str) {
        for row in rows(table) {
            let (input, offset, message) = (&row[0], &row[1], row[2..].join(" "));
            let e = ImageRef::parse(input).expect_err(input);
            assert_eq!(&e.offset.to_string(), offset, "{input}: {}", e.message);
            assert!(e.message.starts_with(&message), "{input}: {}", e.message);
        }
    }

    #[test]
    fn familiar_names_normalise_to_docker_hub() {
        let redis = ImageRef {
            registry: "docker.io".into(),
            repository: "library/redis".into(),
            tag: Some("7".into()),
            digest: None,
        };
        assert_eq!(ImageRef::parse("redis:7"), Ok(redis));
        assert_parses(
            "redis:7                             docker.io/library/redis:7
             redis                               docker.io/library/redis
             docker.io/library/redis             docker.io/library/redis
             docker.io/redis                     docker.io/library/redis
             index.docker.io/redis               docker.io/library/redis
             INDEX.docker.io/redis               docker.io/library/redis
             registry-1.docker.io/bitnami/redis  docker.io/bitnami/redis
             registry-1.docker.io/redis          docker.io/library/redis
             library/redis                       docker.io/library/redis
             library/foo/bar                     docker.io/library/foo/bar
             store/foo/bar                       docker.io/store/foo/bar
             other/library                       docker.io/other/library
             ubuntu-12.04-base                   docker.io/library/ubuntu-12.04-base
             test_com/foo                        docker.io/test_com/foo
             foo/foo_bar.com:8080                docker.io/foo/foo_bar.com:8080
             lowercase:Uppercase                 docker.io/library/lowercase:Uppercase
             docker---rules/docker               docker.io/docker---rules/docker
             dock__er/docker                     docker.io/dock__er/docker
             jess/t                              docker.io/jess/t
             redis@{sha256}                      docker.io/library/redis@{sha256}
             busybox:latest@{sha256}             docker.io/library/busybox:latest@{sha256}
             docker.io/{ID}                      docker.io/library/{ID}
             {SONG}                              docker.io/library/{SONG}",
            true,
        );
    }

    #[test]
    fn colon_in_a_single_component_name_is_a_tag_not_a_port() {
        assert_parses(
            "localhost               docker.io/library/localhost
             localhost:5000          docker.io/library/localhost:5000
             localhost:8080@{sha256} docker.io/library/localhost:8080@{sha256}
             test.com:5000           docker.io/library/test.com:5000
             192.168.0.1:80          docker.io/library/192.168.0.1:80
             foo_bar.com:8080        docker.io/library/foo_bar.com:8080",
            true,
        );
    }

    #[test]
    fn explicit_registries_keep_host_and_port() {
        let name = "registry.cn-hangzhou.aliyuncs.com/google_containers/nginx-ingress-controller";
        let image = ImageRef::parse(&format!("{name}:v1.9.4@{SHA256}")).unwrap();
        assert_eq!(format!("{}/{}", image.registry, image.repository), name);
        assert_eq!(
            (image.tag.as_deref(), image.digest.as_deref()),
            (Some("v1.9.4"), Some(SHA256))
        );
        assert_parses(
            "localhost/foo; localhost:5000/foo/bar:v1; [::1]:5000/foo
             financialagent-gxftdbbre4gtegea.azurecr.io/klinecubic/backend:prod-v0.6.0
             test:5000/repo:tag@{sha256}; sub-dom1.foo.com/bar/baz/quux:some-long-tag
             b.gcr.io/test.example.com/my-app:test.example.com
             xn--7o8h.com/myimage:xn--7o8h.com@{sha512}; 192.168.1.1/repo
             192.168.1.1:5000/repo:5050; 127.0.0.1:5000/library/debian; [2001:db8::1]/repo
             [2001:db8:1:2:3:4:5:6]/repo:tag; [2001:db8::1]:5000/repo:tag@{sha256}
             [fc00:1:2:3:4:5:6:7]:5000/library/debian
             registry.io/foo/project--id.module--name.ver---sion--name
             example.com/some_separator__underscore/myimage; foo_bar.com/app; Docker/docker
             LOCALHOST/foo localhost/foo; Asdf.com:5000/foo/bar asdf.com:5000/foo/bar",
            false,
        );
    }

    #[test]
    fn registry_host_follows_the_domain_grammar() {
        let valid = "test.com test.com:10304 localhost localhost:8080 a.b ab.cd.com a-b.com ab.c-om \
            0101.com 001a.com b.gbc.io:443 xn--n3h.com:18080 test-com:8080 192.168.1.1:75050 \
            [fd00:1:2::3]:75050 [fd00123123123]:75050 [2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050";
        assert_parses(&format!("{}/foo", valid.replace(' ', "/foo\n")), false);
        assert_rejected(
            "test.com:http/foo 9 invalid registry port `http`
             -ab.com/foo 0 invalid registry host `-ab.com`; ab-.com/foo 2; ab.-com/foo 3
             ab.com-/foo 6; https://github.com/docker/docker 6 invalid registry port ``
             [fd00:1:2::3]75050/foo 13; [fd00:1:2::3]::75050/foo 14 invalid registry port `:75050`
             [fd00:1:2::3%eth0]:75050/foo 12; [fe80::1%eth0]:5000/foo 8
             [2001:db8:3:4::192.0.2.33]:5000/foo 18; fc00::1:5000/debian 5; []:5/foo 1; [::1/foo 0
             Foo_bar/foo 3; do__cker:8080/docker 2; dock..er/docker 4; docker./docker 6
             dock_.er/docker 4; -docker.io/docker/docker 0",
        );
    }

    #[test]
    fn uppercase_repository_is_rejected_at_the_uppercase_character() {
        assert_rejected(
            "Uppercase:tag 0 repository name must be lowercase
             test:5000/Uppercase/lowercase:tag 10 repository name must be lowercase
             docker/Docker 7 repository name must be lowercase
             docker.io/docker/Docker 17 repository name must be lowercase
             Foo/FarB 4 repository name must be lowercase
             redIs 3 repository name must be lowercase",
        );
    }

    #[test]
    fn malformed_repository_names_are_rejected_at_the_fault() {
        assert_rejected(
            "aa/asdf$$^/aa 7 invalid character '$' in repository name; a^a 1
             -docker 0 repository name component `-docker` must start and end with a letter or digit
             -docker/docker 0; docker-/docker 6; -docker-/docker 0
             docker///docker 7 empty component in repository name; docker/ 7 empty component
             a/a/a/a/ 8; / 0; foo/-bar 4; foo/bar- 7; ____/____ 0; _docker/_docker 0
             docker_/docker_ 6; dock-.er/docker 4; .docker/docker 0
             example.com/__underscore/myimage 12; example.com/.dots/myimage 12
             example.com/nodouble..dots/myimage 20 invalid separator `..` in repository name
             [fc00::1] 0 invalid character '['; [fc00::1]:5000 0
             foo:bar:baz 3 invalid character ':'; rédis:7 1 invalid character 'é'",
        );
    }

    #[test]
    fn repository_longer_than_255_is_rejected() {
        let too_long = "repository name is longer than 255 characters";
        // The limit is on the normalised path: the implied `library/` counts ...
        assert_parses(&format!("{}\n", "a".repeat(247)), true);
        assert_rejected(&format!("{} 0 {too_long}", "a".repeat(248)));
        assert_rejected(&format!("{}a:tag 0 {too_long}", "a/".repeat(128)));
        assert_rejected(&format!(
            "{}/docker 0 {too_long}",
            "this_is_not_a_valid_namespace".repeat(9)
        ));
        // ... the tag and the registry do not.
        assert_parses(
            &format!("{}a:tag-puts-this-over-max", "a/".repeat(127)),
            true,
        );
        assert_parses(&format!("example.com/{}", "a".repeat(255)), false);
        assert_rejected(&format!("example.com/{} 12 {too_long}", "a".repeat(256)));
    }

    #[test]
    fn tags_follow_the_docker_tag_grammar() {
        assert_parses(
            &format!(
                "x:Uppercase\nx:_x\nx:v1.2-3_4\nx:TAG5\nx:8080\nx:{}",
                "t".repeat(128)
            ),
            true,
        );
        assert_rejected(&format!(
            "r.com:80/app:-foo 13 invalid tag `-foo`; r.com:80/app:.x 13
             r.com:80/app:invalid~tag 13; r.com:80/app:ü 13 invalid tag `ü`
             r.com:80/app:{} 13 invalid tag `ttt; redis: 5 empty tag after `:`",
            "t".repeat(129)
        ));
    }

    #[test]
    fn digests_need_a_supported_algorithm_and_exact_hex() {
        assert_parses(&format!("a@sha384:{}", "0".repeat(96)), true);
        assert_rejected(&format!(
            "repo@sha256:ffffffffffffffffffffffffffffffffff 5 invalid digest `sha256:ff
             repo@sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff 5 invalid digest
             repo@{{sha256}}f 5 invalid digest; repo@{} 5 invalid digest
             repo@{{sha256}}@{{sha256}} 5 invalid digest
             repo@invaliddigest:ffffffffffffffffffffffffffffffff 5 unsupported digest algorithm `invaliddigest`
             repo@md5:ffffffffffffffffffffffffffffffff 5 unsupported digest algorithm `md5`
             repo@SHA256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff 5 invalid digest
             repo@sha256+:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff 5 invalid digest
             repo@bad 5 invalid digest `bad`: expected `algorithm:hex`; repo@2bad 5 invalid digest
             repo@sha256: 5 invalid digest `sha256:`: sha256 needs 64 lower-case hex characters
             a@ 1 missing digest after `@`; @ 0 missing digest after `@`",
            SHA256.to_uppercase().replace("SHA", "sha")
        ));
    }

    #[test]
    fn empty_whitespace_and_nameless_references_are_rejected() {
        let e = ImageRef::parse("").unwrap_err();
        assert_eq!(
            (e.to_string(), e.offset),
            ("empty image reference".into(), 0)
        );
        for (input, offset, message) in [
            (" redis", 0, "leading whitespace in image reference"),
            ("redis:7\n", 7, "trailing whitespace in image reference"),
            ("a b", 1, "invalid character ' ' in repository name"),
        ] {
            let e = ImageRef::parse(input).unwrap_err();
            assert_eq!((e.offset, &*e.message), (offset, message), "{input:?}");
        }
        assert_rejected(
            ":justtag 0 missing repository name; : 0 missing repository name
             @{sha256} 0 missing repository name
             {ID} 0 a 64-character hex string is an image id, not a repository name",
        );
        assert_parses(&format!("{}\n{ID}:tag", &ID[1..]), true);
    }

    #[test]
    fn mutable_tags_are_absent_latest_or_bare_major_versions() {
        let mutable = |list: &str| -> Vec<bool> {
            let images = rows(list)
                .concat()
                .into_iter()
                .map(|i| ImageRef::parse(&i).unwrap());
            images.map(|image| image.has_mutable_tag()).collect()
        };
        let moving = "redis redis:latest redis:7 redis:v7 ghcr.io/a/b:12";
        assert_eq!(mutable(moving), [true; 5]);
        let pinned = "redis:7.2 redis:7.2-alpine redis:v redis@{sha256} redis:latest@{sha256}";
        assert_eq!(mutable(pinned), [false; 5]);
    }

    #[test]
    fn odd_input_never_panics_and_offsets_stay_in_bounds() {
        let big = "a".repeat(10 * 1024);
        let odd = "|:|@|a@|/|a//b|ünïcödé|🐳/🐳:🐳@🐳|[|[]|[:|]/a|a@@b|\0|a:b@c:d/e|\u{200b}redis";
        let mut inputs: Vec<String> = odd.split('|').map(String::from).collect();
        inputs.extend([
            format!("{big}:{big}@{big}"),
            big,
            "/".repeat(10240),
            "x.com/a".repeat(2000),
        ]);
        let alphabet: Vec<char> = "aA:/@.-_[]é 1".chars().collect();
        for &x in &alphabet {
            for &y in &alphabet {
                inputs.extend(alphabet.iter().map(|z| format!("{x}{y}{z}")));
            }
        }
        for input in &inputs {
            if let Err(e) = ImageRef::parse(input) {
                let in_bounds = e.offset <= input.len() && input.is_char_boundary(e.offset);
                assert!(in_bounds, "{input:?}: {e:?}");
                assert!(e.message.chars().count() < 200, "{input:?}: {}", e.message);
            }
        }
    }
}
