//! Which SVG files the report inlines: only plain drawings made of the elements and attributes
//! lrtool's plots use, so that a plot changed by someone else (a `<script>`, an `onload=`, a
//! link, a `foreignObject`) cannot bring a script into the page. Anything else is a whitelist
//! miss: the plot is not inlined and the page says so.

/// Elements a plot may hold.
const ELEMENTS: &[&str] = &[
    "svg", "g", "rect", "line", "polyline", "polygon", "path", "circle", "ellipse", "text",
    "tspan", "title", "desc",
];

/// Attributes a plot's elements may have (no `on…`, no `href`, no `style`).
const ATTRIBUTES: &[&str] = &[
    "xmlns",
    "version",
    "width",
    "height",
    "viewBox",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "dx",
    "dy",
    "points",
    "d",
    "fill",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-opacity",
    "fill-opacity",
    "opacity",
    "transform",
    "text-anchor",
    "dominant-baseline",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "preserveAspectRatio",
];

/// Why `svg` may not be inlined, or `None` when it is a plain drawing: one `<svg>` root made of
/// the listed elements with the listed attributes, every value quoted and free of `url(`,
/// `javascript:` and markup, no comment, CDATA, doctype or processing instruction.
pub fn refusal(svg: &str) -> Option<String> {
    let text = svg.trim();
    if !text.starts_with("<svg") {
        return Some("it does not start with <svg".into());
    }
    let mut rest = text;
    let mut depth = 0usize;
    let mut roots = 0usize;
    while let Some(open) = rest.find('<') {
        if rest[..open].contains('>') {
            return Some("a stray '>' outside a tag".into());
        }
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else {
            return Some("a tag is not closed".into());
        };
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            if !ELEMENTS.contains(&name) {
                return Some(format!("an element <{}>", shown(name)));
            }
            depth = depth.saturating_sub(1);
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(tag.len());
        let name = &tag[..name_end];
        if !ELEMENTS.contains(&name) {
            return Some(format!("an element <{}>", shown(name)));
        }
        if depth == 0 {
            roots += 1;
            if name != "svg" || roots > 1 {
                return Some("more than one root element".into());
            }
        }
        if let Some(why) = attributes(&tag[name_end..]) {
            return Some(why);
        }
        if !self_closing {
            depth += 1;
        }
    }
    if rest.contains('>') {
        return Some("a stray '>' outside a tag".into());
    }
    None
}

/// Check the attribute text of one tag.
fn attributes(mut s: &str) -> Option<String> {
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return None;
        }
        let Some(eq) = s.find('=') else {
            return Some(format!("an attribute without a value ({})", shown(s)));
        };
        let name = s[..eq].trim();
        if !ATTRIBUTES.contains(&name) {
            return Some(format!("an attribute {}", shown(name)));
        }
        let after = s[eq + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            return Some(format!("an unquoted value of {name}"));
        };
        let Some(end) = after[1..].find(quote) else {
            return Some(format!("an unterminated value of {name}"));
        };
        let value = after[1..1 + end].to_ascii_lowercase();
        if value.contains('<')
            || value.contains("url(")
            || value.contains("javascript:")
            || value.contains("&#")
        {
            return Some(format!("a value of {name} that refers to something"));
        }
        s = &after[end + 2..];
    }
}

/// A name from the file, cut for the page.
fn shown(name: &str) -> String {
    name.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLOT: &str = r##"<svg width="960" height="540" viewBox="0 0 960 540" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="960" height="540" opacity="1" fill="#FFFFFF" stroke="none"/>
<text x="470" y="13" dy="0.76em" text-anchor="middle" font-family="sans-serif" font-size="17.7" opacity="1" fill="#282828">
LR range test (adam, 1.00e-6 → 1.00e0) &amp; more
</text>
<polyline fill="none" opacity="1" stroke="#1F77B4" stroke-width="2" points="129,483 156,480 "/>
</svg>
"##;

    #[test]
    fn lrtools_own_plots_pass() {
        assert_eq!(refusal(PLOT), None);
    }

    #[test]
    fn scripts_handlers_links_and_foreign_objects_are_refused() {
        let cases = [
            ("<script>alert(1)</script>", "<script"),
            (r#"<rect onload="alert(1)" x="0"/>"#, "onload"),
            (r#"<rect x="0" ONCLICK="alert(1)"/>"#, "ONCLICK"),
            (r#"<a href="javascript:alert(1)"><text>x</text></a>"#, "<a"),
            (r#"<image href="https://example.com/x.png"/>"#, "<image"),
            (
                r#"<foreignObject><div>x</div></foreignObject>"#,
                "foreignObject",
            ),
            (r#"<rect fill="url(javascript:alert(1))"/>"#, "refers"),
            (r#"<rect fill="&#106;avascript:x"/>"#, "refers"),
            ("<!-- --><script>x</script>", "<!--"),
            ("<![CDATA[ <script> ]]>", "CDATA"),
            (r#"<rect style="background:url(x)"/>"#, "style"),
            ("<rect x=1/>", "unquoted"),
            ("<set attributeName=\"href\" to=\"javascript:x\"/>", "<set"),
            ("<animate onbegin=\"x\"/>", "<animate"),
        ];
        for (inject, want) in cases {
            let svg = PLOT.replace("</svg>", &format!("{inject}\n</svg>"));
            let why = refusal(&svg).unwrap_or_else(|| panic!("{inject} passed"));
            assert!(why.contains(want), "{inject}: {why}");
        }
        assert!(refusal("<html><script>x</script></html>").is_some());
        assert!(refusal(&format!("{PLOT}<svg onload=\"x\"></svg>")).is_some());
        assert!(refusal(&PLOT.replace("</text>", "</text>>")).is_some());
    }
}
