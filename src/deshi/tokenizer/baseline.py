"""The peer we compare against: a byte-level BPE (GPT-2 / Llama-3 style) trained with HF ``tokenizers``.

Same data and vocabulary size as the deshi tokenizer, so the report shows what the Japanese-aware
choices buy over the default English-centric recipe.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from deshi.tokenizer import symbols


def train_byte_level_bpe(texts: Iterable[str], vocab_size: int, out_dir: Path) -> Path:
    """Train and save as a Hugging Face tokenizer directory; returns ``out_dir``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    specials = [symbols.UNK, symbols.BOS, symbols.EOS, symbols.PAD, *symbols.CHAT_MARKERS]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=symbols.BOS,
        eos_token=symbols.EOS,
        pad_token=symbols.PAD,
        unk_token=symbols.UNK,
        clean_up_tokenization_spaces=False,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(out_dir))
    return out_dir
