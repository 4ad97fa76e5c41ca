//! The PNG backend of the charts: plotters' bitmap backend with text drawn
//! glyph by glyph at each glyph's own place.
//!
//! Part of the chart drawing (`output::charts`). plotters 0.3.7 draws each
//! glyph's ink from the pen position rounded down, dropping the glyph's
//! left side bearing and the pen's fraction of a pixel, so narrow letters
//! (`i`, `l`, `1`, `t`) sit against the letter before and words read
//! "cumulati ve". Here every glyph is placed at the exact pen position (with
//! kerning) and its ink where the font puts it; layout, anchors and rotation
//! are plotters' own, so text lands where the SVG puts it.

use ab_glyph::{Font as _, FontRef, ScaleFont as _, point};
use plotters::prelude::{BitMapBackend, DrawingBackend};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};

use super::style::font_bytes;

/// plotters' bitmap backend, drawing text with correct glyph placement.
pub(crate) struct Raster<'a>(pub BitMapBackend<'a>);

type Err<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

/// The ink of `text` at `size` in the font `bytes`: (x, y, coverage) with
/// the pen starting at x = 0 and the baseline at y = size / 2, where
/// plotters puts it.
pub(crate) fn ink(bytes: &[u8], size: f64, text: &str) -> Option<Vec<(i32, i32, f32)>> {
    let font = FontRef::try_from_slice(bytes).ok()?;
    let px = size as f32;
    let scaled = font.as_scaled(px);
    let mut out = Vec::new();
    let mut pen = 0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(px, point(pen, px / 2.0));
        if let Some(o) = scaled.outline_glyph(glyph) {
            let b = o.px_bounds();
            let (x0, y0) = (b.min.x as i32, b.min.y as i32);
            o.draw(|x, y, cov| out.push((x0 + x as i32, y0 + y as i32, cov)));
        }
        pen += scaled.h_advance(id);
        prev = Some(id);
    }
    Some(out)
}

impl<'a> DrawingBackend for Raster<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Err<'a>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Err<'a>> {
        self.0.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Err<'a>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Result<(), Err<'a>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<'a>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<'a>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<(), Err<'a>> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn draw_text<T: BackendTextStyle>(&mut self, text: &str, style: &T, pos: BackendCoord) -> Result<(), Err<'a>> {
        let family = style.family();
        // A family fundsim did not register: plotters' own drawing.
        let Some(bytes) = font_bytes(family.as_str()) else {
            return self.0.draw_text(text, style, pos);
        };
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        // Plotters' layout box and anchoring, so the text sits where the SVG
        // and plotters' own drawing put it.
        let ((min_x, min_y), (max_x, max_y)) =
            style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let Some(pixels) = ink(bytes, style.size(), text) else {
            return self.0.draw_text(text, style, pos);
        };
        let trans = style.transform();
        let (w, h) = self.get_size();
        for (x, y, cov) in pixels {
            let (x, y) = trans.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 && cov > 0.0 {
                let c = BackendColor { alpha: color.alpha * f64::from(cov.min(1.0)), rgb: color.rgb };
                self.0.draw_pixel((x, y), c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns of a text's ink with any coverage over one half.
    fn columns(text: &str) -> Vec<i32> {
        let bytes = super::super::style::DEJAVU_SANS;
        let mut xs: Vec<i32> = ink(bytes, 40.0, text).unwrap().into_iter().filter(|p| p.2 > 0.5).map(|p| p.0).collect();
        xs.sort_unstable();
        xs.dedup();
        xs
    }

    #[test]
    fn a_glyph_keeps_its_side_bearing() {
        // `l` alone: its ink starts at its left side bearing, not at the pen
        // (DejaVu Sans: 193 of 2048 units per em, 3.8 px at 40 px per em).
        let bytes = super::super::style::DEJAVU_SANS;
        let font = FontRef::try_from_slice(bytes).unwrap();
        let s = font.as_scaled(40.0f32);
        let lsb = s.h_side_bearing(s.glyph_id('l'));
        assert!(lsb > 2.0, "DejaVu's l has a visible bearing ({lsb})");
        let first = *columns("l").first().unwrap();
        assert!((first as f32 - lsb).abs() <= 1.0, "ink of l starts at {first}, bearing {lsb}");
        // The gap between the two l's of "ll" is the advance less the stem:
        // the same gap in "lll" between each pair (even spacing).
        let xs = columns("lll");
        let starts: Vec<i32> =
            xs.iter().enumerate().filter(|(i, x)| *i == 0 || xs[i - 1] + 1 != **x).map(|(_, x)| *x).collect();
        assert_eq!(starts.len(), 3, "three stems: {xs:?}");
        let adv = s.h_advance(s.glyph_id('l'));
        for w in starts.windows(2) {
            assert!(((w[1] - w[0]) as f32 - adv).abs() <= 1.0, "stems {starts:?} are one advance ({adv}) apart");
        }
    }
}
