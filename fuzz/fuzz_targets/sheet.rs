//! A whole extract short of the warehouse: any bytes opened, the header found and mapped to a
//! dataset, the title read, periods checked, every row built into Arrow batches. Rows above
//! the first fuzzed byte choose a dataset's real header, so the fuzzer spends its time in the
//! cells under a header it recognises.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;

/// libfuzzer-sys aborts on every panic, even one purse catches on purpose (calamine's XLS reader
/// can panic on a damaged file; `read::open` refuses such a file). The default hook restored,
/// a panic that escapes purse still aborts the run (libfuzzer-sys catches it at the boundary).
fn default_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| drop(std::panic::take_hook()));
}
use purse::config::Config;
use purse::datasets::Catalog;
use purse::ingest::build::{self, Context};
use purse::ingest::header::{find_header, parse_title, period_conflict};
use purse::ingest::read;

const HEADERS: [&str; 5] = [
    "预算单位编码,预算单位名称,功能分类科目,部门经济分类,项目编码,年初预算数,调整预算数（2025年）,10月份支出,1-10月累计支出,上年同期累计数\n",
    "支付凭证号,支付日期,预算单位编码,预算单位名称,收款人,金额,功能分类,经济分类,是否直达资金,指标编号\n",
    "日期,指标编码,指标名称,单位,本期值,累计值,同比增长,累计同比增长\n",
    "收入科目编码,收入科目名称,年初预算数,本月数,截至10月底累计,上年同期累计数\n",
    "",
];

fuzz_target!(|data: &[u8]| {
    default_panic_hook();
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let mut bytes = HEADERS[pick as usize % HEADERS.len()].as_bytes().to_vec();
    bytes.extend_from_slice(rest);
    let Ok(opened) = read::open(&bytes) else {
        return;
    };
    let catalog = Catalog::builtin();
    let config = Config::default();
    let set = BTreeMap::new();
    for sheet in &opened.sheets {
        let Ok(head) = sheet.head(60) else { continue };
        let head: Vec<Vec<String>> = head.into_iter().map(|(_, c)| c).collect();
        let Some(m) = find_header(&catalog, None, &head) else {
            continue;
        };
        let title = parse_title(&head[..m.header_row]);
        let period = title.year.map(|y| (y, title.month));
        let _ = period_conflict(&m, false, period, "the title");
        let ctx = Context {
            set: &set,
            title: &title,
            config: &config,
            period: period.or(Some((2025, Some(10)))),
            progress: &|_| {},
            source: "fuzz.csv",
        };
        let _ = build::build(
            &catalog.codes,
            &catalog.datasets[m.dataset],
            sheet.clone(),
            &m,
            &ctx,
            1,
            &mut |_: &str, _, _: &std::collections::HashSet<usize>| Ok(()),
        );
    }
});
