//! Each function of the URL, IP, CIDR, format and semver libraries, with the results the
//! Kubernetes library reference gives.

use std::sync::Arc;

use cel::{Context, Value};

fn eval(source: &str) -> Result<Value, String> {
    let env = Arc::new(super::environment());
    let program = env.compile(source).map_err(|e| e.to_string())?;
    let mut context = Context::with_env(env);
    super::register(&mut context).unwrap();
    program.execute(&context).map_err(|e| e.to_string())
}

fn is_true(source: &str) -> bool {
    eval(source) == Ok(Value::Bool(true))
}

fn text(source: &str) -> String {
    match eval(source) {
        Ok(Value::String(s)) => s.to_string(),
        other => panic!("{source}: {other:?}"),
    }
}

#[test]
fn urls_parse_absolute_uris_and_paths_and_give_their_parts() {
    assert!(is_true(
        "isURL('https://example.com:80/path?query=val#fragment')"
    ));
    assert!(is_true("isURL('/absolute-path')"));
    assert!(!is_true("isURL('relative/path')"));
    assert!(!is_true("isURL('https://exa mple.com')"));
    assert!(!is_true("isURL('')"));
    assert_eq!(text("url('https://example.com/').getScheme()"), "https");
    assert_eq!(text("url('/path').getScheme()"), "");
    assert_eq!(
        text("url('https://example.com:80/').getHost()"),
        "example.com:80"
    );
    assert_eq!(text("url('https://[::1]:80/').getHost()"), "[::1]:80");
    assert_eq!(text("url('https://[::1]:80/').getHostname()"), "::1");
    assert_eq!(
        text("url('https://example.com:80/').getHostname()"),
        "example.com"
    );
    assert_eq!(text("url('https://example.com:80/').getPort()"), "80");
    assert_eq!(text("url('https://example.com/').getPort()"), "");
    assert_eq!(
        text("url('https://example.com/path with spaces/'.replace(' ', '%20')).getEscapedPath()"),
        "/path%20with%20spaces/"
    );
    assert!(is_true(
        "url('https://example.com/?k=a&k=b&x=1+2').getQuery() == {'k': ['a', 'b'], 'x': ['1 2']}"
    ));
    assert!(
        eval("url('not a url')")
            .unwrap_err()
            .contains("parse error")
    );
}

#[test]
fn ips_parse_without_zones_or_mapped_addresses_and_answer_their_predicates() {
    assert!(is_true("isIP('127.0.0.1')"));
    assert!(is_true("isIP('::1')"));
    assert!(!is_true("isIP('127.0.0.256')"));
    assert!(!is_true("isIP('fe80::1%eth0')"));
    assert!(!is_true("isIP('::ffff:1.2.3.4')"));
    assert!(!is_true("isIP('010.0.0.1')"));
    assert!(is_true("ip.isCanonical('2001:db8::abcd')"));
    assert!(!is_true("ip.isCanonical('2001:DB8::ABCD')"));
    assert!(!is_true("ip.isCanonical('2001:db8:0:0:0:0:0:abcd')"));
    assert_eq!(eval("ip('127.0.0.1').family()"), Ok(Value::Int(4)));
    assert_eq!(eval("ip('::1').family()"), Ok(Value::Int(6)));
    assert!(is_true("ip('0.0.0.0').isUnspecified()"));
    assert!(is_true("ip('127.0.0.1').isLoopback()"));
    assert!(is_true("ip('::1').isLoopback()"));
    assert!(is_true("ip('224.0.0.1').isLinkLocalMulticast()"));
    assert!(!is_true("ip('224.0.1.1').isLinkLocalMulticast()"));
    assert!(is_true("ip('ff02::1').isLinkLocalMulticast()"));
    assert!(is_true("ip('169.254.169.254').isLinkLocalUnicast()"));
    assert!(is_true("ip('fe80::1').isLinkLocalUnicast()"));
    assert!(is_true("ip('192.168.0.1').isGlobalUnicast()"));
    assert!(!is_true("ip('255.255.255.255').isGlobalUnicast()"));
    assert!(!is_true("ip('ff00::1').isGlobalUnicast()"));
    assert!(eval("ip('1.2.3')").unwrap_err().contains("parse error"));
}

#[test]
fn cidrs_contain_addresses_and_narrower_cidrs_of_their_family() {
    assert!(is_true("isCIDR('192.168.0.0/16')"));
    assert!(is_true("isCIDR('::1/128')"));
    assert!(!is_true("isCIDR('192.168.0.0/33')"));
    assert!(!is_true("isCIDR('192.168.0.0')"));
    assert!(!is_true("isCIDR('192.168.0.0/016')"));
    assert!(is_true(
        "cidr('192.168.0.0/16').containsIP(ip('192.168.1.1'))"
    ));
    assert!(is_true("cidr('192.168.0.0/16').containsIP('192.168.1.1')"));
    assert!(!is_true("cidr('192.168.0.0/16').containsIP('10.0.0.1')"));
    assert!(!is_true("cidr('::/0').containsIP('10.0.0.1')"));
    assert!(is_true("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')"));
    assert!(!is_true("cidr('10.1.0.0/16').containsCIDR('10.0.0.0/8')"));
    assert!(is_true(
        "cidr('10.0.0.0/8').containsCIDR(cidr('10.0.0.0/8'))"
    ));
    assert_eq!(eval("cidr('10.0.0.0/8').prefixLength()"), Ok(Value::Int(8)));
    assert!(is_true(
        "cidr('192.168.1.5/24').masked() == cidr('192.168.1.0/24')"
    ));
    assert!(is_true("cidr('192.168.1.5/24').ip() == ip('192.168.1.5')"));
    assert!(is_true("cidr('::1/0').masked() == cidr('::/0')"));
}

#[test]
fn named_formats_validate_to_none_or_the_list_of_problems() {
    assert!(is_true(
        "!format.dns1123Label().validate('my-name').hasValue()"
    ));
    assert!(is_true(
        "format.dns1123Label().validate('My_Name').hasValue()"
    ));
    let long = "a".repeat(64);
    assert!(is_true(&format!(
        "format.dns1123Label().validate('{long}').value() == ['must be no more than 63 characters']"
    )));
    assert!(is_true(
        "!format.dns1123Subdomain().validate('a.example.com').hasValue()"
    ));
    assert!(is_true("format.dns1035Label().validate('1abc').hasValue()"));
    assert!(is_true(
        "!format.dns1123LabelPrefix().validate('web-').hasValue()"
    ));
    assert!(is_true("format.dns1123Label().validate('web-').hasValue()"));
    assert!(is_true(
        "!format.qualifiedName().validate('example.com/My.Name').hasValue()"
    ));
    assert!(is_true(
        "format.qualifiedName().validate('/name').hasValue()"
    ));
    assert!(is_true("!format.labelValue().validate('').hasValue()"));
    assert!(is_true("format.labelValue().validate('-x').hasValue()"));
    assert!(is_true(
        "!format.uri().validate('https://example.com').hasValue()"
    ));
    assert!(is_true(
        "!format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()"
    ));
    assert!(is_true("format.byte().validate('%%%').hasValue()"));
    assert!(is_true("!format.date().validate('2024-02-29').hasValue()"));
    assert!(is_true("format.date().validate('2023-02-29').hasValue()"));
    assert!(is_true(
        "!format.datetime().validate('2024-01-02T03:04:05Z').hasValue()"
    ));
    assert!(is_true(
        "format.datetime().validate('2024-01-02 03:04').hasValue()"
    ));
    assert!(is_true("format.named('dns1123Label').hasValue()"));
    assert!(is_true("!format.named('nope').hasValue()"));
    assert!(is_true(
        "!format.named('uuid').value().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()"
    ));
}

#[test]
fn semvers_parse_strictly_unless_normalized_and_compare_by_precedence() {
    assert!(is_true("isSemver('1.2.3-alpha.1+build')"));
    assert!(!is_true("isSemver('v1.2.3')"));
    assert!(!is_true("isSemver('1.2')"));
    assert!(!is_true("isSemver('01.2.3')"));
    assert!(is_true("isSemver('v1.2', true)"));
    assert!(is_true("semver('v01.02', true) == semver('1.2.0')"));
    assert_eq!(eval("semver('1.2.3').major()"), Ok(Value::Int(1)));
    assert_eq!(eval("semver('1.2.3').minor()"), Ok(Value::Int(2)));
    assert_eq!(eval("semver('1.2.3').patch()"), Ok(Value::Int(3)));
    assert!(is_true("semver('1.2.3').isLessThan(semver('1.10.0'))"));
    assert!(is_true(
        "semver('1.0.0').isGreaterThan(semver('1.0.0-rc.1'))"
    ));
    assert_eq!(
        eval("semver('1.0.0+a').compareTo(semver('1.0.0+b'))"),
        Ok(Value::Int(0))
    );
    assert!(
        eval("semver('x')")
            .unwrap_err()
            .contains("not a valid semantic version")
    );
    // Quantities still compare under the same names.
    assert!(is_true("quantity('1Gi').isGreaterThan(quantity('1G'))"));
}
