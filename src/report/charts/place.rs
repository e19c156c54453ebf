//! Where a label goes beside a mark: inside the plot, and off the other marks
//! where there is room, so that it is neither cut at an edge nor printed
//! over the data it names.

/// A rectangle in pixels of the drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// Left edge \[px\].
    pub left: i32,
    /// Top edge \[px\].
    pub top: i32,
    /// Right edge \[px\].
    pub right: i32,
    /// Bottom edge \[px\].
    pub bottom: i32,
}

impl Rect {
    /// Returns the rectangle of `size` (width, height) with its top-left corner at `(x, y)`.
    pub fn at((x, y): (i32, i32), (width, height): (i32, i32)) -> Self {
        Self {
            left: x,
            top: y,
            right: x + width,
            bottom: y + height,
        }
    }

    /// Returns the square of half-side `r` around `(x, y)`: a dot's extent.
    pub fn around((x, y): (i32, i32), r: i32) -> Self {
        Self {
            left: x - r,
            top: y - r,
            right: x + r,
            bottom: y + r,
        }
    }

    /// Returns true when `self` lies wholly inside `outer`.
    pub fn inside(&self, outer: &Rect) -> bool {
        self.left >= outer.left
            && self.right <= outer.right
            && self.top >= outer.top
            && self.bottom <= outer.bottom
    }

    /// Returns the area shared with `other` \[px²\].
    pub fn overlap(&self, other: &Rect) -> i64 {
        let w = (self.right.min(other.right) - self.left.max(other.left)).max(0);
        let h = (self.bottom.min(other.bottom) - self.top.max(other.top)).max(0);
        i64::from(w) * i64::from(h)
    }

    /// Returns the rectangle grown by `d` pixels on every side.
    pub fn grown(&self, d: i32) -> Self {
        Self {
            left: self.left - d,
            top: self.top - d,
            right: self.right + d,
            bottom: self.bottom + d,
        }
    }

    /// Returns the rectangle moved by the least distance that brings it inside
    /// `outer` (its top-left corner inside, when it is the larger).
    fn within(self, outer: &Rect) -> Self {
        let (w, h) = (self.right - self.left, self.bottom - self.top);
        let left = self.left.min(outer.right - w).max(outer.left);
        let top = self.top.min(outer.bottom - h).max(outer.top);
        Rect::at((left, top), (w, h))
    }
}

/// Returns where a label of `size` (width, height) goes beside the mark
/// `mark`: right of it, else left, else above or below (leaning right, then
/// left), `gap` pixels off the mark. Each place is first moved inside `plot`;
/// the first that comes no nearer than half a gap to any of `marks` (which
/// should include `mark`) wins, else the one that covers least of them.
pub fn beside(mark: Rect, size: (i32, i32), gap: i32, plot: &Rect, marks: &[Rect]) -> Rect {
    let (w, h) = size;
    let mid_y = (mark.top + mark.bottom) / 2 - h / 2;
    let mid_x = (mark.left + mark.right) / 2;
    let (above, below) = (mark.top - gap - h, mark.bottom + gap);
    let candidates = [
        (mark.right + gap, mid_y),
        (mark.left - gap - w, mid_y),
        (mid_x, above),
        (mid_x - w, above),
        (mid_x, below),
        (mid_x - w, below),
        (mid_x - w / 2, above),
        (mid_x - w / 2, below),
    ];
    // A label touching a mark reads as printed on it: keep some air.
    let covered = |r: &Rect| {
        let air = r.grown(gap / 2);
        marks.iter().map(|m| air.overlap(m)).sum::<i64>()
    };
    let placed: Vec<Rect> = candidates
        .iter()
        .map(|&corner| Rect::at(corner, size).within(plot))
        .collect();
    placed
        .iter()
        .find(|r| covered(r) == 0)
        .or_else(|| placed.iter().min_by_key(|r| covered(r)))
        .copied()
        .unwrap_or_else(|| Rect::at((mark.right + gap, mid_y), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLOT: Rect = Rect {
        left: 0,
        top: 0,
        right: 1000,
        bottom: 600,
    };

    #[test]
    fn a_label_goes_right_of_its_mark_where_there_is_room() {
        let dot = Rect::around((300, 300), 10);
        let label = beside(dot, (200, 30), 8, &PLOT, &[dot]);
        assert_eq!(label, Rect::at((318, 285), (200, 30)));
    }

    #[test]
    fn a_label_near_the_right_edge_goes_left_and_stays_inside() {
        let dot = Rect::around((950, 300), 10);
        let label = beside(dot, (300, 30), 8, &PLOT, &[dot]);
        assert!(label.inside(&PLOT), "{label:?}");
        assert_eq!(label.right, 932, "left of the dot");
    }

    #[test]
    fn a_label_avoids_the_other_marks() {
        // Dots in a row: neither right nor left is free, above is.
        let dots: Vec<Rect> = (0..5)
            .map(|k| Rect::around((400 + 60 * k, 300), 10))
            .collect();
        let label = beside(dots[2], (150, 30), 8, &PLOT, &dots);
        assert!(dots.iter().all(|d| label.overlap(d) == 0), "{label:?}");
        assert!(label.bottom <= 282, "above the row: {label:?}");
        // Nor does it touch one.
        let touching = [Rect::around((300, 300), 10), Rect::around((328, 300), 10)];
        let label = beside(touching[0], (100, 30), 8, &PLOT, &touching);
        assert!(label.grown(4).overlap(&touching[1]) == 0, "{label:?}");
    }

    #[test]
    fn a_label_at_a_corner_is_moved_inside() {
        let dot = Rect::around((995, 5), 10);
        let label = beside(dot, (300, 30), 8, &PLOT, &[dot]);
        assert!(label.inside(&PLOT), "{label:?}");
    }
}
