//! The file one shard writes per simulation (`shard/<i>.bin` in a shard
//! directory): its rows of the per-path matrix, bit for bit, with its
//! quantile sketches and deal counts, so that `fundsim merge` rebuilds the
//! very `Results` a single run would have held.
//!
//! Layout, little endian: the magic `FSSHARD1`; `first` (the first path),
//! `rows`, `columns` (values per path: the result columns, then the
//! budget cells), `work`; the number of deal counts and each count's
//! ten integers and three exit-time histograms (length, then counts); the byte length of the sketches and the sketches
//! (`QuantileSketch::encode`); the byte length of the column statistics
//! of a run without a matrix (0 for none) and those
//! (`ColumnStats::encode`); `rows x columns` f64 bit patterns, path by
//! path (its result row, then its budget row); the end mark `FSSHEND1`. Reading checks every length, so a
//! truncated or foreign file is an error, never a panic.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::engine::Results;
use crate::stats::sketch::QuantileSketch;
use crate::stats::stream::ColumnStats;
use crate::vehicles::equity::DealCounts;

const MAGIC: &[u8; 8] = b"FSSHARD2";
const END: &[u8; 8] = b"FSSHEND1";

/// Everything in a part file but the matrix rows.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub first: u64,
    pub rows: u64,
    pub columns: u64,
    pub work: u64,
    pub deals: Vec<DealCounts>,
    pub sketches: Vec<QuantileSketch>,
    /// `--no-paths`: the column statistics (and no rows).
    pub stream: Option<ColumnStats>,
}

fn invalid(path: &Path, what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{} is not a whole shard part file: {what}", path.display()))
}

/// Write the results of the paths `first..first + rows` to `path`.
pub(crate) fn write(path: &Path, first: u64, r: &Results) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    write_to(&mut w, first, r)?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()
}

/// The encoding of [`write`], into any writer (an MPI message buffer).
pub(crate) fn write_to(w: &mut impl Write, first: u64, r: &Results) -> io::Result<()> {
    w.write_all(MAGIC)?;
    let rows = r.matrix.nrows();
    let columns = r.matrix.ncols() + r.budget.matrix.ncols();
    for x in [first, rows as u64, columns as u64, r.work, r.deals.len() as u64] {
        w.write_all(&x.to_le_bytes())?;
    }
    for (_, d) in &r.deals {
        for x in d.multiple.iter().chain(&d.route) {
            w.write_all(&x.to_le_bytes())?;
        }
        for steps in &d.exit_steps {
            w.write_all(&(steps.len() as u64).to_le_bytes())?;
            for x in steps {
                w.write_all(&x.to_le_bytes())?;
            }
        }
    }
    let mut sketches = Vec::new();
    let n: u64 = r.series.iter().map(|s| s.steps.len() as u64).sum();
    sketches.extend_from_slice(&n.to_le_bytes());
    for s in r.series.iter().flat_map(|s| &s.steps) {
        s.encode(&mut sketches);
    }
    w.write_all(&(sketches.len() as u64).to_le_bytes())?;
    w.write_all(&sketches)?;
    let mut stream = Vec::new();
    if let Some(s) = &r.stream {
        s.encode(&mut stream);
    }
    w.write_all(&(stream.len() as u64).to_le_bytes())?;
    w.write_all(&stream)?;
    for (row, budget) in r.matrix.rows().into_iter().zip(r.budget.matrix.rows()) {
        for x in row.iter().chain(budget.iter()) {
            w.write_all(&x.to_bits().to_le_bytes())?;
        }
    }
    w.write_all(END)
}

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn read_header(path: &Path, r: &mut impl Read) -> io::Result<Header> {
    let bad = |what: &str| invalid(path, what);
    let short = |_| bad("it ends early");
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic).map_err(short)?;
    if &magic != MAGIC {
        return Err(bad("it does not start with FSSHARD2"));
    }
    let mut head = [0u64; 5];
    for x in &mut head {
        *x = read_u64(r).map_err(short)?;
    }
    let [first, rows, columns, work, ndeals] = head;
    if ndeals > 1 << 20 {
        return Err(bad("too many deal counts"));
    }
    let mut deals = Vec::new();
    for _ in 0..ndeals {
        let mut d = DealCounts::default();
        for x in d.multiple.iter_mut().chain(d.route.iter_mut()) {
            *x = read_u64(r).map_err(short)?;
        }
        for steps in &mut d.exit_steps {
            let len = read_u64(r).map_err(short)?;
            if len > 1 << 24 {
                return Err(bad("an exit-time histogram is implausibly long"));
            }
            for _ in 0..len {
                steps.push(read_u64(r).map_err(short)?);
            }
        }
        deals.push(d);
    }
    let len = read_u64(r).map_err(short)?;
    if len > 1 << 34 {
        return Err(bad("its sketches are implausibly long"));
    }
    let mut bytes = Vec::new();
    r.take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(bad("it ends early"));
    }
    let mut rest = &bytes[..];
    let (n, tail) = rest.split_first_chunk::<8>().ok_or_else(|| bad("no sketch count"))?;
    let n = u64::from_le_bytes(*n);
    rest = tail;
    let mut sketches = Vec::new();
    for _ in 0..n {
        sketches.push(QuantileSketch::decode(&mut rest).ok_or_else(|| bad("a damaged sketch"))?);
    }
    if !rest.is_empty() {
        return Err(bad("bytes after its sketches"));
    }
    let len = read_u64(r).map_err(short)?;
    if len > 1 << 34 {
        return Err(bad("its column statistics are implausibly long"));
    }
    let mut bytes = Vec::new();
    r.take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(bad("it ends early"));
    }
    let stream = if len == 0 {
        None
    } else {
        let mut rest = &bytes[..];
        let s = ColumnStats::decode(&mut rest).ok_or_else(|| bad("damaged column statistics"))?;
        if !rest.is_empty() {
            return Err(bad("bytes after its column statistics"));
        }
        Some(s)
    };
    Ok(Header { first, rows, columns, work, deals, sketches, stream })
}

/// Read the header of the part file at `path` (not its rows).
pub(crate) fn header(path: &Path) -> io::Result<Header> {
    read_header(path, &mut BufReader::new(File::open(path)?))
}

/// The per-path values of a simulation read back from its parts, in path
/// order: result rows and budget rows (a part file interleaves them, path
/// by path), read straight into their own matrices.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    /// Result columns and budget cells per path.
    pub columns: usize,
    pub budget_cells: usize,
    pub data: Vec<f64>,
    pub budget: Vec<f64>,
}

impl Rows {
    pub(crate) fn new(columns: usize, budget_cells: usize) -> Rows {
        Rows { columns, budget_cells, ..Rows::default() }
    }
}

/// Read the part file at `path`, appending its rows to `rows`.
pub(crate) fn read(path: &Path, rows: &mut Rows) -> io::Result<Header> {
    read_from(path, &mut BufReader::with_capacity(1 << 20, File::open(path)?), rows)
}

/// As [`read`], from any reader (`path` names it in messages).
pub(crate) fn read_from(path: &Path, r: &mut impl Read, rows: &mut Rows) -> io::Result<Header> {
    let h = read_header(path, r)?;
    let width = rows.columns + rows.budget_cells;
    if h.rows > 0 && h.columns != width as u64 {
        return Err(invalid(path, "its rows are of another width"));
    }
    let cells = h.rows.checked_mul(h.columns).and_then(|c| usize::try_from(c).ok());
    let cells = cells.ok_or_else(|| invalid(path, "rows x columns overflows"))?;
    let n = h.rows as usize;
    let room = |v: &mut Vec<f64>, per: usize| v.try_reserve(n.saturating_mul(per));
    room(&mut rows.data, rows.columns)
        .and(room(&mut rows.budget, rows.budget_cells))
        .map_err(|_| invalid(path, "too many rows for memory"))?;
    let mut buf = vec![0u8; 1 << 16];
    let (mut left, mut j) = (cells, 0usize);
    while left > 0 {
        let n = left.min(buf.len() / 8);
        r.read_exact(&mut buf[..n * 8]).map_err(|_| invalid(path, "its rows end early"))?;
        for b in buf[..n * 8].chunks_exact(8) {
            let x = f64::from_bits(u64::from_le_bytes(b.try_into().unwrap()));
            if j < rows.columns {
                rows.data.push(x)
            } else {
                rows.budget.push(x)
            }
            j = if j + 1 == width { 0 } else { j + 1 };
        }
        left -= n;
    }
    let mut end = [0u8; 8];
    r.read_exact(&mut end).map_err(|_| invalid(path, "it has no end mark"))?;
    if &end != END || r.read(&mut [0u8; 1])? != 0 {
        return Err(invalid(path, "it does not end with FSSHEND1 right after its rows"));
    }
    Ok(h)
}
