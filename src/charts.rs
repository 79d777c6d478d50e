//! Charts as inline SVG, drawn with plotters, shared by the web pages and the monthly report.
//!
//! SVG text is left to the browser's fonts, so Chinese labels need no font files here. Values
//! arrive as `f64` because a chart is a picture of numbers, never a source of them.

use plotters::prelude::*;

const BLUE: RGBColor = RGBColor(37, 99, 235);
const GREY: RGBColor = RGBColor(120, 120, 120);
const RED: RGBColor = RGBColor(220, 38, 38);

/// One bar: a label, its value, and an optional colour name (red, orange, yellow, green).
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub colour: Option<&'static str>,
}

fn colour(name: Option<&str>) -> RGBColor {
    match name {
        Some("red") => RED,
        Some("orange") => RGBColor(234, 88, 12),
        Some("yellow") => RGBColor(202, 138, 4),
        Some("green") => RGBColor(22, 163, 74),
        Some("grey") => GREY,
        _ => BLUE,
    }
}

/// Cuts a label to about `n` half-width columns (a Chinese character counts as two).
fn shorten(s: &str, n: usize) -> String {
    let w = |c: char| if c.is_ascii() { 1 } else { 2 };
    if s.chars().map(w).sum::<usize>() <= n {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + w(c) > n.saturating_sub(1) {
            break;
        }
        used += w(c);
        out.push(c);
    }
    out.push('…');
    out
}

/// Axis numbers people read at a glance: 1.2亿, 35万, 830.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e8 {
        format!("{:.1}亿", v / 1e8)
    } else if a >= 1e4 {
        format!("{:.0}万", v / 1e4)
    } else if a >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Horizontal bars with an optional vertical marker (e.g. time progress at 83.3 %).
pub fn hbars(title: &str, bars: &[Bar], marker: Option<(f64, &str)>, unit: &str) -> String {
    let h = 64 + 30 * bars.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (520, h)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let max = bars
            .iter()
            .map(|b| b.value)
            .chain(marker.map(|m| m.0))
            .fold(0.0f64, f64::max)
            .max(1.0)
            * 1.1;
        let min = bars.iter().map(|b| b.value).fold(0.0f64, f64::min);
        let n = bars.len().max(1) as i32;
        let labels: Vec<String> = bars.iter().map(|b| shorten(&b.label, 24)).collect();
        let chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(170)
            .build_cartesian_2d(min..max, 0..n);
        let Ok(mut chart) = chart else {
            return String::new();
        };
        let _ = chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(bars.len().max(1))
            .y_label_formatter(&|i| {
                labels
                    .get((n - 1 - *i) as usize)
                    .cloned()
                    .unwrap_or_default()
            })
            .x_labels(6)
            .x_label_formatter(&|v| format!("{}{unit}", compact(*v)))
            .label_style(("sans-serif", 14))
            .draw();
        let _ = chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
            let y = n - 1 - i as i32;
            let mut r = Rectangle::new([(0.0, y), (b.value, y + 1)], colour(b.colour).filled());
            r.set_margin(4, 4, 0, 0);
            r
        }));
        if let Some((m, label)) = marker {
            let _ = chart
                .draw_series(LineSeries::new(vec![(m, 0), (m, n)], RED.stroke_width(2)))
                .map(|s| s.label(label));
        }
        let _ = root.present();
    }
    svg
}

/// Vertical bars for categories (e.g. open alerts by severity).
pub fn vbars(title: &str, bars: &[Bar]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (420, 240)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let max = bars.iter().map(|b| b.value).fold(1.0f64, f64::max) * 1.15;
        let labels: Vec<String> = bars.iter().map(|b| shorten(&b.label, 12)).collect();
        let n = bars.len().max(1) as i32;
        let Ok(mut chart) = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(0..n, 0.0..max)
        else {
            return String::new();
        };
        let _ = chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bars.len().max(1) + 1)
            .x_label_formatter(&|i| labels.get(*i as usize).cloned().unwrap_or_default())
            .y_label_formatter(&|v| compact(*v))
            .label_style(("sans-serif", 14))
            .draw();
        let _ = chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
            let mut r = Rectangle::new(
                [(i as i32, 0.0), (i as i32 + 1, b.value)],
                colour(b.colour).filled(),
            );
            r.set_margin(0, 0, 8, 8);
            r
        }));
        let _ = root.present();
    }
    svg
}

/// One line per series over the same labelled x axis (months); `None` leaves a gap.
pub fn lines(
    title: &str,
    x: &[String],
    series: &[(&str, Vec<Option<f64>>)],
    reference: Option<Vec<f64>>,
    unit: &str,
) -> String {
    lines_dashed(title, x, series, None, reference, unit)
}

/// [`lines`] with one more series drawn dashed (a projection), in the first series' colour.
pub fn lines_dashed(
    title: &str,
    x: &[String],
    series: &[(&str, Vec<Option<f64>>)],
    dashed: Option<(&str, Vec<Option<f64>>)>,
    reference: Option<Vec<f64>>,
    unit: &str,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (560, 260)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let all = series
            .iter()
            .chain(dashed.iter())
            .flat_map(|s| s.1.iter().flatten().copied())
            .chain(reference.iter().flatten().copied());
        let (lo, hi) = all.fold((0.0f64, 1.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let n = x.len().max(2) as i32;
        let Ok(mut chart) = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(8)
            .margin_right(24)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(0..n - 1, lo..hi * 1.1)
        else {
            return String::new();
        };
        let labels: Vec<String> = x
            .iter()
            .map(|s| s.get(2..).unwrap_or(s).to_string())
            .collect();
        let _ = chart
            .configure_mesh()
            .x_labels(x.len())
            .x_label_formatter(&|i| labels.get(*i as usize).cloned().unwrap_or_default())
            .y_label_formatter(&|v| format!("{}{unit}", compact(*v)))
            .label_style(("sans-serif", 13))
            .draw();
        let palette = [BLUE, RGBColor(22, 163, 74), RGBColor(234, 88, 12), GREY];
        for (k, (name, ys)) in series.iter().enumerate() {
            let c = palette[k % palette.len()];
            // Split at gaps so a missing month is not drawn as a straight line.
            let mut segment = Vec::new();
            let mut segments = Vec::new();
            for (i, y) in ys.iter().enumerate() {
                match y {
                    Some(v) => segment.push((i as i32, *v)),
                    None if !segment.is_empty() => segments.push(std::mem::take(&mut segment)),
                    None => {}
                }
            }
            if !segment.is_empty() {
                segments.push(segment);
            }
            for (j, s) in segments.into_iter().enumerate() {
                let pts = s.clone();
                if let Ok(a) = chart.draw_series(LineSeries::new(s, c.stroke_width(2)))
                    && j == 0
                {
                    a.label(*name);
                }
                let _ = chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, c.filled())));
            }
        }
        if let Some((name, ys)) = &dashed {
            let pts: Vec<(i32, f64)> = ys
                .iter()
                .enumerate()
                .filter_map(|(i, y)| y.map(|v| (i as i32, v)))
                .collect();
            let style = palette[0].stroke_width(2);
            if let Ok(a) = chart.draw_series(DashedLineSeries::new(pts.clone(), 6, 4, style)) {
                a.label(*name);
            }
            let _ = chart.draw_series(
                pts.into_iter()
                    .skip(1)
                    .map(|p| Circle::new(p, 3, palette[0].stroke_width(1))),
            );
        }
        if let Some(r) = reference {
            let pts: Vec<(i32, f64)> = r
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i as i32, v))
                .collect();
            let _ = chart.draw_series(LineSeries::new(pts, RED.stroke_width(1)));
        }
        let _ = root.present();
    }
    svg
}

/// Execution month by month against time progress (the red line), as the cockpit, the
/// drill-down and the report draw it.
pub fn execution_trend(title: &str, label: &str, trend: &[(String, Option<f64>)]) -> String {
    execution_outlook(title, label, trend, None)
}

/// [`execution_trend`] continued to December by a dashed projection (`path`: the projected
/// cumulative execution from the last month with data on, as `foresight::projection` gives it).
pub fn execution_outlook(
    title: &str,
    label: &str,
    trend: &[(String, Option<f64>)],
    projection: Option<(&str, &[(String, f64)])>,
) -> String {
    let mut months: Vec<String> = trend.iter().map(|x| x.0.clone()).collect();
    let mut actual: Vec<Option<f64>> = trend.iter().map(|x| x.1).collect();
    let dashed = projection.map(|(name, path)| {
        for (m, _) in path {
            if months.last().is_some_and(|last| m > last) {
                months.push(m.clone());
                actual.push(None);
            }
        }
        let ys = months
            .iter()
            .map(|m| path.iter().find(|p| &p.0 == m).map(|p| p.1))
            .collect();
        (name, ys)
    });
    let progress = months
        .iter()
        .map(|p| {
            p.parse::<crate::common::Period>()
                .map_or(0.0, crate::common::Period::time_progress)
        })
        .collect();
    lines_dashed(
        title,
        &months,
        &[(label, actual)],
        dashed,
        Some(progress),
        "%",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_cut_by_width() {
        assert_eq!(
            shorten("General public budget", 24),
            "General public budget"
        );
        assert_eq!(shorten("一般公共预算一般公共预算", 12), "一般公共预…");
        assert_eq!(compact(123_456_789.0), "1.2亿");
        assert_eq!(compact(36_000.0), "4万");
        assert_eq!(compact(12.5), "12.5");
    }

    #[test]
    fn charts_are_svg_with_their_labels() {
        let bars = vec![
            Bar {
                label: "一般公共预算".into(),
                value: 71.5,
                colour: None,
            },
            Bar {
                label: "政府性基金预算".into(),
                value: 40.0,
                colour: Some("red"),
            },
        ];
        let s = hbars("执行进度", &bars, Some((83.3, "序时进度")), "%");
        assert!(s.starts_with("<svg"));
        assert!(s.contains("一般公共预算"));
        assert!(s.contains("执行进度"));
        let v = vbars("预警", &bars);
        assert!(v.contains("<rect"));
        let x: Vec<String> = (1..=3).map(|m| format!("2025-{m:02}")).collect();
        let l = lines(
            "趋势",
            &x,
            &[("执行", vec![Some(1.0), None, Some(3.0)])],
            None,
            "%",
        );
        assert!(l.contains("<polyline") || l.contains("<path"));
    }
}
