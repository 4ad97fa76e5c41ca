//! The language of the charts and the report (`--lang en|zh`,
//! INTERFACE.md): every string a reader sees is written in English in the
//! code and looked up here for Simplified Chinese.
//!
//! Part of the output stage: the metric catalogue's labels, stakeholders
//! and series titles (`vehicles::catalogue`), the chart titles and axes
//! (`charts`) and the report's fixed text (`report`, `executive`,
//! `policy_tables`) all go through [`tr`] (a string) or [`trf`] (a
//! template with `{0}`, `{1}`... filled in). The tests below walk the
//! catalogue and [`FIXED`], the report's and charts' fixed strings, and
//! require a Chinese entry for each. Chinese text is simplified throughout.

/// The language of the charts and the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// `en` or `zh` (the `--lang` values).
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "zh" | "zh-CN" | "zh-Hans" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The `lang` attribute of the report.
    pub fn html(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

/// `en` in `lang`; a string with no entry stays English.
pub fn tr(lang: Lang, en: &str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Zh => zh(en).map_or_else(|| en.to_string(), str::to_string),
    }
}

/// The template `en` in `lang` with `{0}`, `{1}`... replaced by `args`.
pub fn trf(lang: Lang, en: &str, args: &[&str]) -> String {
    let mut s = tr(lang, en);
    for (i, a) in args.iter().enumerate() {
        s = s.replace(&format!("{{{i}}}"), a);
    }
    s
}

/// The Chinese entry of `en`, if any.
pub fn zh(en: &str) -> Option<&'static str> {
    ZH.iter().find(|(e, _)| *e == en).map(|(_, z)| *z)
}

/// The report's and charts' fixed strings and templates (each in [`ZH`]).
pub const FIXED: &[&str] = &[
    // Report structure.
    "fundsim report",
    "simulated paths",
    "seed",
    "Summary",
    "Contents",
    "Key results",
    "Tail risk",
    "Reproducibility",
    "Appendix: further charts",
    "Fiscal view",
    "Return distributions",
    "Default and loss distributions",
    "Cash flows over time",
    "Deal outcomes",
    "Policy sweep",
    "Sensitivity",
    "Figure",
    "finding",
    "unit",
    "estimate",
    "uncertainty",
    "metric",
    "vehicle",
    "mean",
    "se",
    "median",
    "undefined",
    "probability",
    "package total",
    // Units.
    "mn CNY",
    "% of paths",
    "count",
    "per mn CNY",
    "years",
    "CNY per CNY",
    "firms per mn CNY",
    "million CNY",
    // Summary rows and sentences.
    "Probability that {0} costs the budget money (fiscal cost > 0)",
    "Probability that the government's stake in {0} returns less than it paid in",
    "Probability that the package as a whole costs the budget money",
    "Fiscal cost of the package (present value), mean",
    "± {0} (se)",
    "± {0} (se); 90 % interval {1} to {2}",
    "Private capital mobilised per yuan of fiscal cost",
    "Credit extended per yuan of fiscal cost",
    "Firms financed per million CNY of fiscal cost",
    "ratio of means",
    "Tail risk of the fiscal cost ({0}): VaR 95 %",
    "expected shortfall 95 %: {0}",
    "Sweep: change in fiscal cost ({0}) with {1}",
    "± {0} (se, paired)",
    "Sensitivity: largest swing of the {0}, from the {1}",
    "{0} from {1} to {2}",
    "{0}: {1} to {2}",
    "The package costs the budget money in {0} % of simulated paths (± {1} standard error).",
    "By vehicle, the government loses money in: {0}.",
    "{0} % ± {1} in {2}",
    "Its fiscal cost in present value is {0} million CNY on average (± {1}), with a 90 % interval from {2} to {3} million CNY.",
    "Each yuan of mean fiscal cost goes with {0} yuan of private capital and {1} yuan of credit, and finances {2} firms per million CNY.",
    "In the worst 5 % of paths the cost exceeds {0} million CNY and averages {1} million CNY (VaR and expected shortfall at 95 %).",
    "Moving the {0} changes the fiscal cost by {1} million CNY (± {2}).",
    "Of the levers tried one at a time, the {0} moves the {1} most: by {2} ± {3} {4}.",
    "{0} of the package",
    "{0} of {1}",
    "Probability: {0} ({1})",
    "Probabilities are shares of simulated paths (paths.csv) with their binomial standard error; costs are present values to the budget; ratios of means come from fiscal.csv, VaR and expected shortfall from risk.csv, differences from sweep.csv and sensitivity.csv, paired over common random numbers.",
    "The charts above answer the scenario's questions; these show the rest of the run: every other stakeholder's distributions and cash flows, the deal outcomes, and the sweep's effect on each metric it moves. Charts whose lines would all be flat (a metric the swept lever does not reach) are not drawn.",
    "Across simulated paths, from summary.csv: mean and its standard error, 5th, 50th and 95th percentiles, and the share of paths where the metric is undefined (an IRR with no root, say). The mean of a 0/1 indicator is the probability of the event.",
    "Value-at-Risk (VaR) and expected shortfall (ES, the mean of the worst tail) of each loss metric, from risk.csv.",
    "From manifest.json. The same scenario file, seed and --set values give byte-identical CSV files whatever the thread count.",
    // Charts.
    "Distribution of {0} of {1}",
    "Loss distribution: {0} of {1}",
    "{0} of {1} ({2})",
    "{0} of {1} against the {2}",
    "{0} of {1} under each policy variant",
    "all vehicles",
    "{0} paths",
    "Share of paths (%)",
    "Share of paths at or below (%)",
    "Median",
    "Mean",
    "Year",
    "Variant {0}: {1}",
    "Mean, {0}",
    "90% band",
    "Fiscal cost by vehicle",
    "Fiscal cost (million CNY)",
    "Cumulative net cash flow (million CNY)",
    "Net asset value (million CNY)",
    "J-curve: cumulative net cash flow",
    "Years since the first close",
    "x",
    "%",
    // Policy tables.
    "Fiscal cost",
    "What the money mobilises",
    "share of total (%)",
    "private capital (mn CNY)",
    "credit (mn CNY)",
    "firms financed (count)",
    "private capital per fiscal yuan (CNY per CNY)",
    "credit per fiscal yuan (CNY per CNY)",
    "firms per million of fiscal cost (per mn CNY)",
    "None of these metrics is in this sweep.",
    "variant {0}",
    "difference ± se",
    "lever",
    "low",
    "high",
    "mean at low",
    "mean at high",
    "low − base ± se",
    "high − base ± se",
    "swing ± se",
    "From fiscal.csv: each vehicle's fiscal cost (million CNY; negative where the vehicle returns more to the budget than it costs), its standard error and percentiles across paths, and its share of the package's mean cost (a vehicle that profits has a negative share, so the others' can pass 100%). The vehicles run on one economy, so the total's percentiles are those of the path-by-path sum, not sums of percentiles.",
    "Means across paths, and fiscal efficiency as ratios of means (private capital and credit per yuan of mean fiscal cost, firms financed per million CNY of it). A ratio is left out (–) where the mean fiscal cost is zero or negative: there is no cost to divide by.",
    "From sweep.csv: {0} variants of the scenario, each run on the same random numbers. For each variant, the mean across paths and the difference from variant 0 (the base) ± its standard error, paired path by path; with common random numbers the difference is the policy effect, not noise. Shown: {1}, and the package totals; rows that are zero in every variant are left out. Rate differences are in percentage points. The per-fiscal-yuan rows are means of per-path ratios over the paths where they are defined; the fiscal view's ratios of means are the measure to quote.",
    "From sensitivity.csv: the mean of <code>{0}</code> ({1}) with each lever at its low and its high value, the others at the scenario's values; base mean {2}. Differences from the base and the swing (high minus low) carry standard errors paired over common random numbers. Largest swing first.",
    "Deal outcomes of {0}: realised multiples",
    "Realised multiple of each initial investment",
    "Deal outcomes of {0}: exit routes",
    "Exit route",
    "Share of deals (%)",
    "Time to exit of {0}",
    "Years from first investment (p25 to p75)",
    "median {0} y",
    "Failed",
    "Acquired",
    "IPO",
    // Lever words.
    "risk compensation ratio",
    "interest subsidy",
    "profit concession",
    "buyback year",
    "government share",
    "ratio",
    "lgd",
];

/// English → Simplified Chinese.
static ZH: &[(&str, &str)] = &[
    ("fundsim report", "fundsim 报告"),
    ("simulated paths", "条模拟路径"),
    ("seed", "随机种子"),
    ("Summary", "摘要"),
    ("Contents", "目录"),
    ("Key results", "主要结果"),
    ("Tail risk", "尾部风险"),
    ("Reproducibility", "可复现性"),
    ("Appendix: further charts", "附录：其他图表"),
    ("Fiscal view", "财政视角"),
    ("Return distributions", "收益分布"),
    ("Default and loss distributions", "违约与损失分布"),
    ("Cash flows over time", "现金流随时间变化"),
    ("Deal outcomes", "投资结果"),
    ("Policy sweep", "政策参数扫描"),
    ("Sensitivity", "敏感性分析"),
    ("Figure", "图"),
    ("finding", "结论"),
    ("unit", "单位"),
    ("estimate", "估计值"),
    ("uncertainty", "不确定性"),
    ("metric", "指标"),
    ("vehicle", "工具"),
    ("mean", "均值"),
    ("se", "标准误"),
    ("median", "中位数"),
    ("undefined", "无定义"),
    ("probability", "概率"),
    ("package total", "政策组合合计"),
    ("mn CNY", "百万元"),
    ("% of paths", "路径占比（%）"),
    ("count", "个数"),
    ("per mn CNY", "每百万元"),
    ("years", "年"),
    ("CNY per CNY", "元/元"),
    ("firms per mn CNY", "家/百万元"),
    ("million CNY", "百万元"),
    ("Probability that {0} costs the budget money (fiscal cost > 0)", "{0}使财政亏损的概率（财政成本 > 0）"),
    (
        "Probability that the government's stake in {0} returns less than it paid in",
        "政府在{0}中的出资收回少于投入的概率",
    ),
    ("Probability that the package as a whole costs the budget money", "政策组合整体使财政亏损的概率"),
    ("Fiscal cost of the package (present value), mean", "政策组合的财政成本（现值）均值"),
    ("± {0} (se)", "± {0}（标准误）"),
    ("± {0} (se); 90 % interval {1} to {2}", "± {0}（标准误）；90% 区间 {1} 至 {2}"),
    ("Private capital mobilised per yuan of fiscal cost", "每元财政成本撬动的社会资本"),
    ("Credit extended per yuan of fiscal cost", "每元财政成本带动的信贷"),
    ("Firms financed per million CNY of fiscal cost", "每百万元财政成本支持的企业数"),
    ("ratio of means", "均值之比"),
    ("Tail risk of the fiscal cost ({0}): VaR 95 %", "财政成本的尾部风险（{0}）：95% 风险价值"),
    ("expected shortfall 95 %: {0}", "95% 预期短缺：{0}"),
    ("Sweep: change in fiscal cost ({0}) with {1}", "参数扫描：{1}时财政成本（{0}）的变化"),
    ("± {0} (se, paired)", "± {0}（配对标准误）"),
    ("Sensitivity: largest swing of the {0}, from the {1}", "敏感性：{1}对{0}的影响最大"),
    ("{0} from {1} to {2}", "{0}从 {1} 调至 {2}"),
    ("{0}: {1} to {2}", "{0}：{1} 至 {2}"),
    (
        "The package costs the budget money in {0} % of simulated paths (± {1} standard error).",
        "在 {0}% 的模拟路径中，政策组合使财政亏损（标准误 ± {1}）。",
    ),
    ("By vehicle, the government loses money in: {0}.", "分工具看，政府亏损的概率为：{0}。"),
    ("{0} % ± {1} in {2}", "{2} {0}% ± {1}"),
    (
        "Its fiscal cost in present value is {0} million CNY on average (± {1}), with a 90 % interval from {2} to {3} million CNY.",
        "其财政成本现值平均为 {0} 百万元（± {1}），90% 区间为 {2} 至 {3} 百万元。",
    ),
    (
        "Each yuan of mean fiscal cost goes with {0} yuan of private capital and {1} yuan of credit, and finances {2} firms per million CNY.",
        "每元平均财政成本对应 {0} 元社会资本和 {1} 元信贷，每百万元支持 {2} 家企业。",
    ),
    (
        "In the worst 5 % of paths the cost exceeds {0} million CNY and averages {1} million CNY (VaR and expected shortfall at 95 %).",
        "在最差的 5% 路径中，成本超过 {0} 百万元，平均为 {1} 百万元（95% 风险价值与预期短缺）。",
    ),
    ("Moving the {0} changes the fiscal cost by {1} million CNY (± {2}).", "{0}，财政成本变化 {1} 百万元（± {2}）。"),
    (
        "Of the levers tried one at a time, the {0} moves the {1} most: by {2} ± {3} {4}.",
        "在逐一调整的政策参数中，{0}对{1}的影响最大：{2} ± {3} {4}。",
    ),
    ("{0} of the package", "政策组合的{0}"),
    ("{0} of {1}", "{1}的{0}"),
    ("Probability: {0} ({1})", "概率：{0}（{1}）"),
    (
        "Probabilities are shares of simulated paths (paths.csv) with their binomial standard error; costs are present values to the budget; ratios of means come from fiscal.csv, VaR and expected shortfall from risk.csv, differences from sweep.csv and sensitivity.csv, paired over common random numbers.",
        "概率为模拟路径（paths.csv）中的占比，附二项分布标准误；成本为对财政的现值；均值之比来自 fiscal.csv，风险价值与预期短缺来自 risk.csv，差值来自 sweep.csv 和 sensitivity.csv，以共同随机数配对计算。",
    ),
    (
        "The charts above answer the scenario's questions; these show the rest of the run: every other stakeholder's distributions and cash flows, the deal outcomes, and the sweep's effect on each metric it moves. Charts whose lines would all be flat (a metric the swept lever does not reach) are not drawn.",
        "上文图表回答情景提出的问题；以下为本次运行的其余结果：其他相关方的分布与现金流、投资结果，以及参数扫描对各受影响指标的作用。所有线条均为水平的图表（扫描参数不影响的指标）不予绘制。",
    ),
    (
        "Across simulated paths, from summary.csv: mean and its standard error, 5th, 50th and 95th percentiles, and the share of paths where the metric is undefined (an IRR with no root, say). The mean of a 0/1 indicator is the probability of the event.",
        "跨模拟路径统计，来自 summary.csv：均值及其标准误、第 5、50、95 百分位数，以及指标无定义的路径占比（如内部收益率无解）。0/1 指示变量的均值即事件发生的概率。",
    ),
    (
        "Value-at-Risk (VaR) and expected shortfall (ES, the mean of the worst tail) of each loss metric, from risk.csv.",
        "各损失指标的风险价值（VaR）与预期短缺（ES，最差尾部的均值），来自 risk.csv。",
    ),
    (
        "From manifest.json. The same scenario file, seed and --set values give byte-identical CSV files whatever the thread count.",
        "来自 manifest.json。相同的情景文件、随机种子和 --set 取值，无论线程数多少，都生成逐字节相同的 CSV 文件。",
    ),
    ("Distribution of {0} of {1}", "{1}的{0}分布"),
    ("Loss distribution: {0} of {1}", "损失分布：{1}的{0}"),
    ("{0} of {1} ({2})", "{1}（{2}）的{0}"),
    ("{0} of {1} against the {2}", "{1}的{0}随{2}的变化"),
    ("{0} of {1} under each policy variant", "各政策方案下{1}的{0}"),
    ("all vehicles", "全部工具"),
    ("{0} paths", "{0} 条路径"),
    ("Share of paths (%)", "路径占比（%）"),
    ("Share of paths at or below (%)", "不高于该值的路径占比（%）"),
    ("Median", "中位数"),
    ("Mean", "均值"),
    ("Year", "年"),
    ("Variant {0}: {1}", "方案 {0}：{1}"),
    ("Mean, {0}", "均值，{0}"),
    ("90% band", "90% 区间"),
    ("Fiscal cost by vehicle", "各工具的财政成本"),
    ("Fiscal cost (million CNY)", "财政成本（百万元）"),
    ("Cumulative net cash flow (million CNY)", "累计净现金流（百万元）"),
    ("Net asset value (million CNY)", "资产净值（百万元）"),
    ("J-curve: cumulative net cash flow", "J 曲线：累计净现金流"),
    ("Years since the first close", "首次交割后年数"),
    ("x", "倍"),
    ("%", "%"),
    ("Fiscal cost", "财政成本"),
    ("What the money mobilises", "资金撬动效果"),
    ("share of total (%)", "占合计比例（%）"),
    ("private capital (mn CNY)", "社会资本（百万元）"),
    ("credit (mn CNY)", "信贷（百万元）"),
    ("firms financed (count)", "获融资企业数（家）"),
    ("private capital per fiscal yuan (CNY per CNY)", "每元财政成本撬动社会资本（元/元）"),
    ("credit per fiscal yuan (CNY per CNY)", "每元财政成本带动信贷（元/元）"),
    ("firms per million of fiscal cost (per mn CNY)", "每百万元财政成本支持企业数（家/百万元）"),
    ("None of these metrics is in this sweep.", "本次扫描不含这些指标。"),
    ("variant {0}", "方案 {0}"),
    ("difference ± se", "差值 ± 标准误"),
    ("lever", "政策参数"),
    ("low", "低值"),
    ("high", "高值"),
    ("mean at low", "低值时均值"),
    ("mean at high", "高值时均值"),
    ("low − base ± se", "低值 − 基准 ± 标准误"),
    ("high − base ± se", "高值 − 基准 ± 标准误"),
    ("swing ± se", "摆幅 ± 标准误"),
    (
        "From fiscal.csv: each vehicle's fiscal cost (million CNY; negative where the vehicle returns more to the budget than it costs), its standard error and percentiles across paths, and its share of the package's mean cost (a vehicle that profits has a negative share, so the others' can pass 100%). The vehicles run on one economy, so the total's percentiles are those of the path-by-path sum, not sums of percentiles.",
        "来自 fiscal.csv：各工具的财政成本（百万元；工具对财政的回报超过成本时为负）、其标准误和跨路径百分位数，以及占政策组合平均成本的比例（盈利的工具比例为负，因此其他工具的比例可超过 100%）。各工具运行于同一经济环境，合计的百分位数是逐路径加总后的百分位数，而非百分位数之和。",
    ),
    (
        "Means across paths, and fiscal efficiency as ratios of means (private capital and credit per yuan of mean fiscal cost, firms financed per million CNY of it). A ratio is left out (–) where the mean fiscal cost is zero or negative: there is no cost to divide by.",
        "跨路径均值，以及以均值之比表示的财政效率（每元平均财政成本撬动的社会资本和信贷，每百万元支持的企业数）。平均财政成本为零或负时比值不适用（–）。",
    ),
    (
        "From sweep.csv: {0} variants of the scenario, each run on the same random numbers. For each variant, the mean across paths and the difference from variant 0 (the base) ± its standard error, paired path by path; with common random numbers the difference is the policy effect, not noise. Shown: {1}, and the package totals; rows that are zero in every variant are left out. Rate differences are in percentage points. The per-fiscal-yuan rows are means of per-path ratios over the paths where they are defined; the fiscal view's ratios of means are the measure to quote.",
        "来自 sweep.csv：情景的 {0} 个方案，均使用相同的随机数运行。每个方案列出跨路径均值及其与方案 0（基准）的差值 ± 标准误（逐路径配对）；由于使用共同随机数，差值反映政策效果而非随机噪声。列示：{1} 及政策组合合计；所有方案均为零的行不列示。比率差值以百分点计。每元财政成本类指标为有定义路径上逐路径比值的均值；引用时应以财政视角中的均值之比为准。",
    ),
    (
        "From sensitivity.csv: the mean of <code>{0}</code> ({1}) with each lever at its low and its high value, the others at the scenario's values; base mean {2}. Differences from the base and the swing (high minus low) carry standard errors paired over common random numbers. Largest swing first.",
        "来自 sensitivity.csv：每个政策参数分别取低值和高值、其他参数保持情景取值时 <code>{0}</code>（{1}）的均值；基准均值 {2}。与基准的差值及摆幅（高值减低值）均附以共同随机数配对计算的标准误。按摆幅从大到小排列。",
    ),
    ("Deal outcomes of {0}: realised multiples", "{0}的投资结果：实现倍数"),
    ("Realised multiple of each initial investment", "每笔初始投资的实现倍数"),
    ("Deal outcomes of {0}: exit routes", "{0}的投资结果：退出方式"),
    ("Exit route", "退出方式"),
    ("Share of deals (%)", "项目占比（%）"),
    ("risk compensation ratio", "风险补偿比例"),
    ("interest subsidy", "贴息"),
    ("profit concession", "让利比例"),
    ("buyback year", "回购年份"),
    ("government share", "政府出资比例"),
    ("ratio", "比例"),
    ("lgd", "违约损失率"),
    // Catalogue: stakeholders.
    ("government", "政府"),
    ("fund LPs", "基金有限合伙人"),
    ("private LPs", "社会资本出资人"),
    ("S-fund buyer", "S 基金买方"),
    ("S-fund seller", "S 基金卖方"),
    ("bank", "银行"),
    ("guarantor", "担保机构"),
    ("insurer", "保险机构"),
    ("loan pool", "贷款池"),
    ("loan programme", "贷款计划"),
    ("lenders and guarantors", "放贷与担保机构"),
    ("the budget", "财政预算"),
    ("the fund", "基金"),
    ("the fund's portfolio", "基金投资组合"),
    ("the package", "政策组合"),
    ("the sub-funds", "子基金"),
    ("the sub-funds' GPs", "子基金管理人"),
    ("the sub-funds' LPs", "子基金出资人"),
    ("fund", "基金"),
    // Catalogue: labels.
    ("TVPI", "总价值倍数（TVPI）"),
    ("DPI", "已分配倍数（DPI）"),
    ("RVPI", "剩余价值倍数（RVPI）"),
    ("IRR", "内部收益率"),
    ("net IRR", "净内部收益率"),
    ("IRR if held", "持有时的内部收益率"),
    ("IRR if sold", "出售时的内部收益率"),
    ("NAV", "资产净值"),
    ("LP NAV bought", "购入的出资人份额净值"),
    ("buyer calls", "买方出资"),
    ("buybacks", "回购笔数"),
    ("buyer gross received", "买方总回收"),
    ("buyer gross tvpi", "买方总价值倍数"),
    ("buyer loss", "买方亏损"),
    ("carry", "业绩报酬"),
    ("companies funded", "获投企业数"),
    ("compensation paid", "已付风险补偿"),
    ("concession to GPs", "向管理人让利"),
    ("concession transfer", "让利转移"),
    ("credit extended", "信贷投放"),
    ("credit per fiscal yuan", "每元财政成本带动信贷"),
    ("deals acquired", "被并购项目"),
    ("deals failed", "失败项目"),
    ("deals ipo", "上市项目"),
    ("Time to exit of {0}", "{0}的退出时间"),
    ("Years from first investment (p25 to p75)", "自首次投资起的年数（p25 至 p75）"),
    ("median {0} y", "中位数 {0} 年"),
    ("Failed", "失败"),
    ("Acquired", "被并购"),
    ("IPO", "上市"),
    ("years to first distribution", "首次分配年数"),
    ("deals private", "未退出项目"),
    ("default rate", "违约率"),
    ("defaults", "违约笔数"),
    ("distributed", "已分配"),
    ("fees", "管理费"),
    ("firms financed", "获融资企业数"),
    ("firms per million of fiscal cost", "每百万元财政成本支持企业数"),
    ("fiscal cost", "财政成本"),
    ("funding cost", "资金成本"),
    ("gov committed", "政府认缴"),
    ("gov loss", "政府亏损率"),
    ("gov money not committed", "政府未认缴资金"),
    ("gov paid in", "政府实缴"),
    ("gov received", "政府回收"),
    ("gross loss", "信贷总损失"),
    ("gross multiple", "总倍数"),
    ("guarantor loss", "担保损失"),
    ("guarantor net", "担保净额"),
    ("insurer loss", "保险损失"),
    ("insurer net", "保险净额"),
    ("interest income", "利息收入"),
    ("invested", "已投资"),
    ("leverage", "杠杆倍数"),
    ("liquidity cost (PV at the seller's rate)", "流动性成本（按卖方利率折现）"),
    ("local investment", "本地投资额"),
    ("lp distributions", "出资人分配"),
    ("mother fund fees", "母基金管理费"),
    ("net loss", "净损失"),
    ("npl breach", "不良率超限"),
    ("npl ratio", "不良率"),
    ("paid in", "实缴"),
    ("price", "价格"),
    ("price to nav", "价格/净值"),
    ("price to value", "价格/价值"),
    ("private capital mobilised", "撬动社会资本"),
    ("private capital per fiscal yuan", "每元财政成本撬动社会资本"),
    ("private paid in", "社会资本实缴"),
    ("private received", "社会资本回收"),
    ("purchases", "购入笔数"),
    ("reguarantee cost", "再担保成本"),
    ("reinvestment met", "返投要求达标"),
    ("residual", "剩余价值"),
    ("return", "收益率"),
    ("reward cost", "奖励成本"),
    ("risk pool exhausted", "风险补偿资金池耗尽"),
    ("sale proceeds", "出售所得"),
    ("seller paid in", "卖方实缴"),
    ("seller tvpi held - sold", "卖方总价值倍数差（持有 − 出售）"),
    ("seller tvpi held", "卖方持有时总价值倍数"),
    ("seller tvpi sold", "卖方出售时总价值倍数"),
    ("share of sub-funds bought back", "被回购子基金占比"),
    ("stakes sold to the S fund", "出售给 S 基金的份额"),
    ("sub-funds raised", "设立子基金数"),
    ("subsidy cost", "贴息成本"),
    ("tolerance breached", "超出容亏率"),
    ("warrant gain", "认股权收益"),
    ("loans made", "发放贷款数"),
    ("loans made without the policy", "无政策时的贷款数"),
    ("additional loans", "新增贷款数"),
    ("additional credit", "新增信贷"),
    ("default rate of the additional loans", "新增贷款违约率"),
    ("default rate of the loans made anyway", "无政策时也会发放的贷款的违约率"),
    ("fiscal cost per additional loan", "每笔新增贷款的财政成本"),
    // Catalogue: series titles.
    ("Cumulative fiscal cost", "累计财政成本"),
    ("Cumulative gross credit loss", "累计信贷总损失"),
    ("Cumulative net cash flow, stakes held", "累计净现金流（持有份额）"),
    ("Cumulative net cash flow, stakes sold", "累计净现金流（出售份额）"),
    ("Money left in the risk-compensation pool", "风险补偿资金池余额"),
    ("NPL ratio: non-performing over outstanding principal", "不良贷款率：不良本金占未偿本金"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vehicles::catalogue;

    #[test]
    fn every_catalogue_entry_has_a_chinese_entry() {
        let mut missing = Vec::new();
        for m in catalogue::all() {
            for s in [m.label, m.stakeholder] {
                if zh(s).is_none() && !missing.contains(&s) {
                    missing.push(s);
                }
            }
        }
        for k in crate::vehicles::KINDS {
            for s in k.series {
                for t in [s.title, s.stakeholder] {
                    if zh(t).is_none() && !missing.contains(&t) {
                        missing.push(t);
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no Chinese entry for {missing:?}");
    }

    #[test]
    fn every_fixed_string_has_a_chinese_entry_with_the_same_placeholders() {
        let missing: Vec<&&str> = FIXED.iter().filter(|s| zh(s).is_none()).collect();
        assert!(missing.is_empty(), "no Chinese entry for {missing:?}");
        for (en, z) in ZH {
            for i in 0..6 {
                let p = format!("{{{i}}}");
                assert_eq!(en.contains(&p), z.contains(&p), "{en} / {z}: placeholder {p}");
            }
            assert!(ZH.iter().filter(|(e, _)| e == en).count() == 1, "{en} twice");
        }
    }

    #[test]
    fn templates_fill_in_order_in_either_language() {
        assert_eq!(trf(Lang::En, "{0} of {1}", &["TVPI", "government"]), "TVPI of government");
        assert_eq!(trf(Lang::Zh, "{0} of {1}", &["TVPI", "政府"]), "政府的TVPI");
        assert_eq!(tr(Lang::Zh, "no such string"), "no such string");
    }
}
