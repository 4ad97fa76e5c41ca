//! Hostile input (issue 20): a few hundred generated cases, each run as a
//! subprocess of the built binary with a hard time limit, asserting that
//! fundsim never hangs, never aborts or panics, and never touches a file
//! outside the run's output directory:
//!
//! - the exit status is 0, 1 or 2 (never a signal);
//! - stderr never says "panicked" or "RUST_BACKTRACE";
//! - an exit 2 message names a key (or flag) and a rule, and nothing is
//!   written (the output directory does not appear);
//! - every other file in the case's directory is unchanged and no stray
//!   file (a staging directory, say) is left beside it;
//! - the cases of the classes in `MUST_REFUSE` exit 2;
//! - a successful run's `summary.csv` has no silent non-finite value: a
//!   metric that is not undefined in every path has a mean, a min and a
//!   max, and no cell reads `inf` or `NaN`.
//!
//! The cases start from the shipped scenarios and mutate them: non-finite
//! and extreme numbers, wrong types, empty strings, unknown and deep keys,
//! truncated, byte-corrupted and binary files, huge sweep grids, sweeps
//! over a vehicle's kind, bad flags, and `fundsim plot` on output files
//! holding `inf`. The generator is seeded, so the cases are the same on
//! every run. A summary of the cases by class is printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use toml_edit::{DocumentMut, Item, TableLike, Value};

/// Classes whose every case is a mistake that must be refused (exit 2):
/// accepting one is silent acceptance of bad input (a sweep over a
/// vehicle's kind compared TVPI with a default count, say).
const MUST_REFUSE: [&str; 4] = ["sweep", "deep_key", "unknown_key", "wrong_type"];

/// A case that has not finished by then is a hang. The shipped package
/// simulates 35 runs of its paths (three sweep variants and both sides of
/// its sixteen sensitivity levers, each rebuilding the guidance fund's
/// pilot): about 5 s of CPU at 20 paths, which three workers at once on a
/// shared two-core machine stretched past 20 s of wall time (46 s alone at
/// a load of 14). A hang never exits, so this limit still catches one.
const LIMIT: Duration = Duration::from_secs(120);
/// Cases run at once.
const WORKERS: usize = 3;

const SHIPPED: [&str; 7] = [
    "venture_fund",
    "tech_loans",
    "angel_guidance_fund",
    "s_fund",
    "shenzhen_policy_package",
    "defaults",
    "bench_loans",
];

/// The binary under test: the one cargo built, or `FUNDSIM_HOSTILE_BIN`
/// (to run the suite against another build, an older one say).
fn binary() -> PathBuf {
    std::env::var_os("FUNDSIM_HOSTILE_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_fundsim")), PathBuf::from)
}

/// SplitMix64: a small seeded generator, so the cases never change.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Prepares the case directory beyond its files (an output directory to
/// redraw, say).
type Setup = Box<dyn Fn(&Path) + Send + Sync>;

struct Case {
    class: &'static str,
    name: String,
    /// Files written into the case directory.
    files: Vec<(String, Vec<u8>)>,
    setup: Option<Setup>,
    args: Vec<String>,
    /// The output directory, relative to the case directory: the only
    /// place the command may write.
    out: String,
    /// Keys the error message must name (every mistake at once).
    expect: Vec<String>,
}

impl Case {
    fn new(class: &'static str, name: impl Into<String>, args: &[&str]) -> Case {
        Case {
            class,
            name: name.into(),
            files: Vec::new(),
            setup: None,
            args: args.iter().map(|s| s.to_string()).collect(),
            out: "out".into(),
            expect: Vec::new(),
        }
    }

    fn file(mut self, name: &str, bytes: impl Into<Vec<u8>>) -> Case {
        self.files.push((name.to_string(), bytes.into()));
        self
    }

    fn args(mut self, a: &[&str]) -> Case {
        self.args.extend(a.iter().map(|s| s.to_string()));
        self
    }
}

fn shipped(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.toml"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A small, quick run of scenario file `s.toml`.
fn quick_run(paths: u32) -> Vec<String> {
    ["run", "s.toml", "--out", "out", "--quiet", "--no-charts", "--paths", &paths.to_string()]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The kind of a leaf value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Float,
    Str,
    Bool,
    Array,
}

/// Every leaf key of a document (tables and inline tables, not arrays of
/// tables), with its kind.
fn leaves(doc: &DocumentMut) -> Vec<(Vec<String>, Kind)> {
    fn walk(t: &dyn TableLike, prefix: &[String], out: &mut Vec<(Vec<String>, Kind)>) {
        for (k, item) in t.iter() {
            let mut path = prefix.to_vec();
            path.push(k.to_string());
            match item {
                Item::Table(t) => walk(t, &path, out),
                Item::Value(Value::InlineTable(t)) => walk(t, &path, out),
                Item::Value(v) => {
                    let kind = match v {
                        Value::Integer(_) => Kind::Int,
                        Value::Float(_) => Kind::Float,
                        Value::String(_) => Kind::Str,
                        Value::Boolean(_) => Kind::Bool,
                        _ => Kind::Array,
                    };
                    out.push((path, kind));
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(doc.as_table(), &[], &mut out);
    out
}

/// `doc` with the value at `path` replaced by the TOML value `text`.
fn with_value(doc: &DocumentMut, path: &[String], text: &str) -> String {
    let mut doc = doc.clone();
    let value: Value = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut item: &mut Item = doc.as_item_mut();
    for p in &path[..path.len() - 1] {
        item = &mut item[p.as_str()];
    }
    item[path[path.len() - 1].as_str()] = Item::Value(value);
    doc.to_string()
}

const EXTREME: [&str; 12] = [
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "-1",
    "0",
    "1e-320",
    "9223372036854775807",
    "-9223372036854775808",
    "1e15",
    "4294967296",
];
const WRONG: [&str; 6] = ["\"text\"", "true", "[1, 2]", "{ a = 1 }", "1979-05-27", "[]"];

fn generate(rng: &mut Rng) -> Vec<Case> {
    let mut cases = Vec::new();
    let docs: Vec<(&str, DocumentMut)> = SHIPPED.iter().map(|s| (*s, shipped(s).parse().unwrap())).collect();
    let numeric: Vec<(usize, Vec<String>)> = docs
        .iter()
        .enumerate()
        .flat_map(|(i, (_, d))| {
            leaves(d).into_iter().filter(|(_, k)| matches!(k, Kind::Int | Kind::Float)).map(move |(p, _)| (i, p))
        })
        .filter(|(_, p)| p[0] != "simulation" || p[1] != "paths")
        .collect();
    let all: Vec<(usize, Vec<String>, Kind)> =
        docs.iter().enumerate().flat_map(|(i, (_, d))| leaves(d).into_iter().map(move |(p, k)| (i, p, k))).collect();

    // Non-finite and extreme numbers in the file.
    for _ in 0..70 {
        let (i, path) = rng.pick(&numeric).clone();
        let v = *rng.pick(&EXTREME);
        let text = with_value(&docs[i].1, &path, v);
        let paths = *rng.pick(&[20, 50, 100]);
        cases.push(
            Case::new("file_value", format!("{}: {} = {v}", docs[i].0, path.join(".")), &[])
                .file("s.toml", text)
                .args(&quick_run(paths).iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        );
    }
    // The same through --set.
    for _ in 0..40 {
        let (i, path) = rng.pick(&numeric).clone();
        let v = *rng.pick(&EXTREME);
        let set = format!("{}={v}", path.join("."));
        cases.push(
            Case::new("set_value", format!("{}: --set {set}", docs[i].0), &[])
                .file("s.toml", shipped(docs[i].0))
                .args(&quick_run(30).iter().map(|s| s.as_str()).collect::<Vec<_>>())
                .args(&["--set", &set]),
        );
    }
    // Wrong types, in the file (several at once) and through --set.
    for n in 0..30 {
        let (i, _, _) = *rng.pick(&all);
        let own: Vec<&(usize, Vec<String>, Kind)> = all.iter().filter(|(j, _, _)| *j == i).collect();
        let mut text = docs[i].1.clone();
        let mut what = Vec::new();
        let mut expect: Vec<Vec<String>> = Vec::new();
        for _ in 0..(1 + n % 4) {
            let (_, path, kind) = rng.pick(&own);
            let w = loop {
                let w = *rng.pick(&WRONG);
                let same = match kind {
                    Kind::Str => w.starts_with('"'),
                    Kind::Bool => w == "true",
                    Kind::Array => w.starts_with('['),
                    _ => false,
                };
                if !same {
                    break w;
                }
            };
            text = with_value(&text, path, w).parse().unwrap();
            what.push(format!("{} = {w}", path.join(".")));
            expect.push(path.clone());
        }
        // A vehicle whose kind is mistyped cannot be read any further.
        let broken: Vec<Vec<String>> =
            expect.iter().filter(|p| p.len() == 3 && p[0] == "vehicles" && p[2] == "kind").cloned().collect();
        let expect: Vec<String> = expect
            .iter()
            .filter(|p| !broken.iter().any(|b| p.len() >= 3 && p[..2] == b[..2] && *p != b))
            .map(|p| p.join("."))
            .collect();
        let mut case = Case::new("wrong_type", format!("{}: {}", docs[i].0, what.join(", ")), &[])
            .file("s.toml", text.to_string())
            .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>());
        case.expect = expect;
        cases.push(case);
    }
    for _ in 0..10 {
        let (i, path, _) = rng.pick(&all).clone();
        let w = *rng.pick(&WRONG);
        let set = format!("{}={w}", path.join("."));
        cases.push(
            Case::new("wrong_type", format!("{}: --set {set}", docs[i].0), &[])
                .file("s.toml", shipped(docs[i].0))
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>())
                .args(&["--set", &set]),
        );
    }
    // Empty strings wherever a string is.
    for (i, path, kind) in &all {
        if *kind != Kind::Str {
            continue;
        }
        let text = with_value(&docs[*i].1, path, "\"\"");
        cases.push(
            Case::new("empty_string", format!("{}: {} = \"\"", docs[*i].0, path.join(".")), &[])
                .file("s.toml", text)
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        );
    }
    // Unknown keys.
    let unknown = [
        "comitment = 5.0\n",
        "[simulatoin]\npaths = 3\n",
        "[vehicles.x]\nkind = \"loan_program\"\nloanz = 3\n",
        "[market.regimes]\nstatez = [\"a\"]\n",
        "[stages.seedling]\nfailure_rate = 0.1\n",
        "[[sweep]]\nkey = \"vehicles.nope.pd\"\nvalues = [0.1]\n",
        "[sensitivity]\ntarget = \"nope.nope\"\nlevers = []\n",
        "[[sweep]]\nkey = \"market.factor_correlation\"\nvalues = [0.1]\nextra = 1\n",
        "\"\" = 1\n",
        "[vehicles.\"a b\"]\nkind = \"venture_fund\"\n",
    ];
    for (n, u) in unknown.iter().enumerate() {
        let base = docs[n % docs.len()].0;
        cases.push(
            Case::new("unknown_key", format!("{base} + {}", u.lines().next().unwrap_or("")), &[])
                .file("s.toml", format!("{}\n{u}", shipped(base)))
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        );
    }
    // Deep keys: --set, dotted keys, nested arrays and inline tables.
    for depth in [65usize, 100, 5000] {
        let key = vec!["a"; depth].join(".");
        cases.push(
            Case::new("deep_key", format!("--set key {depth} levels deep"), &[])
                .file("s.toml", shipped("venture_fund"))
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>())
                .args(&["--set", &format!("{key}=1")]),
        );
        cases.push(
            Case::new("deep_key", format!("check --set key {depth} levels deep under vehicles"), &[])
                .file("s.toml", shipped("venture_fund"))
                .args(&["check", "s.toml", "--set", &format!("vehicles.fund.{key}=1")]),
        );
        cases.push(
            Case::new("deep_key", format!("dotted key {depth} levels deep in the file"), &[])
                .file("s.toml", format!("{}\n{key} = 1\n", shipped("venture_fund")))
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        );
        cases.push(
            Case::new("deep_key", format!("array nested {depth} deep"), &[])
                .file(
                    "s.toml",
                    format!("{}\nx = {}1{}\n", shipped("venture_fund"), "[".repeat(depth), "]".repeat(depth)),
                )
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        );
        cases.push(
            Case::new("deep_key", format!("inline table nested {depth} deep"), &[])
                .file(
                    "s.toml",
                    format!("{}\ny = {}1{}\n", shipped("venture_fund"), "{ a = ".repeat(depth), " }".repeat(depth)),
                )
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        );
        cases.push(
            Case::new("deep_key", format!("sweep key {depth} levels deep"), &[])
                .file("s.toml", format!("{}\n[[sweep]]\nkey = \"{key}\"\nvalues = [1, 2]\n", shipped("venture_fund")))
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        );
    }
    // Truncated and corrupted files.
    for _ in 0..20 {
        let (name, _) = rng.pick(&docs);
        let text = shipped(name).into_bytes();
        let at = rng.below(text.len());
        cases.push(
            Case::new("truncated", format!("{name} cut at byte {at}"), &[])
                .file("s.toml", text[..at].to_vec())
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        );
    }
    for _ in 0..25 {
        let (name, _) = rng.pick(&docs);
        let mut text = shipped(name).into_bytes();
        let flips = 1 + rng.below(4);
        for _ in 0..flips {
            let at = rng.below(text.len());
            text[at] = (rng.next() & 0xff) as u8;
        }
        cases.push(
            Case::new("corrupted", format!("{name} with {flips} byte(s) changed"), &[])
                .file("s.toml", text)
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        );
    }
    let garbage: Vec<u8> = (0..4096).map(|_| (rng.next() & 0xff) as u8).collect();
    for (what, bytes) in [
        ("binary garbage", garbage.clone()),
        ("empty file", Vec::new()),
        ("non-UTF-8 string", b"name = \"\xff\xfe\"\n[vehicles.f]\nkind = \"venture_fund\"\n".to_vec()),
        ("Latin-1 comment", [shipped("venture_fund").into_bytes(), b"# caf\xe9\n".to_vec()].concat()),
        ("byte-order mark", [b"\xef\xbb\xbf".to_vec(), shipped("venture_fund").into_bytes()].concat()),
        ("NUL bytes", [shipped("venture_fund").into_bytes(), vec![0u8; 64]].concat()),
        ("a PNG", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
    ] {
        cases.push(
            Case::new("corrupted", what, &[])
                .file("s.toml", bytes)
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        );
    }
    cases.push(
        Case::new("corrupted", "a directory as the scenario", &["run", "dir", "--out", "out", "--quiet"])
            .file("dir/x", "x"),
    );

    sweeps(&mut cases);
    flags(&mut cases);
    charts(&mut cases);
    cases
}

fn values(n: usize, start: f64, step: f64) -> String {
    let v: Vec<String> = (0..n).map(|i| format!("{:?}", start + step * i as f64)).collect();
    format!("[{}]", v.join(", "))
}

fn sweeps(cases: &mut Vec<Case>) {
    let loans = shipped("tech_loans");
    let fund = "name = \"f\"\n[simulation]\npaths = 30\nyears = 12\n[vehicles.fund]\nkind = \"venture_fund\"\n";
    let ratio = "vehicles.loans.policy.risk_compensation.ratio";
    let table = |key: &str, vals: &str| format!("\n[[sweep]]\nkey = \"{key}\"\nvalues = {vals}\n");
    let mut add = |name: String, text: String| {
        cases.push(
            Case::new("sweep", name, &[])
                .file("s.toml", text)
                .args(&quick_run(20).iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        );
    };
    add(
        "a 1000 x 1000 grid".into(),
        format!(
            "{loans}{}{}",
            table(ratio, &values(1000, 0.0, 0.001)),
            table("vehicles.loans.lgd", &values(1000, 0.0, 0.001))
        ),
    );
    add(
        "a 200 x 60 grid".into(),
        format!(
            "{loans}{}{}",
            table(ratio, &values(200, 0.0, 0.005)),
            table("vehicles.loans.lgd", &values(60, 0.0, 0.01))
        ),
    );
    add("1001 values".into(), format!("{loans}{}", table(ratio, &values(1001, 0.0, 0.0005))));
    add("no values".into(), format!("{loans}{}", table(ratio, "[]")));
    add(
        "three tables".into(),
        format!(
            "{loans}{}{}{}",
            table(ratio, "[0.1]"),
            table("vehicles.loans.lgd", "[0.1]"),
            table("vehicles.loans.pd", "[0.1]")
        ),
    );
    for kinds in [
        "[\"venture_fund\", \"loan_program\"]",
        "[\"loan_program\", \"venture_fund\"]",
        "[\"venture_fund\", \"guidance_fund\"]",
        "[\"venture_fund\", \"s_fund\"]",
        "[\"venture_fund\", \"bogus\"]",
        "[\"venture_fund\"]",
    ] {
        add(format!("sweep of kind over {kinds}"), format!("{fund}{}", table("vehicles.fund.kind", kinds)));
    }
    add(
        "sweep of a new vehicle's kind".into(),
        format!("{fund}{}", table("vehicles.extra.kind", "[\"loan_program\"]")),
    );
    add("sweep of a vehicle table".into(), format!("{fund}{}", table("vehicles.fund", "[1, 2]")));
    add("sweep of vehicles".into(), format!("{fund}{}", table("vehicles", "[1, 2]")));
    add(
        "sweep of a key of a new vehicle".into(),
        format!("{fund}{}", table("vehicles.other.commitment", "[1.0, 2.0]")),
    );
    add("sweep of a market table".into(), format!("{fund}{}", table("market.regimes", "[1, 2]")));
    add("sweep of simulation.paths".into(), format!("{fund}{}", table("simulation.paths", "[10, 20]")));
    add("sweep values of mixed types".into(), format!("{loans}{}", table(ratio, "[0.3, \"x\", true]")));
    add("sweep values non-finite".into(), format!("{loans}{}", table(ratio, "[nan, inf, -inf]")));
    add("sweep values huge".into(), format!("{loans}{}", table("vehicles.loans.loan_size", "[1e308, 1e300]")));
    add("sweep values tables".into(), format!("{loans}{}", table(ratio, "[{ a = 1 }]")));
    add("sweep key empty".into(), format!("{loans}{}", table("", "[1]")));
    add("sweep key unknown".into(), format!("{loans}{}", table("vehicles.loans.nope", "[1]")));
    add("sweep key as a number".into(), format!("{loans}\n[[sweep]]\nkey = 5\nvalues = [1]\n"));
    add("sweep values not an array".into(), format!("{loans}\n[[sweep]]\nkey = \"{ratio}\"\nvalues = 0.3\n"));
    let sens = |key: &str, low: &str, high: &str| {
        format!(
            "\n[sensitivity]\ntarget = \"total.fiscal_cost\"\nlevers = [{{ key = \"{key}\", low = {low}, high = {high} }}]\n"
        )
    };
    add(
        "sensitivity over kind".into(),
        format!("{loans}{}", sens("vehicles.loans.kind", "\"loan_program\"", "\"venture_fund\"")),
    );
    add(
        "sensitivity over a new vehicle".into(),
        format!("{loans}{}", sens("vehicles.x.kind", "\"loan_program\"", "\"loan_program\"")),
    );
    add("sensitivity non-finite".into(), format!("{loans}{}", sens(ratio, "nan", "inf")));
    add("sensitivity wrong type".into(), format!("{loans}{}", sens(ratio, "\"low\"", "[1]")));
    add("sensitivity 2000 levers".into(), {
        let levers: Vec<String> =
            (0..2000).map(|_| format!("{{ key = \"{ratio}\", low = 0.3, high = 0.5 }}")).collect();
        format!("{loans}\n[sensitivity]\ntarget = \"total.fiscal_cost\"\nlevers = [{}]\n", levers.join(", "))
    });
}

fn flags(cases: &mut Vec<Case>) {
    let fund = shipped("venture_fund");
    let run = |name: &str, extra: &[&str]| {
        Case::new("flags", name, &["run", "s.toml", "--out", "out", "--quiet", "--no-charts"])
            .file("s.toml", fund.clone())
            .args(extra)
    };
    for (name, extra) in [
        ("--threads 100000", &["--threads", "100000", "--paths", "20"][..]),
        ("--threads 5000", &["--threads", "5000", "--paths", "200"]),
        ("--threads 1025", &["--threads", "1025", "--paths", "20"]),
        ("--threads 16", &["--threads", "16", "--paths", "200"]),
        ("--threads -1", &["--threads", "-1"]),
        ("--threads 2^64", &["--threads", "18446744073709551616"]),
        ("--paths 0", &["--paths", "0"]),
        ("--paths 1e9", &["--paths", "1e9"]),
        ("--paths 1000000000", &["--paths", "1000000000"]),
        ("--paths 2^64-1", &["--paths", "18446744073709551615"]),
        ("--paths -5", &["--paths", "-5"]),
        ("--seed -1", &["--seed", "-1", "--paths", "20"]),
        ("--seed 2^64-1", &["--seed", "18446744073709551615", "--paths", "20"]),
        ("--set without =", &["--set", "novalue", "--paths", "20"]),
        ("--set empty", &["--set", "", "--paths", "20"]),
        ("--set =5", &["--set", "=5", "--paths", "20"]),
        ("--set a..b=1", &["--set", "a..b=1", "--paths", "20"]),
        ("--set a value table", &["--set", "vehicles.fund.commitment.x=1", "--paths", "20"]),
        ("--set a huge value", &["--set", "vehicles.fund.commitment=1e300", "--paths", "20"]),
        ("--font missing", &["--font", "nope.ttf", "--paths", "20"]),
        ("--font not a font", &["--font", "s.toml", "--paths", "20"]),
        ("unknown flag", &["--frobnicate"]),
    ] {
        cases.push(run(name, extra));
    }
    cases.push(
        Case::new("flags", "--out is a file", &["run", "s.toml", "--out", "s.toml", "--quiet", "--paths", "20"])
            .file("s.toml", fund.clone()),
    );
    cases.push(Case::new("flags", "missing scenario", &["run", "nope.toml", "--out", "out", "--quiet"]));
    cases.push(Case::new("flags", "no command", &[]));
    cases.push(Case::new("flags", "check a missing file", &["check", "nope.toml"]));
    let bench = |name: &str, extra: &[&str]| {
        Case::new("flags", name, &["bench", "s.toml", "--csv", "out/bench.csv", "--paths", "20"])
            .file("s.toml", shipped("bench_loans"))
            .args(extra)
    };
    for (name, extra) in [
        ("bench --repeats 0", &["--repeats", "0", "--threads", "1"][..]),
        ("bench --repeats 2^64-1", &["--repeats", "18446744073709551615", "--threads", "1"]),
        ("bench --repeats 1000000", &["--repeats", "1000000", "--threads", "1"]),
        ("bench --threads 0", &["--threads", "0"]),
        ("bench --threads 5000", &["--threads", "5000", "--repeats", "1"]),
        ("bench --threads 1,1,1", &["--threads", "1,1,1", "--repeats", "1"]),
        ("bench --paths 0", &["--paths", "0", "--threads", "1"]),
        ("bench --paths 1000000000", &["--paths", "1000000000", "--threads", "1", "--repeats", "1"]),
        ("bench ok", &["--threads", "1", "--repeats", "1"]),
    ] {
        cases.push(bench(name, extra));
    }
    cases.push(
        Case::new("flags", "bench a bad scenario", &["bench", "s.toml", "--csv", "out/bench.csv", "--paths", "20"])
            .file("s.toml", "garbage = = ="),
    );
    cases.push(Case::new("flags", "plot a missing directory", &["plot", "out"]));
    cases.push(Case::new("flags", "plot a file", &["plot", "afile"]).file("afile", "x"));
    cases.push(Case::new("flags", "plot an empty directory", &["plot", "out"]).file("out/.keep", ""));
}

/// A finished output directory to redraw, made once.
static FIXTURES: Mutex<Option<PathBuf>> = Mutex::new(None);

fn fixtures() -> PathBuf {
    let mut f = FIXTURES.lock().unwrap();
    if let Some(p) = &*f {
        return p.clone();
    }
    let dir = std::env::temp_dir().join(format!("fundsim-hostile-fixtures-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in [("loans", shipped("tech_loans")), ("package", shipped("shenzhen_policy_package"))] {
        let f = dir.join(format!("{name}.toml"));
        std::fs::write(&f, text).unwrap();
        let o = Command::new(binary())
            .current_dir(&dir)
            .args(["run", f.to_str().unwrap(), "--out", name, "--quiet", "--paths", "30"])
            .output()
            .unwrap();
        assert!(o.status.success(), "fixture {name}: {}", String::from_utf8_lossy(&o.stderr));
    }
    *f = Some(dir.clone());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

/// Replace every `n`-th number cell of a CSV (after the header) by `with`.
fn poison(path: &Path, n: usize, with: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    let mut k = 0;
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out += line;
        } else {
            let cells: Vec<String> = line
                .split(',')
                .map(|c| {
                    if c.parse::<f64>().is_ok() {
                        k += 1;
                        if k % n == 0 {
                            return with.to_string();
                        }
                    }
                    c.to_string()
                })
                .collect();
            out += &cells.join(",");
        }
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

fn charts(cases: &mut Vec<Case>) {
    for (name, set) in [
        ("tech_loans", "vehicles.loans.loan_size=1e308"),
        ("tech_loans", "vehicles.loans.loan_size=1e300"),
        ("venture_fund", "vehicles.fund.commitment=1e308"),
        ("angel_guidance_fund", "vehicles.angel.government_capital=1e307"),
        ("tech_loans", "vehicles.loans.policy.risk_compensation.pool_size=1e308"),
        // At the bounds: accepted, drawn on axes of huge values.
        ("tech_loans", "vehicles.loans.loan_size=1e12"),
        ("venture_fund", "vehicles.fund.commitment=1e12"),
        ("angel_guidance_fund", "vehicles.angel.government_capital=1e12"),
        ("s_fund", "stages.seed.step_up=1000"),
        ("shenzhen_policy_package", "vehicles.loans.loan_size=1e12"),
    ] {
        cases.push(
            Case::new(
                "charts",
                format!("run {name} with charts, --set {set}"),
                &["run", "s.toml", "--out", "out", "--quiet"],
            )
            .file("s.toml", shipped(name))
            .args(&["--paths", "30", "--set", set]),
        );
    }
    let plot =
        |what: String, fixture: &'static str, files: &'static [&'static str], every: usize, with: &'static str| {
            let mut c = Case::new("charts", format!("plot {fixture}: {what}"), &["plot", "out"]);
            c.setup = Some(Box::new(move |dir: &Path| {
                copy_dir(&fixtures().join(fixture), &dir.join("out"));
                for f in files {
                    poison(&dir.join("out").join(f), every, with);
                }
            }));
            c
        };
    for with in ["inf", "-inf", "NaN", "1e308", "-1.7976931348623157e308"] {
        cases.push(plot(format!("paths.csv with {with}"), "loans", &["paths.csv"], 3, with));
    }
    for with in ["inf", "1e308", "-1e308"] {
        cases.push(plot(format!("timeseries.csv with {with}"), "loans", &["timeseries.csv"], 2, with));
        cases.push(plot(
            format!("summary.csv and risk.csv with {with}"),
            "loans",
            &["summary.csv", "risk.csv"],
            2,
            with,
        ));
    }
    for with in ["inf", "1e308", "NaN"] {
        cases.push(plot(
            format!("every CSV with {with}"),
            "package",
            &[
                "paths.csv",
                "summary.csv",
                "risk.csv",
                "timeseries.csv",
                "fiscal.csv",
                "sweep.csv",
                "sensitivity.csv",
                "variants/1/paths.csv",
            ],
            2,
            with,
        ));
    }
    cases.push(plot("fiscal.csv with a word".into(), "package", &["fiscal.csv"], 5, "lots"));
    let mut c = Case::new("charts", "plot with a truncated manifest", &["plot", "out"]);
    c.setup = Some(Box::new(|dir: &Path| {
        copy_dir(&fixtures().join("loans"), &dir.join("out"));
        std::fs::write(dir.join("out/manifest.json"), "{\"fundsim_version\": ").unwrap();
    }));
    cases.push(c);
}

/// Every file under `dir` but `skip`, with its contents.
fn snapshot(dir: &Path, skip: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p == skip {
                continue;
            }
            let rel = p.strip_prefix(dir).unwrap().to_path_buf();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                out.insert(rel, None);
                stack.push(p);
            } else {
                out.insert(rel, std::fs::read(&p).ok());
            }
        }
    }
    out
}

/// What a finished run's summary.csv must never hold.
fn check_summary(path: &Path) -> Result<(), String> {
    let Ok(mut r) = csv::Reader::from_path(path) else { return Ok(()) };
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (mean, min, max, und) = (at("mean"), at("min"), at("max"), at("undefined_share"));
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        for c in rec.iter() {
            let l = c.trim().trim_start_matches(['-', '+']).to_ascii_lowercase();
            if ["inf", "infinity", "nan"].contains(&l.as_str()) {
                return Err(format!("summary.csv has a cell `{c}`: {rec:?}"));
            }
        }
        let share: f64 = rec[und].parse().map_err(|_| format!("undefined_share `{}`", &rec[und]))?;
        if share < 1.0 && (rec[mean].is_empty() || rec[min].is_empty() || rec[max].is_empty()) {
            return Err(format!(
                "summary.csv: {}.{} has an empty mean, min or max but undefined_share {share}",
                &rec[0], &rec[1]
            ));
        }
    }
    Ok(())
}

/// Whether an exit-2 message names a key, flag or file and a rule.
fn names_key_and_rule(err: &str, args: &[String]) -> bool {
    let key = err.contains('`')
        || err.contains("--")
        || err.contains('\'')
        || args.iter().skip(1).any(|a| a.len() > 1 && !a.starts_with('-') && err.contains(a.as_str()));
    let rules = [
        "must",
        "is not",
        "cannot",
        "invalid",
        "at most",
        "may not",
        "not a",
        "unexpected",
        "expected",
        "missing",
        "required",
        "too",
        "wrong type",
        "exceed",
        "does not",
        "within",
        "needed",
        "may only",
        "one of",
        "parsing",
        "Usage:",
        "No such file",
    ];
    key && rules.iter().any(|r| err.contains(r))
}

struct Outcome {
    class: &'static str,
    name: String,
    status: String,
    failure: Option<String>,
    seconds: f64,
}

fn run_case(case: &Case) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    for (name, bytes) in &case.files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
    }
    // A file the command must never touch.
    std::fs::write(dir.path().join("precious.txt"), "keep me").unwrap();
    if let Some(s) = &case.setup {
        s(dir.path());
    }
    let out = dir.path().join(&case.out);
    let out_existed = out.exists();
    let before = snapshot(dir.path(), &out);
    let started = Instant::now();
    let mut child = Command::new(binary())
        .current_dir(dir.path())
        .args(&case.args)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(logs.path().join("stdout")).unwrap())
        .stderr(std::fs::File::create(logs.path().join("stderr")).unwrap())
        .spawn()
        .expect("spawn fundsim");
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let seconds = started.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&std::fs::read(logs.path().join("stderr")).unwrap_or_default()).into_owned();
    let short = |s: &str| s.chars().take(600).collect::<String>();
    let fail = |why: String| Some(why);
    let (status_text, mut failure) = match status {
        None => ("hang".to_string(), fail(format!("no exit within {} s (killed)", LIMIT.as_secs()))),
        Some(s) => match s.code() {
            Some(c @ 0..=2) => (c.to_string(), None),
            Some(c) => (c.to_string(), fail(format!("exit status {c}: {}", short(&err)))),
            None => ("signal".to_string(), fail(format!("killed by a signal ({s:?}): {}", short(&err)))),
        },
    };
    if failure.is_none() && (err.contains("panicked") || err.contains("RUST_BACKTRACE")) {
        failure = Some(format!("panic: {}", short(&err)));
    }
    if failure.is_none() && status.is_some() && status_text != "2" && MUST_REFUSE.contains(&case.class) {
        failure = Some(format!("accepted (exit {status_text}) but it must be refused with exit 2"));
    }
    if failure.is_none() && status.is_some() {
        let missing: Vec<&String> = case.expect.iter().filter(|k| !err.contains(&format!("`{k}"))).collect();
        if !missing.is_empty() {
            failure = Some(format!("the message does not name {missing:?}: {}", short(&err)));
        }
    }
    if failure.is_none() && status_text == "2" {
        if !names_key_and_rule(&err, &case.args) {
            failure = Some(format!("exit 2 without a key and a rule: {}", short(&err)));
        } else if !out_existed && out.exists() && case.args.first().is_some_and(|a| a == "run") {
            failure = Some(format!("exit 2 but {} was written", case.out));
        }
    }
    if failure.is_none() && status.is_some() {
        let after = snapshot(dir.path(), &out);
        if after != before {
            let changed: Vec<String> = before
                .keys()
                .chain(after.keys())
                .filter(|k| before.get(*k) != after.get(*k))
                .map(|k| k.display().to_string())
                .collect();
            failure = Some(format!("files outside the output directory changed: {changed:?}"));
        }
    }
    if failure.is_none()
        && status_text == "0"
        && case.args.first().is_some_and(|a| a == "run")
        && let Err(e) = check_summary(&out.join("summary.csv"))
    {
        failure = Some(e);
    }
    Outcome { class: case.class, name: case.name.clone(), status: status_text, failure, seconds }
}

#[test]
fn hostile_input_never_hangs_aborts_or_touches_other_files() {
    let mut rng = Rng(20_231_101);
    let cases = generate(&mut rng);
    assert!(cases.len() >= 150, "{} cases", cases.len());
    let next = Mutex::new(0usize);
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(case) = cases.get(i) else { break };
                    let o = run_case(case);
                    outcomes.lock().unwrap().push(o);
                }
            });
        }
    });
    if let Some(dir) = FIXTURES.lock().unwrap().take() {
        let _ = std::fs::remove_dir_all(dir);
    }
    let outcomes = outcomes.into_inner().unwrap();
    // Summary by class: cases, exit statuses, failures.
    // Per class: cases, exit statuses, failures, slowest seconds.
    type Tally = (usize, BTreeMap<String, usize>, usize, f64);
    let mut by_class: BTreeMap<&str, Tally> = BTreeMap::new();
    for o in &outcomes {
        let e = by_class.entry(o.class).or_default();
        e.0 += 1;
        *e.1.entry(o.status.clone()).or_default() += 1;
        e.2 += usize::from(o.failure.is_some());
        e.3 = e.3.max(o.seconds);
    }
    eprintln!("\nhostile input: {} cases", outcomes.len());
    eprintln!("{:<14} {:>6} {:>9} {:>9}  exit statuses", "class", "cases", "failures", "slowest");
    for (class, (n, statuses, failures, slowest)) in &by_class {
        let st: Vec<String> = statuses.iter().map(|(s, k)| format!("{s}: {k}")).collect();
        eprintln!("{class:<14} {n:>6} {failures:>9} {slowest:>8.1}s  {}", st.join(", "));
    }
    let failures: Vec<&Outcome> = outcomes.iter().filter(|o| o.failure.is_some()).collect();
    for o in &failures {
        eprintln!("\nFAIL [{}] {}: {}", o.class, o.name, o.failure.as_deref().unwrap_or(""));
    }
    assert!(failures.is_empty(), "{} of {} hostile cases failed (listed above)", failures.len(), outcomes.len());
}
