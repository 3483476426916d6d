//! The Kubernetes URL, IP and CIDR libraries: `url()`/`isURL()` with their getters, and
//! `ip()`/`isIP()`/`ip.isCanonical()`, `cidr()`/`isCIDR()` with theirs. URLs parse as Go's
//! `url.ParseRequestURI` reads them (an absolute URI or an absolute path); addresses as
//! Go's `netip` does, without zones and without IPv4-mapped IPv6 addresses, which the
//! Kubernetes library rejects.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use cel::extractors::{Arguments, This};
use cel::objects::{Key, Map, Opaque};
use cel::{Context, DeclarationError, ExecutionError, Value};

use super::error;

/// A parsed URL: its parts as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    scheme: String,
    /// `host:port` as written, brackets of an IPv6 host kept.
    host: String,
    path: String,
    query: String,
}

impl Opaque for Url {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.URL"
    }
}

fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Whether `%` escapes in `text` are each followed by two hex digits.
fn escapes_are_valid(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let pair = bytes.get(at + 1..at + 3);
            if !pair.is_some_and(|p| p.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            at += 3;
        } else {
            at += 1;
        }
    }
    true
}

fn valid_host(host: &str) -> bool {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let Some((inside, after)) = rest.split_once(']') else {
                return false;
            };
            if inside.parse::<std::net::Ipv6Addr>().is_err() {
                return false;
            }
            match after {
                "" => ("", None),
                _ => match after.strip_prefix(':') {
                    Some(port) => ("", Some(port)),
                    None => return false,
                },
            }
        }
        None => match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let name_ok = name
        .chars()
        .all(|c| c.is_alphanumeric() || "-._~!$&'()*+,;=%".contains(c))
        && escapes_are_valid(name);
    name_ok && port.is_none_or(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// Parses as `url.ParseRequestURI`: a scheme and then anything, or an absolute path.
pub fn parse_url(text: &str) -> Option<Url> {
    if text.is_empty() || text.chars().any(|c| c.is_control() || c == ' ') {
        return None;
    }
    let (scheme, rest) = match text.split_once(':') {
        Some((scheme, rest)) if is_scheme(scheme) => (scheme.to_ascii_lowercase(), rest),
        Some((before, _)) if !before.contains('/') => return None,
        _ => (String::new(), text),
    };
    if scheme.is_empty() && !rest.starts_with('/') {
        return None;
    }
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, query.to_string()),
        None => (rest, String::new()),
    };
    let (host, path) = match rest.strip_prefix("//") {
        Some(authority) if !scheme.is_empty() || rest.starts_with("//") => {
            let end = authority.find('/').unwrap_or(authority.len());
            let host = authority[..end].rsplit('@').next().unwrap_or_default();
            (host.to_string(), authority[end..].to_string())
        }
        _ => (String::new(), rest.to_string()),
    };
    if !valid_host(&host) || !escapes_are_valid(&path) {
        return None;
    }
    Some(Url {
        scheme,
        host,
        path,
        query,
    })
}

impl Url {
    /// The host without port or IPv6 brackets.
    fn hostname(&self) -> &str {
        if let Some(rest) = self.host.strip_prefix('[') {
            return rest.split(']').next().unwrap_or_default();
        }
        self.host.rsplit_once(':').map_or(&self.host, |(h, _)| h)
    }

    fn port(&self) -> &str {
        let after = match self.host.rfind(']') {
            Some(at) => &self.host[at + 1..],
            None => &self.host,
        };
        after.rsplit_once(':').map_or("", |(_, p)| p)
    }

    /// `getQuery()`: each key with its values in order, `+` and escapes decoded.
    fn query_map(&self) -> Value {
        let mut map: HashMap<Key, Vec<Value>> = HashMap::new();
        for pair in self.query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                let spaced = s.replace('+', " ");
                percent_encoding::percent_decode_str(&spaced)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            map.entry(Key::String(Arc::new(decode(key))))
                .or_default()
                .push(Value::from(decode(value)));
        }
        let map: HashMap<Key, Value> = map
            .into_iter()
            .map(|(k, v)| (k, Value::List(Arc::new(v))))
            .collect();
        Value::Map(Map { map: Arc::new(map) })
    }
}

/// An IP address, `kubernetes.IP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ip(IpAddr);

impl Opaque for Ip {
    fn runtime_type_name(&self) -> &str {
        "net.IP"
    }
}

/// A CIDR, `kubernetes.CIDR`: an address and a prefix length, the address as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    address: IpAddr,
    bits: u8,
}

impl Opaque for Cidr {
    fn runtime_type_name(&self) -> &str {
        "net.IPNet"
    }
}

/// An address as the library accepts it: no zone, no IPv4-mapped IPv6.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let address: IpAddr = text.parse().ok()?;
    match address {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => None,
        _ => Some(address),
    }
}

pub fn parse_cidr(text: &str) -> Option<Cidr> {
    let (address, bits) = text.split_once('/')?;
    let address = parse_ip(address)?;
    let leading_zero = bits.len() > 1 && bits.starts_with('0');
    if leading_zero || bits.is_empty() || !bits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let bits: u8 = bits.parse().ok()?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some(Cidr { address, bits })
}

fn as_bits(address: IpAddr) -> (u128, u8) {
    match address {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn from_bits(bits: u128, v4: bool) -> IpAddr {
    if v4 {
        IpAddr::V4(std::net::Ipv4Addr::from(bits as u32))
    } else {
        IpAddr::V6(std::net::Ipv6Addr::from(bits))
    }
}

impl Cidr {
    fn mask(&self) -> u128 {
        let (_, width) = as_bits(self.address);
        let full = if width == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        match u32::from(width - self.bits) {
            shift if shift >= 128 => 0,
            shift => (full >> shift) << shift,
        }
    }

    fn masked(&self) -> Cidr {
        let (bits, _) = as_bits(self.address);
        Cidr {
            address: from_bits(bits & self.mask(), self.address.is_ipv4()),
            bits: self.bits,
        }
    }

    fn contains(&self, address: IpAddr) -> bool {
        address.is_ipv4() == self.address.is_ipv4()
            && as_bits(address).0 & self.mask() == as_bits(self.address).0 & self.mask()
    }
}

fn ip_of(value: &Value, function: &str) -> Result<IpAddr, ExecutionError> {
    match value {
        Value::Opaque(opaque) => opaque
            .downcast_ref::<Ip>()
            .map(|ip| ip.0)
            .ok_or_else(|| error(function, "not an IP")),
        Value::String(text) => parse_ip(text)
            .ok_or_else(|| error(function, format!("IP Address `{text}` parse error"))),
        _ => Err(error(function, "not an IP")),
    }
}

fn cidr_of(value: &Value, function: &str) -> Result<Cidr, ExecutionError> {
    match value {
        Value::Opaque(opaque) => opaque
            .downcast_ref::<Cidr>()
            .copied()
            .ok_or_else(|| error(function, "not a CIDR")),
        Value::String(text) => parse_cidr(text)
            .ok_or_else(|| error(function, format!("network address `{text}` parse error"))),
        _ => Err(error(function, "not a CIDR")),
    }
}

fn url_of(value: &Value, function: &str) -> Result<Url, ExecutionError> {
    match value {
        Value::Opaque(opaque) => opaque
            .downcast_ref::<Url>()
            .cloned()
            .ok_or_else(|| error(function, "not a URL")),
        _ => Err(error(function, "not a URL")),
    }
}

fn first(args: &Arguments, function: &str) -> Result<Value, ExecutionError> {
    args.0
        .first()
        .cloned()
        .ok_or_else(|| error(function, "needs an argument"))
}

/// Go's `IsGlobalUnicast`: any unicast address that is not loopback, link-local or
/// unspecified (private ranges included).
fn is_global_unicast(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_multicast()
                || v4.is_link_local()
                || v4.is_broadcast())
        }
        IpAddr::V6(v6) => {
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || v6.is_unicast_link_local())
        }
    }
}

fn is_link_local_multicast(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => v4.octets()[..3] == [224, 0, 0],
        IpAddr::V6(v6) => v6.segments()[0] & 0xff0f == 0xff02,
    }
}

type Predicate = fn(IpAddr) -> bool;

/// One part of a URL, as a getter gives it.
type Getter = fn(&Url) -> String;

/// Adds the URL, IP and CIDR functions.
pub fn register(context: &mut Context<'_, '_>) -> Result<(), DeclarationError> {
    context.add_function(
        "url",
        |This(text): This<Arc<String>>| -> Result<Value, ExecutionError> {
            let url = parse_url(&text)
                .ok_or_else(|| error("url", format!("URL `{text}` parse error")))?;
            Ok(Value::Opaque(Arc::new(url)))
        },
    )?;
    context.add_function("isURL", |This(text): This<Arc<String>>| {
        parse_url(&text).is_some()
    })?;
    let getters: [(&str, Getter); 4] = [
        ("getScheme", |u| u.scheme.clone()),
        ("getHost", |u| u.host.clone()),
        ("getHostname", |u| u.hostname().to_string()),
        ("getPort", |u| u.port().to_string()),
    ];
    for (name, getter) in getters {
        context.add_function(
            name,
            move |This(this): This<Value>| -> Result<Value, ExecutionError> {
                Ok(Value::from(getter(&url_of(&this, name)?)))
            },
        )?;
    }
    context.add_function(
        "getEscapedPath",
        |This(this): This<Value>| -> Result<Value, ExecutionError> {
            Ok(Value::from(url_of(&this, "getEscapedPath")?.path))
        },
    )?;
    context.add_function(
        "getQuery",
        |This(this): This<Value>| -> Result<Value, ExecutionError> {
            Ok(url_of(&this, "getQuery")?.query_map())
        },
    )?;
    // `ip(text)` parses; `cidr.ip()` is the CIDR's address.
    context.add_function(
        "ip",
        |This(this): This<Value>| -> Result<Value, ExecutionError> {
            let address = match &this {
                Value::Opaque(opaque) if opaque.downcast_ref::<Cidr>().is_some() => {
                    cidr_of(&this, "ip")?.address
                }
                other => ip_of(other, "ip")?,
            };
            Ok(Value::Opaque(Arc::new(Ip(address))))
        },
    )?;
    context.add_function("isIP", |This(text): This<Arc<String>>| {
        parse_ip(&text).is_some()
    })?;
    context.add_function(
        "ip.isCanonical",
        |This(text): This<Arc<String>>| -> Result<bool, ExecutionError> {
            let address = ip_of(&Value::String(Arc::clone(&text)), "ip.isCanonical")?;
            Ok(address.to_string() == *text)
        },
    )?;
    context.add_function(
        "family",
        |This(this): This<Value>| -> Result<i64, ExecutionError> {
            Ok(if ip_of(&this, "family")?.is_ipv4() {
                4
            } else {
                6
            })
        },
    )?;
    let predicates: [(&str, Predicate); 5] = [
        ("isUnspecified", |a| a.is_unspecified()),
        ("isLoopback", |a| a.is_loopback()),
        ("isLinkLocalMulticast", is_link_local_multicast),
        ("isLinkLocalUnicast", |a| match a {
            IpAddr::V4(v4) => v4.is_link_local(),
            IpAddr::V6(v6) => v6.is_unicast_link_local(),
        }),
        ("isGlobalUnicast", is_global_unicast),
    ];
    for (name, predicate) in predicates {
        context.add_function(
            name,
            move |This(this): This<Value>| -> Result<bool, ExecutionError> {
                Ok(predicate(ip_of(&this, name)?))
            },
        )?;
    }
    context.add_function(
        "cidr",
        |This(text): This<Arc<String>>| -> Result<Value, ExecutionError> {
            let cidr = cidr_of(&Value::String(text), "cidr")?;
            Ok(Value::Opaque(Arc::new(cidr)))
        },
    )?;
    context.add_function("isCIDR", |This(text): This<Arc<String>>| {
        parse_cidr(&text).is_some()
    })?;
    context.add_function(
        "containsIP",
        |This(this): This<Value>, args: Arguments| -> Result<bool, ExecutionError> {
            let address = ip_of(&first(&args, "containsIP")?, "containsIP")?;
            Ok(cidr_of(&this, "containsIP")?.contains(address))
        },
    )?;
    context.add_function(
        "containsCIDR",
        |This(this): This<Value>, args: Arguments| -> Result<bool, ExecutionError> {
            let outer = cidr_of(&this, "containsCIDR")?;
            let inner = cidr_of(&first(&args, "containsCIDR")?, "containsCIDR")?;
            Ok(inner.bits >= outer.bits && outer.contains(inner.address))
        },
    )?;
    context.add_function(
        "prefixLength",
        |This(this): This<Value>| -> Result<i64, ExecutionError> {
            Ok(i64::from(cidr_of(&this, "prefixLength")?.bits))
        },
    )?;
    context.add_function(
        "masked",
        |This(this): This<Value>| -> Result<Value, ExecutionError> {
            Ok(Value::Opaque(Arc::new(cidr_of(&this, "masked")?.masked())))
        },
    )?;
    Ok(())
}
