//! 问数's optional local model: a question the grammar does not cover may be put to a GGUF model
//! on this machine's CPU, which writes one SQL query; purse shows that SQL, plans it read-only
//! and runs it like the SQL console's, on the asker's own rows. The model's answer is marked as
//! the model's: a guess whose SQL the reader checks, never a figure purse vouches for.
//!
//! The model runs only in a purse built with `--features local-model` (candle runs the model,
//! Hugging Face's tokenizers reads its vocabulary), from files named in `[ask]` of purse.toml; it
//! never reaches the network. Without the feature, or without a model, a question beyond the
//! grammar is answered "cannot answer", and the answer says why the model was not asked.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::config::AskConfig;
use crate::datasets::{Catalog, ColType};

/// Whether a model can be asked, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// No `[ask] model` in purse.toml.
    NotConfigured,
    /// A model is named, but this purse was built without `--features local-model`.
    NotBuilt(PathBuf),
    /// A model and its tokenizer, paths resolved against the data directory.
    Ready(ModelFiles),
}

/// The files of a configured model and the bounds of one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    pub model: PathBuf,
    pub tokenizer: PathBuf,
    pub max_tokens: usize,
    pub timeout: std::time::Duration,
}

/// What `[ask]` allows in this build.
pub fn availability(cfg: &AskConfig, data_dir: &Path) -> Availability {
    let Some(model) = &cfg.model else {
        return Availability::NotConfigured;
    };
    let model = data_dir.join(model);
    if !cfg!(feature = "local-model") {
        return Availability::NotBuilt(model);
    }
    let tokenizer = match &cfg.tokenizer {
        Some(t) => data_dir.join(t),
        None => model.with_file_name("tokenizer.json"),
    };
    Availability::Ready(ModelFiles {
        model,
        tokenizer,
        max_tokens: cfg.max_tokens.max(1),
        timeout: std::time::Duration::from_secs(cfg.timeout_secs.max(1)),
    })
}

impl Availability {
    /// Why the model was not asked, for an answer that has none; `None` when it can be.
    pub fn note(&self) -> Option<String> {
        match self {
            Availability::NotConfigured => Some(
                "没有配置本地模型（purse.toml 的 [ask] model），语法之外的问题不交给模型。".into(),
            ),
            Availability::NotBuilt(p) => Some(format!(
                "配置了本地模型 {}，但这个 purse 构建时没有 local-model 功能（cargo build --release --features local-model）。",
                p.display()
            )),
            Availability::Ready(_) => None,
        }
    }
}

/// The instruction the model gets before the tables and the question.
pub const SYSTEM: &str = "你是财政预算联网监督系统的SQL助手。根据给出的表结构，为问题写一条 \
Apache DataFusion SQL 查询（只读的 SELECT），金额单位为元。只输出SQL，不要解释。";

/// Tables the prompt shows at most: a small model reads a few tables better than nineteen,
/// and every table costs prompt time on a CPU.
const PROMPT_TABLES: usize = 3;

/// The prompt's table part: the `tables` (those the asker's session holds) that share the most
/// characters with the question, as `CREATE TABLE` statements with each column's Chinese name.
pub fn schema_for(catalog: &Catalog, tables: &[String], question: &str) -> String {
    let asked: BTreeSet<char> = question.chars().filter(|c| !c.is_ascii()).collect();
    let mut scored: Vec<(usize, usize, &crate::datasets::Dataset)> = catalog
        .datasets
        .iter()
        .enumerate()
        .filter(|(_, d)| tables.contains(&d.name))
        .map(|(i, d)| {
            let mut words: BTreeSet<char> = d.title.chars().collect();
            for c in &d.columns {
                words.extend(c.doc.chars());
            }
            (asked.intersection(&words).count(), i, d)
        })
        .collect();
    // Most shared characters first; the catalog's order (budget execution first) breaks ties.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out = String::new();
    for (_, _, d) in scored.into_iter().take(PROMPT_TABLES) {
        out.push_str(&format!("-- {}\nCREATE TABLE {} (\n", d.title, d.name));
        let n = d.columns.len();
        for (i, c) in d.columns.iter().enumerate() {
            let ty = match c.ty {
                ColType::Text | ColType::Code => "VARCHAR",
                ColType::Money => "DECIMAL(20,2)",
                ColType::Number => "DECIMAL(20,4)",
                ColType::Int => "INT",
                ColType::Date => "DATE",
                ColType::Bool => "BOOLEAN",
            };
            let comma = if i + 1 < n { "," } else { "" };
            out.push_str(&format!("  {} {ty}{comma} -- {}\n", c.name, c.doc));
        }
        out.push_str(");\n");
    }
    out
}

/// The catalog's tables the session `ctx` holds (those with data, within the asker's reach).
pub fn held_tables(ctx: &datafusion::prelude::SessionContext, catalog: &Catalog) -> Vec<String> {
    catalog
        .datasets
        .iter()
        .filter(|d| ctx.table_exist(d.name.as_str()).unwrap_or(false))
        .map(|d| d.name.clone())
        .collect()
}

/// The user's turn of the prompt: the tables, then the question.
pub fn user_prompt(schema: &str, question: &str) -> String {
    format!("表结构：\n{schema}\n问题：{question}\n只输出一条SQL。")
}

/// The SQL in what a model wrote: the inside of a ```sql fence if there is one, else the text
/// from its first `SELECT` or `WITH`, up to the first `;`. `None` when there is no query.
pub fn extract_sql(text: &str) -> Option<String> {
    let body = match text.find("```") {
        Some(open) => {
            let rest = &text[open + 3..];
            // The fence's language word ("sql"), then its body up to the closing fence.
            let rest = rest.split_once('\n').map(|(_, r)| r).unwrap_or(rest);
            rest.split("```").next().unwrap_or(rest)
        }
        None => text,
    };
    let upper = body.to_ascii_uppercase();
    let start = ["SELECT", "WITH"]
        .iter()
        .filter_map(|k| upper.find(k))
        .min()
        .unwrap_or(0);
    let sql = body[start..].split(';').next().unwrap_or("").trim();
    (!sql.is_empty()).then(|| sql.to_string())
}

/// What the model wrote for one question.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Its whole text (shown when it holds no SQL).
    pub text: String,
    pub sql: Option<String>,
    /// Tokens in the prompt and written.
    pub prompt_tokens: usize,
    pub tokens: usize,
    pub seconds: f64,
}

/// Puts `question` (with `schema`) to the model. Blocking: CPU work of seconds; the web runs it
/// off the async threads. One question at a time holds the model; the model is read once and
/// kept while its file is the configured one.
pub fn draft(files: &ModelFiles, schema: &str, question: &str) -> Result<Draft, String> {
    #[cfg(feature = "local-model")]
    {
        let t0 = std::time::Instant::now();
        let user = user_prompt(schema, question);
        let g = llm::generate(files, SYSTEM, &user)?;
        Ok(Draft {
            sql: extract_sql(&g.text),
            text: g.text,
            prompt_tokens: g.prompt_tokens,
            tokens: g.tokens,
            seconds: t0.elapsed().as_secs_f64(),
        })
    }
    #[cfg(not(feature = "local-model"))]
    {
        let _ = (schema, question);
        Err(format!(
            "这个 purse 构建时没有 local-model 功能，不能读模型 {}",
            files.model.display()
        ))
    }
}

#[cfg(feature = "local-model")]
mod llm {
    //! The model itself: a GGUF file read by candle (qwen2 or llama architecture), its tokenizer,
    //! greedy decoding (the same question gets the same SQL), bounded in tokens and time.

    use std::path::PathBuf;
    use std::sync::Mutex;
    use std::time::Instant;

    use candle_core::quantized::gguf_file;
    use candle_core::{Device, Tensor};
    use candle_transformers::models::{quantized_llama, quantized_qwen2};
    use tokenizers::Tokenizer;

    use super::ModelFiles;

    enum Weights {
        Qwen2(quantized_qwen2::ModelWeights),
        Llama(quantized_llama::ModelWeights),
    }

    impl Weights {
        fn forward(&mut self, x: &Tensor, pos: usize) -> candle_core::Result<Tensor> {
            match self {
                Weights::Qwen2(m) => m.forward(x, pos),
                Weights::Llama(m) => m.forward(x, pos),
            }
        }
    }

    struct Loaded {
        model: PathBuf,
        tokenizer_path: PathBuf,
        weights: Weights,
        tokenizer: Tokenizer,
        /// Tokens that end the answer.
        eos: Vec<u32>,
        /// Whether the vocabulary speaks ChatML (`<|im_start|>`: Qwen's template).
        chatml: bool,
        context: usize,
    }

    /// The model in memory: read once, kept while the configuration names the same files.
    static LOADED: Mutex<Option<Loaded>> = Mutex::new(None);

    pub struct Generated {
        pub text: String,
        pub prompt_tokens: usize,
        pub tokens: usize,
    }

    fn load(files: &ModelFiles) -> Result<Loaded, String> {
        let name = files.model.display();
        let mut f = std::fs::File::open(&files.model)
            .map_err(|e| format!("本地模型 {name} 打不开：{e}"))?;
        let ct = gguf_file::Content::read(&mut f)
            .map_err(|e| format!("本地模型 {name} 不是可读的 GGUF 文件：{e}"))?;
        let arch = ct
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        let context = ct
            .metadata
            .get(&format!("{arch}.context_length"))
            .and_then(|v| v.to_u32().ok())
            .unwrap_or(2048) as usize;
        let eos_md = ct
            .metadata
            .get("tokenizer.ggml.eos_token_id")
            .and_then(|v| v.to_u32().ok());
        let dev = Device::Cpu;
        let weights = match arch.as_str() {
            "qwen2" => {
                quantized_qwen2::ModelWeights::from_gguf(ct, &mut f, &dev).map(Weights::Qwen2)
            }
            "llama" => {
                quantized_llama::ModelWeights::from_gguf(ct, &mut f, &dev).map(Weights::Llama)
            }
            other => {
                return Err(format!(
                    "本地模型 {name} 的架构是“{other}”，purse 能运行的是 qwen2 和 llama"
                ));
            }
        }
        .map_err(|e| format!("本地模型 {name} 读不进来：{e}"))?;
        let tokenizer = Tokenizer::from_file(&files.tokenizer).map_err(|e| {
            format!(
                "本地模型的分词文件 {} 读不进来：{e}（[ask] tokenizer）",
                files.tokenizer.display()
            )
        })?;
        let mut eos: Vec<u32> = ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "</s>"]
            .iter()
            .filter_map(|t| tokenizer.token_to_id(t))
            .collect();
        eos.extend(eos_md);
        let chatml = tokenizer.token_to_id("<|im_start|>").is_some();
        Ok(Loaded {
            model: files.model.clone(),
            tokenizer_path: files.tokenizer.clone(),
            weights,
            tokenizer,
            eos,
            chatml,
            context,
        })
    }

    fn run(
        l: &mut Loaded,
        files: &ModelFiles,
        system: &str,
        user: &str,
    ) -> Result<Generated, String> {
        let prompt = if l.chatml {
            format!(
                "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
            )
        } else {
            format!("{system}\n\n{user}\n\nSQL:\n")
        };
        let ids = l
            .tokenizer
            .encode(prompt, false)
            .map_err(|e| format!("问题不能分词：{e}"))?
            .get_ids()
            .to_vec();
        if ids.is_empty() || ids.len() + files.max_tokens > l.context {
            return Err(format!(
                "问题和表结构共 {} 个词元，加上可写的 {} 个超过了模型的上下文 {}",
                ids.len(),
                files.max_tokens,
                l.context
            ));
        }
        let t0 = Instant::now();
        let dev = Device::Cpu;
        let m = |e: candle_core::Error| format!("本地模型运行出错：{e}");
        let mut input = Tensor::new(ids.as_slice(), &dev)
            .and_then(|t| t.unsqueeze(0))
            .map_err(m)?;
        let mut pos = 0;
        let mut out: Vec<u32> = Vec::new();
        while out.len() < files.max_tokens {
            let logits = l.weights.forward(&input, pos).map_err(m)?;
            pos += input.dim(1).map_err(m)?;
            let next: u32 = logits
                .squeeze(0)
                .and_then(|t| t.argmax(0))
                .and_then(|t| t.to_scalar())
                .map_err(m)?;
            if l.eos.contains(&next) {
                break;
            }
            out.push(next);
            if t0.elapsed() > files.timeout {
                return Err(format!(
                    "本地模型 {} 秒内没有写完（[ask] timeout_secs）",
                    files.timeout.as_secs()
                ));
            }
            input = Tensor::new(&[next], &dev)
                .and_then(|t| t.unsqueeze(0))
                .map_err(m)?;
        }
        let text = l
            .tokenizer
            .decode(&out, true)
            .map_err(|e| format!("模型的输出不能还原成文字：{e}"))?;
        Ok(Generated {
            text,
            prompt_tokens: ids.len(),
            tokens: out.len(),
        })
    }

    /// Loads the model if it is not in memory, then writes its answer. A panic inside candle
    /// (a model file of unexpected shapes) is an error for this question, and the model is
    /// read again for the next.
    pub fn generate(files: &ModelFiles, system: &str, user: &str) -> Result<Generated, String> {
        let mut g = LOADED.lock().unwrap_or_else(|p| p.into_inner());
        let stale = g
            .as_ref()
            .is_none_or(|l| l.model != files.model || l.tokenizer_path != files.tokenizer);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if stale {
                *g = Some(load(files)?);
            }
            match g.as_mut() {
                Some(l) => run(l, files, system, user),
                None => Err("本地模型没有读进来".to_string()),
            }
        }));
        match result {
            Ok(r) => r,
            Err(_) => {
                *g = None;
                Err(format!(
                    "本地模型 {} 运行时出错（文件的张量与其架构不符？）",
                    files.model.display()
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_is_taken_from_a_fence_or_from_its_first_keyword() {
        assert_eq!(
            extract_sql("好的：\n```sql\nSELECT 1 AS a\n```\n这就是。").as_deref(),
            Some("SELECT 1 AS a")
        );
        assert_eq!(
            extract_sql("查询如下 select region_code FROM t; 另外").as_deref(),
            Some("select region_code FROM t")
        );
        assert_eq!(
            extract_sql("WITH x AS (SELECT 1) SELECT * FROM x").as_deref(),
            Some("WITH x AS (SELECT 1) SELECT * FROM x")
        );
        assert_eq!(extract_sql("我不知道"), Some("我不知道".to_string()));
        assert_eq!(extract_sql("   "), None);
        assert_eq!(extract_sql("```sql\n```"), None);
    }

    #[test]
    fn no_model_and_a_model_without_the_feature_say_so() {
        let dir = Path::new("/data");
        let cfg = AskConfig::default();
        assert_eq!(availability(&cfg, dir), Availability::NotConfigured);
        assert!(
            availability(&cfg, dir)
                .note()
                .is_some_and(|n| n.contains("[ask] model"))
        );
        let cfg = AskConfig {
            model: Some("m/qwen.gguf".into()),
            ..AskConfig::default()
        };
        let a = availability(&cfg, dir);
        if cfg!(feature = "local-model") {
            assert_eq!(
                a,
                Availability::Ready(ModelFiles {
                    model: "/data/m/qwen.gguf".into(),
                    tokenizer: "/data/m/tokenizer.json".into(),
                    max_tokens: 256,
                    timeout: std::time::Duration::from_secs(600),
                })
            );
            assert_eq!(a.note(), None);
        } else {
            assert_eq!(a, Availability::NotBuilt("/data/m/qwen.gguf".into()));
            assert!(a.note().is_some_and(
                |n| n.contains("--features local-model") && n.contains("/data/m/qwen.gguf")
            ));
        }
    }

    #[test]
    fn the_prompt_shows_the_tables_nearest_the_question_and_only_those_held() {
        let cat = Catalog::builtin();
        let held: Vec<String> = ["budget_execution", "payments", "debt", "indicators"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let s = schema_for(&cat, &held, "哪个收款人收到的支付凭证最多");
        assert!(s.contains("CREATE TABLE payments ("), "{s}");
        assert!(
            s.starts_with("-- 国库集中支付明细\nCREATE TABLE payments"),
            "{s}"
        );
        assert!(s.contains("  voucher_no VARCHAR, -- 支付凭证号\n"), "{s}");
        assert_eq!(s.matches("CREATE TABLE").count(), 3);
        assert!(!s.contains("CREATE TABLE revenue"), "{s}");
        // A table the session does not hold is never offered.
        let only: Vec<String> = vec!["debt".into()];
        let s = schema_for(&cat, &only, "哪个收款人收到的支付凭证最多");
        assert_eq!(s.matches("CREATE TABLE").count(), 1);
        assert!(s.contains("CREATE TABLE debt ("));
    }
}
