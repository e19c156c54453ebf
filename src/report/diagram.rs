//! The architecture of a scenario drawn as an SVG diagram: boxes for the
//! clients and the components, arrows for the calls, laid out as the tree
//! `scalesim explain` prints (one column per depth, one row per component).
//!
//! The classroom page shows it beside the lesson; it is drawn from the
//! [`Explanation`], so it says what the text does and nothing else.

use std::fmt::Write;

use super::explain::{Explanation, Node};

/// Width of a box.
const BOX_W: u32 = 180;
/// Height of a box.
const BOX_H: u32 = 44;
/// Horizontal distance between the left edges of two columns.
const COL_W: u32 = 230;
/// Vertical distance between the tops of two rows.
const ROW_H: u32 = 58;
/// Space around the drawing.
const MARGIN: u32 = 12;
/// Characters of a label kept before it is cut (the box has room for them).
const LABEL_CHARS: usize = 26;

/// Returns the diagram of an explanation's architecture as an SVG document.
///
/// The clients sit in the first column with an arrow to the entry; every
/// component follows, one row each in the order of the tree, one column per
/// depth, with an elbow arrow from its caller. A component drawn already
/// higher up (called by two others) is drawn again, dashed, so that its
/// second caller has something to point at; a component no request reaches
/// from the entry is dashed and has no caller.
pub fn architecture_svg(e: &Explanation) -> String {
    let nodes = &e.architecture;
    let depth = nodes.iter().map(|n| n.depth).max().unwrap_or(0);
    let width = MARGIN * 2 + COL_W * (depth as u32 + 1) + BOX_W;
    let rows = nodes.len().max(1) as u32;
    let height = MARGIN * 2 + ROW_H * (rows - 1) + BOX_H;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"diagram\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"architecture of {}\">",
        escape(&e.name)
    );
    svg.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>",
    );
    draw_box(
        &mut svg,
        (0, 0),
        "clients",
        &cut(&e.traffic),
        BoxStyle::Clients,
    );
    if !nodes.is_empty() {
        arrow(&mut svg, (0, 0), (1, 0));
    }
    let parents = parent_rows(nodes);
    for (row, node) in nodes.iter().enumerate() {
        let at = (node.depth + 1, row);
        if let Some(parent) = parents[row] {
            arrow(&mut svg, (nodes[parent].depth + 1, parent), at);
        }
        let style = if node.repeated || (node.depth == 0 && row > 0) {
            BoxStyle::Dashed
        } else {
            BoxStyle::Solid
        };
        draw_box(&mut svg, at, &node.name, &subtitle(node), style);
    }
    svg.push_str("</svg>");
    svg
}

/// Returns the row of the caller of each node: the nearest row above it one
/// level less deep (none for a root).
fn parent_rows(nodes: &[Node]) -> Vec<Option<usize>> {
    // The last row seen at each depth, so that each row is looked at once.
    let mut last_at: Vec<Option<usize>> = Vec::new();
    let mut parents = Vec::with_capacity(nodes.len());
    for (row, node) in nodes.iter().enumerate() {
        let parent = node
            .depth
            .checked_sub(1)
            .and_then(|d| last_at.get(d).copied().flatten());
        parents.push(parent);
        if last_at.len() <= node.depth {
            last_at.resize(node.depth + 1, None);
        }
        last_at[node.depth] = Some(row);
    }
    parents
}

/// Returns the second line of a component's box: its kind, its machines,
/// and where they are.
fn subtitle(node: &Node) -> String {
    let mut text = node.kind.replace('_', " ");
    if node.replicas > 1 {
        let _ = write!(text, " ×{}", node.replicas);
    }
    if node.repeated {
        text.push_str(" (above)");
    } else if !node.regions.is_empty() {
        let _ = write!(text, " · {}", node.regions.join(", "));
    } else if !node.zones.is_empty() {
        let _ = write!(text, " · {}", node.zones.join(", "));
    }
    cut(&text)
}

/// How a box is drawn.
#[derive(Clone, Copy)]
enum BoxStyle {
    /// The clients.
    Clients,
    /// A component on the path of requests.
    Solid,
    /// A component drawn a second time, or not reached from the entry.
    Dashed,
}

/// Returns the top-left corner of the box in column `col`, row `row`.
fn corner((col, row): (usize, usize)) -> (u32, u32) {
    (MARGIN + COL_W * col as u32, MARGIN + ROW_H * row as u32)
}

/// Draws one box with a title and a second line.
fn draw_box(svg: &mut String, at: (usize, usize), title: &str, line: &str, style: BoxStyle) {
    let (x, y) = corner(at);
    let (fill, dash) = match style {
        BoxStyle::Clients => ("#fff4e0", ""),
        BoxStyle::Solid => ("#e8f0fb", ""),
        BoxStyle::Dashed => ("#f4f4f4", " stroke-dasharray=\"5 3\""),
    };
    let _ = write!(
        svg,
        "<g class=\"node\"><rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" \
         rx=\"6\" fill=\"{fill}\" stroke=\"#4a6fa5\"{dash}/>\
         <text x=\"{}\" y=\"{}\" font-family=\"sans-serif\" font-size=\"13\" \
         font-weight=\"bold\" fill=\"#1b2a41\">{}</text>\
         <text x=\"{}\" y=\"{}\" font-family=\"sans-serif\" font-size=\"11\" \
         fill=\"#333\">{}</text></g>",
        x + 8,
        y + 18,
        escape(&cut(title)),
        x + 8,
        y + 35,
        escape(line)
    );
}

/// Draws an arrow from the right edge of the box at `from` to the left edge
/// of the box at `to`: straight on one row, an elbow between rows.
fn arrow(svg: &mut String, from: (usize, usize), to: (usize, usize)) {
    let (fx, fy) = corner(from);
    let (tx, ty) = corner(to);
    let (x1, y1) = (fx + BOX_W, fy + BOX_H / 2);
    let (x2, y2) = (tx, ty + BOX_H / 2);
    let mid = x1 + (x2.saturating_sub(x1)) / 2;
    let _ = write!(
        svg,
        "<path class=\"edge\" d=\"M{x1},{y1} H{mid} V{y2} H{x2}\" fill=\"none\" \
         stroke=\"#555\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>"
    );
}

/// Cuts a label to [`LABEL_CHARS`] characters, marking the cut.
fn cut(text: &str) -> String {
    if text.chars().count() <= LABEL_CHARS {
        return text.to_string();
    }
    let kept: String = text.chars().take(LABEL_CHARS - 1).collect();
    format!("{kept}…")
}

/// Escapes text for SVG: a name in a scenario file may hold any character.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::explain::explain;

    fn explained(text: &str) -> Explanation {
        let scenario = crate::scenario::load_text(text, "d.yaml", &[]).unwrap();
        explain(&scenario, text, crate::scenario::tree(text, &[]).as_ref())
    }

    const TIERS: &str = "name: tiers <&>\nduration: 10s\ntraffic: {rate: 10/s}\nentry: lb\n\
                         components:\n  lb: {kind: load_balancer, targets: web}\n  \
                         web: {kind: server, replicas: 3, work: 1ms, calls: [db]}\n  \
                         db: {kind: server, work: 1ms}\n";

    #[test]
    fn every_component_has_a_box_and_every_call_an_arrow() {
        let svg = architecture_svg(&explained(TIERS));
        // The clients and three components; the clients' arrow and two calls.
        assert_eq!(svg.matches("<rect").count(), 4);
        assert_eq!(svg.matches("class=\"edge\"").count(), 3);
        for name in [">lb<", ">web<", ">db<", ">clients<", "server ×3"] {
            assert!(svg.contains(name), "{name} missing in {svg}");
        }
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn names_are_escaped() {
        let svg = architecture_svg(&explained(TIERS));
        assert!(svg.contains("tiers &lt;&amp;&gt;"), "{svg}");
        assert!(!svg.contains("<&>"));
    }

    #[test]
    fn the_tree_gives_each_node_its_caller() {
        let e = explained(TIERS);
        assert_eq!(parent_rows(&e.architecture), [None, Some(0), Some(1)]);
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(cut("short"), "short");
        let long = "x".repeat(40);
        assert_eq!(cut(&long).chars().count(), LABEL_CHARS);
        assert!(cut(&long).ends_with('…'));
    }
}
