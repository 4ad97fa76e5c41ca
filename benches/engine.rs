//! Criterion benchmarks: the two reference workloads of the performance
//! issue end to end on one thread (`scenarios/bench_loans.toml`, 10,000
//! one-year loans; `scenarios/bench_fund.toml`, a 30-deal fund over 12
//! years quarterly), and the hot paths inside them: the loans' failure
//! scan, one company step, one venture fund path, and the IRR solver.
//! Throughput is reported per element (paths, loans, company-steps,
//! solves). Run: `cargo bench --bench engine`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fundsim::engine;
use fundsim::finance::irr::irr_annual;
use fundsim::model::company::{Company, Stage};
use fundsim::model::market::MarketPath;
use fundsim::rng::scan::count_failures;
use fundsim::rng::{MARKET, company_key, path_key, splitmix64, stream, vehicle_key};
use fundsim::scenario::{Scenario, load};
use fundsim::vehicles::PathContext;
use fundsim::vehicles::equity::DealCounts;

fn scenario(file: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(file);
    load(&path, &[]).expect("shipped scenario").scenario
}

/// Workloads (a) and (b) through the engine (no outputs written), as
/// `fundsim bench` runs them, on one thread.
fn reference_workloads(c: &mut Criterion) {
    let mut g = c.benchmark_group("reference");
    g.sample_size(20);
    for (name, file, paths) in
        [("a_loans_10000_one_year", "bench_loans.toml", 512), ("b_fund_30_deals_12y_quarterly", "bench_fund.toml", 256)]
    {
        let scn = scenario(file);
        g.throughput(Throughput::Elements(paths));
        g.bench_function(name, |b| b.iter(|| black_box(engine::run(&scn, paths, 1, &|_| {}))));
    }
    g.finish();
}

/// Workload (a)'s inner loop: the failure test of 10,000 one-step loans.
fn failure_scan(c: &mut Criterion) {
    let mut g = c.benchmark_group("loans");
    g.throughput(Throughput::Elements(10_000));
    let mut path = 0u64;
    // p = 2 %.
    let threshold = (0.02f64 * 4_294_967_296.0).ceil() as u64;
    g.bench_function("failure_scan_10000_loans", |b| {
        b.iter(|| {
            path += 1;
            black_box(count_failures(splitmix64(path), 0, 10_000, threshold))
        })
    });
    g.finish();
}

fn company_step(c: &mut Criterion) {
    let scn = scenario("venture_fund.toml");
    let model = &scn.company_model;
    let key = vehicle_key("bench");
    const N: u64 = 1000;
    let mut companies: Vec<Company> =
        (0..N).map(|i| Company::enter(model, Stage::from_index(1).unwrap(), company_key(0, key, i))).collect();
    let p_fail = model.stage_failure(0.1, 0)[1];
    let mut t = 0usize;
    let mut g = c.benchmark_group("company");
    g.throughput(Throughput::Elements(N));
    g.bench_function("step_1000_private", |b| {
        b.iter(|| {
            t += 1;
            for co in companies.iter_mut() {
                // Keep them private so every iteration measures the same work.
                co.status = fundsim::model::company::Status::Private;
                black_box(co.step(model, t, 0.1, 1, p_fail));
                co.log_value = co.log_value.clamp(0.0, 14.0);
            }
        })
    });
    g.finish();
}

fn fund_path(c: &mut Criterion) {
    let scn = scenario("venture_fund.toml");
    let v = &scn.vehicles[0];
    let h = scn.horizon_steps();
    let mut ws = v.workspace(h);
    let mut row = vec![0.0; v.metrics().len()];
    let mut series = vec![0.0; v.series().len() * h];
    let mut deals = DealCounts::default();
    let mut market = MarketPath::default();
    let mut path = 0u64;
    let mut g = c.benchmark_group("venture_fund");
    g.throughput(Throughput::Elements(1));
    g.bench_function("one_path_25_deals_15y_quarterly", |b| {
        b.iter(|| {
            path += 1;
            market.simulate(&scn.market, h, scn.steps_per_year, &mut stream(scn.seed, path, MARKET));
            let ctx = PathContext {
                path_key: path_key(scn.seed, path),
                market: &market,
                model: &scn.company_model,
                earlier: &[],
            };
            v.simulate(&ctx, &mut ws, &mut row, &mut series, &mut deals);
            black_box(&row);
        })
    });
    g.finish();
}

fn irr(c: &mut Criterion) {
    // A 60-step fund series: calls for 16 quarters, then distributions
    // mixed with small follow-on calls (several sign changes).
    let flows: Vec<f64> = (0..60)
        .map(|t| match t {
            0..16 => -6.0,
            _ if t % 5 == 0 => -0.5,
            _ => 4.0 + (t as f64 * 0.7).sin(),
        })
        .collect();
    let mut g = c.benchmark_group("irr");
    g.throughput(Throughput::Elements(1));
    g.bench_function("fund_series_60_steps", |b| b.iter(|| black_box(irr_annual(black_box(&flows), 4))));
    let simple: Vec<f64> = (0..60)
        .map(|t| {
            if t == 0 {
                -100.0
            } else if t == 59 {
                250.0
            } else {
                0.0
            }
        })
        .collect();
    g.bench_function("one_sign_change_60_steps", |b| b.iter(|| black_box(irr_annual(black_box(&simple), 4))));
    g.finish();
}

criterion_group!(benches, reference_workloads, failure_scan, company_step, fund_path, irr);
criterion_main!(benches);
