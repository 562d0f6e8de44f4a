//! Latency samples (p50/p99/max) and the fixed-width tables the bench prints.

use std::time::Duration;

/// Latency samples of one measurement.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    values: Vec<Duration>,
}

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.values.push(d);
    }

    pub fn extend(&mut self, other: Samples) {
        self.values.extend(other.values);
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The `q`-quantile (0.0..=1.0, nearest rank) in milliseconds; 0 without samples.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.values.is_empty() {
            return 0.0;
        }
        let mut sorted = self.values.clone();
        sorted.sort_unstable();
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1].as_secs_f64() * 1000.0
    }

    pub fn p50_ms(&self) -> f64 {
        self.quantile_ms(0.5)
    }

    pub fn p99_ms(&self) -> f64 {
        self.quantile_ms(0.99)
    }

    pub fn max_ms(&self) -> f64 {
        self.quantile_ms(1.0)
    }
}

/// A table: a title, column names, rows of cells; printed with aligned columns.
pub struct Table {
    title: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(title: &str, columns: &[&str]) -> Table {
        Table {
            title: title.to_owned(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Prints the table as Markdown (readable in a terminal, pasteable into the docs).
    pub fn print(&self) {
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0)))
                .collect();
            format!("| {} |", padded.join(" | "))
        };
        println!();
        println!("### {}", self.title);
        println!();
        println!("{}", line(&self.columns));
        let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        println!("{}", line(&dashes));
        for row in &self.rows {
            println!("{}", line(row));
        }
    }
}

/// `12.34` style milliseconds.
pub fn ms(v: f64) -> String {
    format!("{v:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let mut s = Samples::default();
        for i in 1..=100u64 {
            s.push(Duration::from_millis(i));
        }
        assert_eq!(s.p50_ms(), 50.0);
        assert_eq!(s.p99_ms(), 99.0);
        assert_eq!(s.max_ms(), 100.0);
        assert_eq!(Samples::default().p50_ms(), 0.0);
    }
}
