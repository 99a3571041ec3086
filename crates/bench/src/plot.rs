//! Charts of one benchmark run, drawn as SVG text: lines over a linear or logarithmic x axis,
//! and groups of bars. Pure: numbers in, a document out; `scripts/bench` writes the files.

use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 360.0;
/// The plot area inside the margins that hold the title, the axes' labels and the legend.
const LEFT: f64 = 64.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 48.0;
/// Colours told apart by most colour-blind readers (Okabe and Ito's palette).
const COLOURS: [&str; 6] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
];

/// One line: its name in the legend and its points, in order of x.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// How an axis maps its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Linear,
    /// Powers of ten apart; for values spread over orders of magnitude (latencies).
    Log,
}

/// The words around a chart.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    pub title: &'a str,
    pub x: &'a str,
    pub y: &'a str,
}

/// Lines through each series' points; the y axis starts at zero.
pub fn line_chart(labels: Labels, x_scale: Scale, series: &[Series]) -> String {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let x_axis = Axis::fitting(xs, x_scale);
    let y_axis = Axis::fitting(ys.chain([0.0]), Scale::Linear);
    let mut svg = frame(labels, &x_axis, &y_axis);
    for (n, line) in series.iter().enumerate() {
        let points: Vec<String> = line
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", x_axis.to_x(x), y_axis.to_y(y)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
            COLOURS[n % COLOURS.len()],
            points.join(" ")
        );
    }
    legend(&mut svg, series.iter().map(|s| s.name.as_str()));
    svg.push_str("</svg>\n");
    svg
}

/// One group of bars on the x axis: its name, and a value per bar name.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub bars: Vec<(String, f64)>,
}

/// Groups of bars side by side, the same bar name in the same colour in every group; a dashed
/// line marks `reference` (1.0 for ratios).
pub fn bar_chart(labels: Labels, groups: &[Group], reference: Option<f64>) -> String {
    let mut names: Vec<&str> = Vec::new();
    for group in groups {
        for (name, _) in &group.bars {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let values = groups.iter().flat_map(|g| g.bars.iter().map(|b| b.1));
    let y_axis = Axis::fitting(values.chain(reference).chain([0.0]), Scale::Linear);
    let slot = (WIDTH - LEFT - RIGHT) / groups.len().max(1) as f64;
    let bar = slot * 0.8 / names.len().max(1) as f64;
    let mut svg = frame(labels, &Axis::none(), &y_axis);
    for (g, group) in groups.iter().enumerate() {
        let left = LEFT + slot * g as f64 + slot * 0.1;
        for (name, value) in &group.bars {
            let n = names.iter().position(|known| known == name).unwrap_or(0);
            let top = y_axis.to_y(*value);
            let _ = writeln!(
                svg,
                r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                left + bar * n as f64,
                bar * 0.9,
                y_axis.to_y(0.0) - top,
                COLOURS[n % COLOURS.len()],
                escape(name),
                tick_text(*value),
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + slot * (g as f64 + 0.5),
            HEIGHT - BOTTOM + 16.0,
            escape(&group.name)
        );
    }
    if let Some(reference) = reference {
        let y = y_axis.to_y(reference);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#444" stroke-dasharray="4 3"/>"##,
            WIDTH - RIGHT
        );
    }
    legend(&mut svg, names.into_iter());
    svg.push_str("</svg>\n");
    svg
}

/// An axis's range and ticks.
#[derive(Debug, Clone, PartialEq)]
struct Axis {
    scale: Scale,
    low: f64,
    high: f64,
    ticks: Vec<f64>,
}

impl Axis {
    /// The smallest range of round ticks holding every value (positive ones, on a log axis).
    fn fitting(values: impl Iterator<Item = f64>, scale: Scale) -> Axis {
        let values: Vec<f64> = values
            .filter(|v| v.is_finite() && (scale == Scale::Linear || *v > 0.0))
            .collect();
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        match scale {
            _ if values.is_empty() => Axis {
                scale: Scale::Linear,
                low: 0.0,
                high: 1.0,
                ticks: vec![0.0, 1.0],
            },
            Scale::Linear => {
                let step = round_step((high - low).max(f64::EPSILON) / 5.0);
                let low = (low / step).floor() * step;
                let high = ((high / step).ceil() * step).max(low + step);
                let count = ((high - low) / step).round() as usize;
                let ticks = (0..=count).map(|n| low + step * n as f64).collect();
                Axis {
                    scale,
                    low,
                    high,
                    ticks,
                }
            }
            Scale::Log => {
                let low = 10f64.powf(low.log10().floor());
                let high = 10f64.powf(high.log10().ceil()).max(low * 10.0);
                let mut ticks = Vec::new();
                let mut decade = low;
                while decade <= high * 1.0001 {
                    ticks.extend([1.0, 2.0, 5.0].map(|m| m * decade));
                    decade *= 10.0;
                }
                ticks.retain(|&tick| tick <= high * 1.0001);
                Axis {
                    scale,
                    low,
                    high,
                    ticks,
                }
            }
        }
    }

    /// The x axis of a bar chart: its groups are named beneath instead.
    fn none() -> Axis {
        Axis {
            scale: Scale::Linear,
            low: 0.0,
            high: 1.0,
            ticks: Vec::new(),
        }
    }

    /// Where `value` falls, from 0 (low) to 1 (high).
    fn share(&self, value: f64) -> f64 {
        match self.scale {
            Scale::Linear => (value - self.low) / (self.high - self.low),
            Scale::Log => {
                (value.log10() - self.low.log10()) / (self.high.log10() - self.low.log10())
            }
        }
    }

    fn to_x(&self, value: f64) -> f64 {
        LEFT + self.share(value) * (WIDTH - LEFT - RIGHT)
    }

    fn to_y(&self, value: f64) -> f64 {
        HEIGHT - BOTTOM - self.share(value) * (HEIGHT - TOP - BOTTOM)
    }
}

/// 1, 2 or 5 times a power of ten, at least `rough`.
fn round_step(rough: f64) -> f64 {
    let power = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&step| step >= rough * 0.999)
        .unwrap_or(10.0 * power)
}

/// The document, its title, the axes with their ticks and grid, and their labels.
fn frame(labels: Labels, x_axis: &Axis, y_axis: &Axis) -> String {
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>
<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{}</text>
"#,
        escape(labels.title)
    );
    let (right, bottom) = (WIDTH - RIGHT, HEIGHT - BOTTOM);
    for &tick in &y_axis.ticks {
        let y = y_axis.to_y(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT - 6.0,
            y + 4.0,
            tick_text(tick)
        );
    }
    for &tick in &x_axis.ticks {
        let x = x_axis.to_x(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{bottom}" stroke="#eee"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            bottom + 16.0,
            tick_text(tick)
        );
    }
    let _ = writeln!(
        svg,
        r##"<path d="M{LEFT},{TOP} V{bottom} H{right}" fill="none" stroke="#444"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>
<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"##,
        (LEFT + right) / 2.0,
        HEIGHT - 8.0,
        escape(labels.x),
        (TOP + bottom) / 2.0,
        escape(labels.y)
    );
    svg
}

fn legend<'a>(svg: &mut String, names: impl Iterator<Item = &'a str>) {
    for (n, name) in names.enumerate() {
        let y = TOP + 8.0 + 20.0 * n as f64;
        let x = WIDTH - RIGHT + 16.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{y:.1}">{}</text>"#,
            y - 10.0,
            COLOURS[n % COLOURS.len()],
            x + 18.0,
            escape(name)
        );
    }
}

/// A number as people write it on a chart: no needless decimals.
fn tick_text(value: f64) -> String {
    if value == value.trunc() {
        format!("{value:.0}")
    } else {
        format!("{value:.2}").trim_end_matches('0').to_owned()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_axis_has_round_ticks_around_every_value() {
        let axis = Axis::fitting([3.0, 47.0].into_iter(), Scale::Linear);
        assert_eq!((axis.low, axis.high), (0.0, 50.0));
        assert_eq!(axis.ticks, [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(axis.to_y(0.0), HEIGHT - BOTTOM, "zero on the x axis");
        assert_eq!(axis.to_y(50.0), TOP, "the top of the plot");
    }

    #[test]
    fn a_log_axis_spans_whole_decades_with_ticks_at_one_two_and_five() {
        let axis = Axis::fitting([0.6, 42.0].into_iter(), Scale::Log);
        assert_eq!((axis.low, axis.high), (0.1, 100.0));
        let ticks: Vec<String> = axis.ticks.iter().map(|&t| tick_text(t)).collect();
        assert_eq!(
            ticks,
            ["0.1", "0.2", "0.5", "1", "2", "5", "10", "20", "50", "100"]
        );
        assert!((axis.to_x(1.0) - (LEFT + (WIDTH - LEFT - RIGHT) / 3.0)).abs() < 1e-9);
    }

    #[test]
    fn a_line_chart_draws_each_series_in_its_colour_with_its_name() {
        let svg = line_chart(
            Labels {
                title: "Latency <p99>",
                x: "ms",
                y: "%",
            },
            Scale::Log,
            &[
                Series {
                    name: "1 client".to_owned(),
                    points: vec![(1.0, 0.0), (10.0, 100.0)],
                },
                Series {
                    name: "64 clients".to_owned(),
                    points: vec![(10.0, 0.0), (100.0, 100.0)],
                },
            ],
        );
        assert!(svg.starts_with("<svg xmlns="));
        assert!(svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(COLOURS[0]) && svg.contains(COLOURS[1]));
        assert!(svg.contains(">64 clients</text>"));
        assert!(svg.contains("Latency &lt;p99&gt;"), "text is escaped");
    }

    #[test]
    fn bars_of_the_same_name_share_a_colour_across_groups() {
        let bar = |name: &str, value| (name.to_owned(), value);
        let svg = bar_chart(
            Labels {
                title: "Throughput",
                x: "load",
                y: "ratio",
            },
            &[
                Group {
                    name: "GET".to_owned(),
                    bars: vec![bar("stack", 1.0), bar("embedded", 1.6)],
                },
                Group {
                    name: "POST".to_owned(),
                    bars: vec![bar("stack", 1.0), bar("containers", 0.4)],
                },
            ],
            Some(1.0),
        );
        assert_eq!(
            svg.matches("<rect x=").count(),
            4 + 3,
            "bars, then legend swatches"
        );
        assert_eq!(
            svg.matches(&format!("fill=\"{}\"><title>stack", COLOURS[0]))
                .count(),
            2
        );
        assert!(svg.contains(&format!("fill=\"{}\"><title>containers: 0.4", COLOURS[2])));
        assert!(svg.contains("stroke-dasharray"), "the reference line");
    }
}
