//! 问数's local model, timed on this machine's CPU (`cargo bench --features local-model --bench
//! ask_model`): how long a question beyond the grammar takes with a model the size of
//! Qwen2.5-Coder-1.5B-Instruct at 4-bit (Q4K), the kind `[ask] model` is meant for.
//!
//! No trained model is on this machine, so the weights are random: the time of a forward pass
//! does not depend on their values, only on the shapes (hidden 1536, 28 layers, 12 heads and 2
//! key-value heads, MLP 8960, vocabulary 151,936, embeddings tied, as Qwen2.5-1.5B). What is
//! timed is purse's own path (`ask::model::draft`: the prompt with three tables, tokenizing,
//! prefill, greedy decoding up to `max_tokens`). The tokenizer stands in for Qwen's: an ASCII
//! word, a digit or one CJK character per token (Qwen's BPE packs Chinese a little tighter and
//! splits some long words, so the prompt's token count is about right). The model file (~1 GB)
//! is written once under `$CARGO_TARGET_DIR/purse-bench/model`.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, Tensor};
use purse::ask::model::{ModelFiles, draft, schema_for};
use purse::datasets::Catalog;

const HIDDEN: usize = 1536;
const LAYERS: usize = 28;
const HEADS: usize = 12;
const KV_HEADS: usize = 2;
const FFN: usize = 8960;
const VOCAB: usize = 151_936;

fn write_model(dir: &Path) {
    let dev = Device::Cpu;
    let head_dim = HIDDEN / HEADS;
    let kv = KV_HEADS * head_dim;
    let rand = |shape: &[usize]| {
        let t = Tensor::randn(0f32, 0.02, shape, &dev).unwrap();
        QTensor::quantize(&t, GgmlDType::Q4K).unwrap()
    };
    let f32s = |v: f32, n: usize| {
        QTensor::quantize(&Tensor::full(v, n, &dev).unwrap(), GgmlDType::F32).unwrap()
    };
    let mut tensors: Vec<(String, QTensor)> = vec![
        ("token_embd.weight".into(), rand(&[VOCAB, HIDDEN])),
        ("output_norm.weight".into(), f32s(1.0, HIDDEN)),
    ];
    for l in 0..LAYERS {
        let p = format!("blk.{l}");
        tensors.extend([
            (format!("{p}.attn_norm.weight"), f32s(1.0, HIDDEN)),
            (format!("{p}.ffn_norm.weight"), f32s(1.0, HIDDEN)),
            (format!("{p}.attn_q.weight"), rand(&[HIDDEN, HIDDEN])),
            (format!("{p}.attn_k.weight"), rand(&[kv, HIDDEN])),
            (format!("{p}.attn_v.weight"), rand(&[kv, HIDDEN])),
            (format!("{p}.attn_q.bias"), f32s(0.0, HIDDEN)),
            (format!("{p}.attn_k.bias"), f32s(0.0, kv)),
            (format!("{p}.attn_v.bias"), f32s(0.0, kv)),
            (format!("{p}.attn_output.weight"), rand(&[HIDDEN, HIDDEN])),
            (format!("{p}.ffn_gate.weight"), rand(&[FFN, HIDDEN])),
            (format!("{p}.ffn_up.weight"), rand(&[FFN, HIDDEN])),
            (format!("{p}.ffn_down.weight"), rand(&[HIDDEN, FFN])),
        ]);
    }
    use gguf_file::Value as V;
    let md: Vec<(&str, V)> = vec![
        ("general.architecture", V::String("qwen2".into())),
        ("qwen2.attention.head_count", V::U32(HEADS as u32)),
        ("qwen2.attention.head_count_kv", V::U32(KV_HEADS as u32)),
        ("qwen2.embedding_length", V::U32(HIDDEN as u32)),
        ("qwen2.context_length", V::U32(32768)),
        ("qwen2.block_count", V::U32(LAYERS as u32)),
        ("qwen2.feed_forward_length", V::U32(FFN as u32)),
        ("qwen2.attention.layer_norm_rms_epsilon", V::F32(1e-6)),
        ("qwen2.rope.freq_base", V::F32(1_000_000.0)),
    ];
    let tmp = dir.join("model.gguf.part");
    let mut f = std::fs::File::create(&tmp).unwrap();
    let md: Vec<(&str, &V)> = md.iter().map(|(k, v)| (*k, v)).collect();
    let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, t)| (k.as_str(), t)).collect();
    gguf_file::write(&mut f, &md, &ts).unwrap();
    std::fs::rename(tmp, dir.join("model.gguf")).unwrap();
}

fn write_tokenizer(dir: &Path) {
    use tokenizers::models::wordlevel::WordLevel;
    use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
    use tokenizers::{AddedToken, SplitDelimiterBehavior, Tokenizer};
    let mut vocab: HashMap<String, u32> = (0..VOCAB - 3)
        .map(|i| (format!("t{i}"), i as u32))
        .collect();
    vocab.insert("[UNK]".into(), (VOCAB - 3) as u32);
    vocab.insert("<|im_start|>".into(), (VOCAB - 2) as u32);
    vocab.insert("<|im_end|>".into(), (VOCAB - 1) as u32);
    let model = WordLevel::builder()
        .vocab(vocab.into_iter().collect())
        .unk_token("[UNK]".into())
        .build()
        .unwrap();
    let mut tok = Tokenizer::new(model);
    let split = Split::new(
        SplitPattern::Regex(r"[A-Za-z_]+|\d|[^\x00-\x7F]|[^\sA-Za-z_\d\x80-\x{10FFFF}]+".into()),
        SplitDelimiterBehavior::Isolated,
        false,
    )
    .unwrap();
    tok.with_pre_tokenizer(Some(split));
    tok.add_special_tokens(&[
        AddedToken::from("<|im_start|>", true),
        AddedToken::from("<|im_end|>", true),
    ]);
    tok.save(dir.join("tokenizer.json"), false).unwrap();
}

fn main() {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let dir = Path::new(&target).join("purse-bench/model");
    std::fs::create_dir_all(&dir).unwrap();
    if !dir.join("model.gguf").exists() {
        let t = Instant::now();
        write_model(&dir);
        println!(
            "wrote a random Qwen2.5-1.5B-shaped Q4K model in {:.0} s",
            t.elapsed().as_secs_f64()
        );
    }
    write_tokenizer(&dir);
    let size = std::fs::metadata(dir.join("model.gguf")).unwrap().len();
    let cat = Catalog::builtin();
    let all: Vec<String> = cat.datasets.iter().map(|d| d.name.clone()).collect();
    let files = |max_tokens| ModelFiles {
        model: dir.join("model.gguf"),
        tokenizer: dir.join("tokenizer.json"),
        max_tokens,
        timeout: Duration::from_secs(3600),
    };
    println!(
        "model {:.2} GB (hidden {HIDDEN}, {LAYERS} layers, vocabulary {VOCAB}, Q4K), {} cores",
        size as f64 / 1e9,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    // Reading the model: the first call, with a prompt of a few dozen tokens (a server pays it
    // once; the model is kept).
    let t = Instant::now();
    let short = draft(&files(1), "", "问").unwrap();
    println!(
        "first call (reads the model, {} prompt tokens): {:.1} s",
        short.prompt_tokens,
        t.elapsed().as_secs_f64()
    );
    // Writing: the same short prompt, 1 token against 33; the difference is 32 tokens written.
    let one = draft(&files(1), "", "问").unwrap();
    let more = draft(&files(33), "", "问").unwrap();
    let per_token = (more.seconds - one.seconds) / (more.tokens.max(2) - 1) as f64;
    println!(
        "writing: {:.2} s a token ({} tokens in {:.1} s after a {:.1} s prompt)",
        per_token, more.tokens, more.seconds, one.seconds
    );
    // Reading a real prompt: the three tables nearest a question, and the question.
    let q = "哪个收款人收到的钱最多";
    let p = draft(&files(1), &schema_for(&cat, &all, q), q).unwrap();
    let rate = p.prompt_tokens as f64 / p.seconds;
    println!(
        "prompt of {q}: {} tokens read in {:.1} s ({rate:.1} tokens/s)",
        p.prompt_tokens, p.seconds
    );
    println!(
        "a question whose SQL is 64 tokens: about {:.0} s ({:.0} s reading the prompt, {:.0} s writing)",
        p.seconds + 63.0 * per_token,
        p.seconds,
        63.0 * per_token
    );
}
