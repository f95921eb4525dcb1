"""Characters every deshi Japanese tokenizer keeps as single pieces, seen in training or not.

A character absent from the training sample costs one byte-fallback token per UTF-8 byte (three for
a kanji) at inference. Held-out text always contains some characters the sample lacked (a curated
Japanese corpus may hold almost no English), so the vocabulary reserves the everyday set of Japanese
business text: printable ASCII, hiragana, katakana, the prolonged sound mark, common full-width
punctuation, and the 2,965 JIS X 0208 level-1 kanji (the everyday kanji, covering most of the Jōyō
list). The kanji are read from Python's own ``euc_jp`` codec (rows 16-47): no data file needed.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def japanese_required_chars() -> str:
    chars: list[str] = [chr(c) for c in range(0x21, 0x7F)]  # printable ASCII (the space is always "▁")
    chars += [chr(c) for c in range(0x3041, 0x3097)]  # hiragana
    chars += [chr(c) for c in range(0x30A1, 0x30FB)] + ["ー", "ゝ", "ゞ", "ヽ", "ヾ"]  # katakana
    chars += list("、。「」『』（）・：；？！…〜―【】〈〉《》〔〕％＆＃＠＊")
    for first in range(0xB0, 0xD0):  # JIS X 0208 rows 16-47 = level-1 kanji in EUC-JP
        for second in range(0xA1, 0xFF):
            try:
                chars.append(bytes([first, second]).decode("euc_jp"))
            except UnicodeDecodeError:
                continue
    return "".join(dict.fromkeys(chars))
