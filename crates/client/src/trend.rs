//! What the system view draws and writes, as plain data (tested natively): the last minute of
//! readings for its chart, and figures in words.

use std::collections::VecDeque;

/// Readings kept for the chart: one a second, the last minute.
pub const KEPT: usize = 60;

/// One second's reading: values computed per second, and latency percentiles if any were.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub per_second: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

/// The last [`KEPT`] readings, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trend(VecDeque<Reading>);

/// The chart's drawing area, in the SVG's own units.
pub const CHART_WIDTH: f64 = 300.0;
pub const CHART_HEIGHT: f64 = 80.0;
/// The same, as the SVG's `viewBox` (written out: formatting floats would weigh on the bundle).
pub const CHART_VIEWBOX: &str = "0 0 300 80";

impl Trend {
    pub fn push(&mut self, reading: Reading) {
        if self.0.len() == KEPT {
            self.0.pop_front();
        }
        self.0.push_back(reading);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The chart's vertical scale: the highest p95 of the minute, rounded up to a power of two
    /// (so the scale changes in steps, not every second); at least 1 ms.
    pub fn scale_ms(&self) -> f64 {
        let highest = self
            .0
            .iter()
            .filter_map(|reading| reading.p95_ms)
            .fold(1.0, f64::max);
        let mut scale = 1.0;
        while scale < highest {
            scale *= 2.0;
        }
        scale
    }

    /// SVG polyline point lists of one percentile, newest at the right edge; a second with
    /// nothing computed breaks the line.
    pub fn lines(&self, percentile: impl Fn(&Reading) -> Option<f64>) -> Vec<String> {
        let scale = self.scale_ms();
        let step = CHART_WIDTH / (KEPT - 1) as f64;
        let start = KEPT - self.0.len();
        let mut lines = Vec::new();
        let mut line = String::new();
        for (slot, reading) in self.0.iter().enumerate() {
            match percentile(reading) {
                Some(ms) => {
                    let x = (start + slot) as f64 * step;
                    let y = CHART_HEIGHT * (1.0 - (ms / scale).min(1.0));
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    // Whole tenths: float formatting would weigh on the bundle.
                    line.push_str(&tenths(x));
                    line.push(',');
                    line.push_str(&tenths(y));
                }
                None if !line.is_empty() => lines.push(std::mem::take(&mut line)),
                None => {}
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// `12.5`, `3`, `0.1`: a non-negative figure to one decimal, without float formatting.
pub fn tenths(value: f64) -> String {
    let tenths = (value.max(0.0) * 10.0).round() as u64;
    match tenths % 10 {
        0 => (tenths / 10).to_string(),
        digit => format!("{}.{digit}", tenths / 10),
    }
}

/// A duration in milliseconds as people read it: `850 ms`, `4.2 s`, `3 min 5 s`.
pub fn duration_text(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{} ms", tenths(ms))
    } else if ms < 60_000.0 {
        format!("{} s", tenths(ms / 1000.0))
    } else {
        let seconds = (ms / 1000.0) as u64;
        format!("{} min {} s", seconds / 60, seconds % 60)
    }
}

/// Bytes in binary units: `512 B`, `3.5 KiB`, `64 MiB`.
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", tenths(value), UNITS[unit])
}

/// How full the cache is, in whole percent of its budget.
pub fn percent_of(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    (u128::from(part) * 100 / u128::from(whole)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(p95: Option<f64>) -> Reading {
        Reading {
            per_second: 1.0,
            p50_ms: p95.map(|ms| ms / 2.0),
            p95_ms: p95,
        }
    }

    #[test]
    fn the_trend_keeps_the_last_minute() {
        let mut trend = Trend::default();
        for n in 0..KEPT + 10 {
            trend.push(reading(Some(n as f64)));
        }
        assert_eq!(trend.len(), KEPT);
        assert_eq!(trend.0.front().and_then(|r| r.p95_ms), Some(10.0));
    }

    #[test]
    fn the_scale_is_the_highest_p95_rounded_up_to_a_power_of_two() {
        let mut trend = Trend::default();
        assert_eq!(trend.scale_ms(), 1.0);
        trend.push(reading(Some(40.0)));
        trend.push(reading(None));
        trend.push(reading(Some(300.0)));
        assert_eq!(trend.scale_ms(), 512.0);
    }

    #[test]
    fn lines_end_at_the_right_edge_and_break_where_nothing_was_computed() {
        let mut trend = Trend::default();
        trend.push(reading(Some(64.0)));
        trend.push(reading(None));
        trend.push(reading(Some(32.0)));
        trend.push(reading(Some(0.0)));
        let lines = trend.lines(|r| r.p95_ms);
        // Four readings fill the last four slots of 60; the scale is 64 ms.
        assert_eq!(lines, ["284.7,0", "294.9,40 300,80"]);
    }

    #[test]
    fn the_viewbox_is_the_drawing_area() {
        assert_eq!(CHART_VIEWBOX, format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}"));
    }

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(tenths(12.46), "12.5");
        assert_eq!(tenths(3.0), "3");
        assert_eq!(tenths(-1.0), "0");
        assert_eq!(duration_text(850.0), "850 ms");
        assert_eq!(duration_text(4_230.0), "4.2 s");
        assert_eq!(duration_text(185_000.0), "3 min 5 s");
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(3584), "3.5 KiB");
        assert_eq!(bytes_text(64 << 20), "64 MiB");
        assert_eq!(percent_of(99, 100), 99);
        assert_eq!(percent_of(5, 0), 0);
    }
}
