//! 问数's local model end to end (`cargo test --features local-model --test ask_model`): a
//! question beyond the grammar is put to a GGUF model read by candle, its SQL shown, planned
//! read-only and run on the asker's own rows.
//!
//! No trained model is on a test machine, so the models here are made for the test: one
//! transformer block whose attention and MLP write nothing, so each next token depends on the
//! last one only through the embedding and the output matrix — set so that after the prompt's
//! last token ("assistant" in ChatML, ":" in the plain template) the model writes one token that
//! is a whole SQL query, then ends. Real candle code reads the file, tokenizes the prompt, runs
//! the forward passes and decodes; what the model writes is known, so the answer is checked.
#![cfg(feature = "local-model")]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, Tensor};
use purse::config::Config;
use purse::users::Reach;

const TOTALS: &str = "SELECT region_code, count(*) AS n, sum(amount) AS total FROM payments \
                      GROUP BY region_code ORDER BY region_code";

/// Writes `model.gguf` and `tokenizer.json` under `dir`: an `arch` (qwen2 or llama) model
/// that answers any prompt with `answer`.
fn canned_model(dir: &Path, arch: &str, answer: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let chatml = arch == "qwen2";
    let words = [
        "[UNK]",
        if chatml { "<|im_start|>" } else { "<s>" },
        if chatml { "<|im_end|>" } else { "<pad>" },
        "assistant",
        answer,
        ":",
        "</s>",
        "system",
    ];
    let v = words.len();
    let d = 8; // hidden size ≥ vocabulary: each token its own axis.
    let end = if chatml { 2 } else { 6 };
    let after_prompt = if chatml { 3 } else { 5 };
    // The output matrix: after the prompt's last token the answer, after anything else the end.
    let mut out = vec![0f32; v * d];
    for t in 0..v {
        let next = if t == after_prompt { 4 } else { end };
        out[next * d + t] = 1.0;
    }
    let mut embd = vec![0f32; v * d];
    for t in 0..v {
        embd[t * d + t] = 1.0;
    }
    let dev = Device::Cpu;
    let q = |data: Vec<f32>, shape: &[usize]| {
        QTensor::quantize(
            &Tensor::from_vec(data, shape, &dev).unwrap(),
            GgmlDType::F32,
        )
        .unwrap()
    };
    let zeros = |shape: &[usize]| q(vec![0f32; shape.iter().product()], shape);
    let ones = |n: usize| q(vec![1f32; n], &[n]);
    let ffn = 8;
    let mut tensors: Vec<(String, QTensor)> = vec![
        ("token_embd.weight".into(), q(embd, &[v, d])),
        ("output_norm.weight".into(), ones(d)),
        ("output.weight".into(), q(out, &[v, d])),
        ("blk.0.attn_norm.weight".into(), ones(d)),
        ("blk.0.ffn_norm.weight".into(), ones(d)),
        ("blk.0.attn_q.weight".into(), zeros(&[d, d])),
        ("blk.0.attn_k.weight".into(), zeros(&[d, d])),
        ("blk.0.attn_v.weight".into(), zeros(&[d, d])),
        ("blk.0.attn_output.weight".into(), zeros(&[d, d])),
        ("blk.0.ffn_gate.weight".into(), zeros(&[ffn, d])),
        ("blk.0.ffn_up.weight".into(), zeros(&[ffn, d])),
        ("blk.0.ffn_down.weight".into(), zeros(&[d, ffn])),
    ];
    if chatml {
        for b in ["attn_q", "attn_k", "attn_v"] {
            tensors.push((format!("blk.0.{b}.bias"), zeros(&[d])));
        }
    }
    use gguf_file::Value as V;
    let md: Vec<(String, V)> = vec![
        ("general.architecture".into(), V::String(arch.into())),
        (format!("{arch}.attention.head_count"), V::U32(2)),
        (format!("{arch}.attention.head_count_kv"), V::U32(2)),
        (format!("{arch}.embedding_length"), V::U32(d as u32)),
        (format!("{arch}.context_length"), V::U32(4096)),
        (format!("{arch}.block_count"), V::U32(1)),
        (format!("{arch}.feed_forward_length"), V::U32(ffn as u32)),
        (format!("{arch}.rope.dimension_count"), V::U32(4)),
        (
            format!("{arch}.attention.layer_norm_rms_epsilon"),
            V::F32(1e-6),
        ),
    ];
    let path = dir.join("model.gguf");
    let mut f = std::fs::File::create(&path).unwrap();
    let md_refs: Vec<(&str, &V)> = md.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, t)| (k.as_str(), t)).collect();
    gguf_file::write(&mut f, &md_refs, &t_refs).unwrap();

    use tokenizers::models::wordlevel::WordLevel;
    use tokenizers::pre_tokenizers::whitespace::Whitespace;
    use tokenizers::{AddedToken, Tokenizer};
    let vocab: HashMap<String, u32> = words
        .iter()
        .enumerate()
        .map(|(i, w)| (w.to_string(), i as u32))
        .collect();
    let model = WordLevel::builder()
        .vocab(vocab.into_iter().collect())
        .unk_token("[UNK]".into())
        .build()
        .unwrap();
    let mut tok = Tokenizer::new(model);
    tok.with_pre_tokenizer(Some(Whitespace {}));
    let specials: Vec<AddedToken> = if chatml {
        vec![
            AddedToken::from("<|im_start|>", true),
            AddedToken::from("<|im_end|>", true),
        ]
    } else {
        vec![AddedToken::from("</s>", true)]
    };
    tok.add_special_tokens(&specials);
    // A vocabulary without ChatML gets the plain template.
    assert_eq!(tok.token_to_id("<|im_start|>").is_some(), chatml);
    tok.save(dir.join("tokenizer.json"), false).unwrap();
    path
}

/// Two regions' payments, by hand: 990101 pays 100.00 and 250.50, 990102 pays 1,000.00.
fn warehouse() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("pay_2025-03.csv");
    std::fs::write(
        &csv,
        "财政区划编码,支付凭证号,支付日期,预算单位编码,预算单位名称,收款人,金额\n\
         990101,V1,2025-03-02,101001,甲单位,收款甲,100.00\n\
         990101,V2,2025-03-05,101001,甲单位,收款乙,250.50\n\
         990102,V3,2025-03-07,201001,乙单位,收款丙,1000.00\n",
    )
    .unwrap();
    let opts = purse::ingest::Options {
        dataset: Some("payments".into()),
        ..Default::default()
    };
    let out = common::ingest(dir.path(), &[csv], &opts);
    assert_eq!(out.len(), 1);
    // And a month of execution, so that the grammar has data of its own.
    let exec = dir.path().join("exec_2025-03.csv");
    std::fs::write(
        &exec,
        "财政区划编码,预算单位编码,预算单位名称,功能分类科目,调整后预算数,累计支出\n\
         990101,101001,甲单位,2050101,1000.00,300.00\n",
    )
    .unwrap();
    let opts = purse::ingest::Options {
        dataset: Some("budget_execution".into()),
        ..Default::default()
    };
    let out = common::ingest(dir.path(), &[exec], &opts);
    assert_eq!(out[0].status, purse::ingest::Status::Loaded, "{out:?}");
    dir
}

fn config(dir: &Path, model: &Path) -> Config {
    let mut c = Config::load(dir).unwrap();
    c.ask.model = Some(model.to_path_buf());
    c
}

fn ask(dir: &Path, config: Config, reach: Reach, q: &str) -> purse::ask::Answer {
    // SAFETY: every test sets the same value before any query runs.
    unsafe { std::env::set_var("PURSE_SQL_WORKER", env!("CARGO_BIN_EXE_purse")) };
    let app =
        purse::app::App::open_blocking(dir, purse::datasets::Catalog::builtin(), config).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(app.ask(q, &reach)).unwrap()
}

const BEYOND: &str = "哪个收款人收到的钱最多";

#[test]
fn a_question_beyond_the_grammar_is_answered_by_the_model_with_its_sql_and_rows() {
    let w = warehouse();
    let m = canned_model(&w.path().join("qwen"), "qwen2", TOTALS);
    // Without a model the grammar's refusal says why the model was not asked.
    let a = ask(
        w.path(),
        Config::load(w.path()).unwrap(),
        Reach::default(),
        BEYOND,
    );
    assert_eq!(a.status, "unanswerable", "{a:?}");
    assert!(
        a.model
            .as_deref()
            .is_some_and(|n| n.contains("[ask] model")),
        "{a:?}"
    );

    let a = ask(w.path(), config(w.path(), &m), Reach::default(), BEYOND);
    assert_eq!(a.status, "model", "{a:?}");
    assert_eq!(a.sql.as_deref(), Some(TOTALS));
    assert_eq!(a.columns, ["region_code", "n", "total"]);
    assert_eq!(
        a.rows,
        [["990101", "2", "350.50"], ["990102", "1", "1000.00"]],
        "{a:?}"
    );
    assert!(
        a.sentence.contains("2行") && a.sentence.contains("核对"),
        "{}",
        a.sentence
    );
    assert!(
        a.understood.contains("本地模型（model.gguf）"),
        "{}",
        a.understood
    );
    // A question the grammar understands never reaches the model: answered by the grammar…
    let a = ask(
        w.path(),
        config(w.path(), &m),
        Reach::default(),
        "今年支出多少",
    );
    assert_eq!(a.status, "answer", "{a:?}");
    assert_eq!(a.model, None);
    // …or, when its data is not there, refused as such, not guessed at from another table.
    let a = ask(
        w.path(),
        config(w.path(), &m),
        Reach::default(),
        "2026年5月支出多少",
    );
    assert_eq!(a.status, "unanswerable", "{a:?}");
    assert!(
        a.sentence.contains("还没有2026年5月的数据"),
        "{}",
        a.sentence
    );
    assert_eq!(a.model, None);
}

#[test]
fn the_models_sql_runs_on_the_askers_rows_only() {
    let w = warehouse();
    let m = canned_model(&w.path().join("qwen"), "qwen2", TOTALS);
    let east = Reach {
        regions: vec!["990102".into()],
        ..Reach::default()
    };
    let a = ask(w.path(), config(w.path(), &m), east, BEYOND);
    assert_eq!(a.status, "model", "{a:?}");
    assert_eq!(a.rows, [["990102", "1", "1000.00"]], "{a:?}");
}

#[test]
fn a_llama_model_with_the_plain_template_and_a_fenced_answer() {
    let w = warehouse();
    let fenced = "好的：\n```sql\nSELECT sum(amount) AS total FROM payments\n```";
    let m = canned_model(&w.path().join("llama"), "llama", fenced);
    let a = ask(w.path(), config(w.path(), &m), Reach::default(), BEYOND);
    assert_eq!(a.status, "model", "{a:?}");
    assert_eq!(
        a.sql.as_deref(),
        Some("SELECT sum(amount) AS total FROM payments")
    );
    // 100.00 + 250.50 + 1,000.00
    assert_eq!(a.rows, [["1350.50"]], "{a:?}");
    assert!(a.sentence.contains("1350.50"), "{}", a.sentence);
}

#[test]
fn sql_that_writes_is_refused_and_shown() {
    let w = warehouse();
    let m = canned_model(&w.path().join("q"), "qwen2", "DROP TABLE payments");
    let a = ask(w.path(), config(w.path(), &m), Reach::default(), BEYOND);
    assert_eq!(a.status, "unanswerable", "{a:?}");
    assert_eq!(a.sql.as_deref(), Some("DROP TABLE payments"));
    assert!(a.rows.is_empty());
    let note = a.model.unwrap_or_default();
    assert!(note.contains("没有执行"), "{note}");
    // The table is still there, its three rows with it.
    let n = common::query(w.path(), "SELECT count(*) FROM payments");
    assert_eq!(n[0][0].to_string(), "3");
}

#[test]
fn a_missing_or_damaged_model_file_is_named() {
    let w = warehouse();
    let a = ask(
        w.path(),
        config(w.path(), Path::new("models/nosuch.gguf")),
        Reach::default(),
        BEYOND,
    );
    assert_eq!(a.status, "unanswerable", "{a:?}");
    let note = a.model.unwrap_or_default();
    assert!(
        note.contains("nosuch.gguf") && note.contains("打不开"),
        "{note}"
    );

    let bad = w.path().join("bad.gguf");
    std::fs::write(&bad, b"GGUF but not really").unwrap();
    let a = ask(w.path(), config(w.path(), &bad), Reach::default(), BEYOND);
    let note = a.model.unwrap_or_default();
    assert!(note.contains("bad.gguf") && note.contains("GGUF"), "{note}");

    // A model whose tokenizer is missing: the tokenizer's file is named.
    let m = canned_model(&w.path().join("q"), "qwen2", TOTALS);
    std::fs::remove_file(w.path().join("q/tokenizer.json")).unwrap();
    let a = ask(w.path(), config(w.path(), &m), Reach::default(), BEYOND);
    let note = a.model.unwrap_or_default();
    assert!(
        note.contains("tokenizer.json") && note.contains("[ask] tokenizer"),
        "{note}"
    );
}

#[test]
fn purse_ask_json_gives_the_models_answer() {
    let w = warehouse();
    let m = canned_model(&w.path().join("qwen"), "qwen2", TOTALS);
    let toml = std::fs::read_to_string(w.path().join("purse.toml")).unwrap();
    std::fs::write(
        w.path().join("purse.toml"),
        toml.replace(
            "[ask]\n",
            &format!("[ask]\nmodel = {:?}\n", m.strip_prefix(w.path()).unwrap()),
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_purse"))
        .args(["ask", "--json", "--data-dir"])
        .arg(w.path())
        .arg(BEYOND)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "model", "{v}");
    assert_eq!(v["sql"], TOTALS);
    assert_eq!(
        v["rows"][1],
        serde_json::json!(["990102", "1", "1000.00"]),
        "{v}"
    );
}
