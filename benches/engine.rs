//! Criterion benchmarks of the hot paths: one company step, one venture
//! fund path, and the IRR solver. Throughput is reported per element
//! (company-steps, paths, solves). Run: `cargo bench --bench engine`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fundsim::finance::irr::irr_annual;
use fundsim::model::company::Company;
use fundsim::model::market::MarketPath;
use fundsim::rng::{MARKET, company_key, path_key, stream, vehicle_key};
use fundsim::scenario::{Scenario, load};
use fundsim::vehicles::PathContext;
use fundsim::vehicles::venture_fund::DealCounts;

fn shipped() -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/venture_fund.toml");
    load(std::path::Path::new(path), &[]).expect("shipped scenario").scenario
}

fn company_step(c: &mut Criterion) {
    let scn = shipped();
    let model = &scn.company_model;
    let key = vehicle_key("bench");
    const N: u64 = 1000;
    let mut companies: Vec<Company> = (0..N).map(|i| Company::enter(model, 1, company_key(0, key, i))).collect();
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
    let scn = shipped();
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
            let ctx = PathContext { path_key: path_key(scn.seed, path), market: &market, model: &scn.company_model };
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

criterion_group!(benches, company_step, fund_path, irr);
criterion_main!(benches);
