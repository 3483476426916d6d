//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`, `0.5`), read as numbers so rules can
//! compare them. The grammar is apimachinery's `resource.Quantity`: a signed decimal number,
//! then a binary suffix (`Ki` … `Ei`), a decimal suffix (`n`, `u`, `m`, `k`, `M` … `E`) or an
//! exponent (`e3`, `E-2`).

/// The value of a quantity, or `None` when the API server would reject it.
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    let number_end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '+' || c == '-'))))
        .map_or(text.len(), |(i, _)| i);
    let (number, suffix) = text.split_at(number_end);
    let digits = number.trim_start_matches(['+', '-']);
    if digits.is_empty()
        || digits == "."
        || digits.matches('.').count() > 1
        || !digits.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        exponent => {
            let exponent = exponent.strip_prefix(['e', 'E'])?;
            let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            10f64.powi(exponent.parse().ok()?)
        }
    };
    Some(value * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_and_exponents_scale_the_number() {
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("1Gi"), Some(1024f64.powi(3)));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("0.5"), Some(0.5));
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("128M"), Some(128e6));
        assert_eq!(parse("+1.5k"), Some(1500.0));
        assert!(parse("1Gi").unwrap() > parse("1G").unwrap());
    }

    #[test]
    fn what_the_api_server_rejects_is_none() {
        for bad in [
            "", "Gi", "1GB", "1gi", "one", "1.2.3", "1e", "--1", ".", "1 Gi", "1e3.5",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
