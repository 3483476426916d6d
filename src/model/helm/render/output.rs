//! `helm template`'s output, split into its documents, each with the template that wrote it
//! (helm heads every document with `# Source: <chart>/templates/<file>`).

/// One document of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// The template as helm names it: the chart's name, then its path in the chart
    /// (`app/templates/deployment.yaml`, `app/charts/redis/templates/svc.yaml`).
    pub source: &'a str,
    /// Which document of that template this is, from 0: a template may write several.
    pub index: usize,
    pub text: &'a str,
}

const SOURCE: &str = "# Source: ";

/// The documents of `output` in order; text before the first `---` and documents without a
/// `# Source:` line (helm writes none) are left out.
pub fn split(output: &str) -> Vec<Chunk<'_>> {
    let mut starts: Vec<usize> = Vec::new();
    let mut at = 0;
    for line in output.split_inclusive('\n') {
        if line.trim_end() == "---" {
            starts.push(at + line.len());
        }
        at += line.len();
    }
    let mut chunks: Vec<Chunk<'_>> = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts
            .get(n + 1)
            .map_or(output.len(), |&next| separator_start(output, next));
        let text = &output[start..end.max(start)];
        let Some(source) = text
            .lines()
            .next()
            .and_then(|first| first.strip_prefix(SOURCE))
        else {
            continue;
        };
        let source = source.trim_end();
        let index = chunks.iter().filter(|c| c.source == source).count();
        chunks.push(Chunk {
            source,
            index,
            text,
        });
    }
    chunks
}

/// Where the `---` line that ends just before `next` starts.
fn separator_start(output: &str, next: usize) -> usize {
    output[..next]
        .trim_end_matches(['\n', '\r'])
        .trim_end_matches('-')
        .len()
}

/// The template's path inside its chart folder: helm's name without the chart's name.
pub fn path_in_chart(source: &str) -> Option<&str> {
    source.split_once('/').map(|(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_document_keeps_its_template_and_its_place_among_that_templates_documents() {
        let output = "---\n# Source: app/templates/a.yaml\nkind: A\n---\n# Source: app/templates/b.yaml\nkind: B\n---\n# Source: app/templates/a.yaml\nkind: A2\n";
        let chunks = split(output);
        let shown: Vec<(&str, usize, &str)> = chunks
            .iter()
            .map(|c| (c.source, c.index, c.text.lines().nth(1).unwrap()))
            .collect();
        assert_eq!(
            shown,
            [
                ("app/templates/a.yaml", 0, "kind: A"),
                ("app/templates/b.yaml", 0, "kind: B"),
                ("app/templates/a.yaml", 1, "kind: A2")
            ]
        );
        assert!(chunks[0].text.ends_with("kind: A\n"));
    }

    #[test]
    fn the_chart_name_is_not_part_of_the_path_in_the_chart() {
        assert_eq!(
            path_in_chart("app/charts/redis/templates/svc.yaml"),
            Some("charts/redis/templates/svc.yaml")
        );
    }
}
