"""Sector classification: which of the five sectors a text belongs to, by weighted regex patterns.

This reproduces upstream's ``classify_content`` (reference §3.3, ``src/memory/hsg.ts``) exactly, including its
scoring quirk: JS calls the non-global ``String.match``, whose result has ``1 + <capture groups>`` entries, so a
pattern that matches adds ``weight × (1 + groups)`` to its sector, once, however often it occurs. Upstream's Python
SDK counted occurrences instead, so the two disagreed (reference §10.2 #26); we keep the JS server's rule because
it classified the stored rows we migrate, and a golden test pins eleven of its results.

English patterns are compiled with ``re.ASCII`` so that ``\\b``, ``\\d`` and case folding behave like JS regexes
without the ``u`` flag (a CJK character next to a Latin word is a word boundary in JS). ``\\s`` and ``.`` are
spelled as JS defines them.

    >>> classify("Yesterday I went to the park at 4:00 PM and saw a dog.").primary
    'episodic'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from openmemory.engine.sectors import SECTOR_WEIGHT
from openmemory.models import SECTORS, Classification

# JS \s: ASCII whitespace plus the Unicode space separators, line terminators and BOM.
_JS_SPACE = r"[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
# JS `.` without the s flag: anything but the four line terminators.
_JS_DOT = r"[^\n\r\u2028\u2029]"

_ENGLISH: Mapping[str, tuple[str, ...]] = {
    "episodic": (
        r"\b(today|yesterday|tomorrow|last\s+(week|month|year)|next\s+(week|month|year))\b",
        r"\b(remember\s+when|recall|that\s+time|when\s+I|I\s+was|we\s+were)\b",
        r"\b(went|saw|met|felt|heard|visited|attended|participated)\b",
        r"\b(at\s+\d{1,2}:\d{2}|on\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
        r"\b(event|moment|experience|incident|occurrence|happened)\b",
        r"\bI\s+'?m\s+going\s+to\b",
    ),
    "semantic": (
        r"\b(is\s+a|represents|means|stands\s+for|defined\s+as)\b",
        r"\b(concept|theory|principle|law|hypothesis|theorem|axiom)\b",
        r"\b(fact|statistic|data|evidence|proof|research|study|report)\b",
        r"\b(capital|population|distance|weight|height|width|depth)\b",
        r"\b(history|science|geography|math|physics|biology|chemistry)\b",
        r"\b(know|understand|learn|read|write|speak)\b",
    ),
    "procedural": (
        r"\b(how\s+to|step\s+by\s+step|guide|tutorial|manual|instructions)\b",
        r"\b(first|second|then|next|finally|afterwards|lastly)\b",
        r"\b(install|run|execute|compile|build|deploy|configure|setup)\b",
        r"\b(click|press|type|enter|select|drag|drop|scroll)\b",
        # "recipie" is upstream's spelling; kept so classifications match.
        r"\b(method|function|class|algorithm|routine|recipie)\b",
        r"\b(to\s+do|to\s+make|to\s+build|to\s+create)\b",
    ),
    "emotional": (
        r"\b(feel|feeling|felt|emotions?|mood|vibe)\b",
        r"\b(happy|sad|angry|mad|excited|scared|anxious|nervous|depressed)\b",
        r"\b(love|hate|like|dislike|adore|detest|enjoy|loathe)\b",
        r"\b(amazing|terrible|awesome|awful|wonderful|horrible|great|bad)\b",
        r"\b(frustrated|confused|overwhelmed|stressed|relaxed|calm)\b",
        r"\b(wow|omg|yay|nooo|ugh|sigh)\b",
        r"!{2,}",
    ),
    "reflective": (
        r"\b(realize|realized|realization|insight|epiphany)\b",
        r"\b(think|thought|thinking|ponder|contemplate|reflect)\b",
        r"\b(understand|understood|understanding|grasp|comprehend)\b",
        r"\b(pattern|trend|connection|link|relationship|correlation)\b",
        r"\b(lesson|moral|takeaway|conclusion|summary|implication)\b",
        r"\b(feedback|review|analysis|evaluation|assessment)\b",
        r"\b(improve|grow|change|adapt|evolve)\b",
    ),
}

# Upstream's Chinese patterns use only non-capturing groups, so each counts weight × 1.
_CHINESE: Mapping[str, tuple[str, ...]] = {
    "episodic": (
        "(?:今天|昨天|明天|前天|后天|本周|上周|下周|上个月|下个月|去年|明年|刚才|当时|那天|这次)",
        "(?:我|我们).{0,12}(?:去了|看到|见到|遇到|参加|经历|发生|做了|完成了)",
        r"(?:[0-9]{4}年)?[0-9]{1,2}月[0-9]{1,2}日",
        "(?:周|星期)[一二三四五六日天]",
    ),
    "semantic": (
        "(?:是|指的是|意味着|代表|定义为|属于)",
        "(?:概念|理论|原理|定律|假设|定义|知识)",
        "(?:事实|数据|证据|研究|报告)",
        "(?:历史|科学|地理|数学|物理|生物|化学)",
    ),
    "procedural": (
        "(?:怎么|如何|怎样).{0,12}(?:做|操作|安装|运行|配置|部署|创建|实现)",
        "(?:第一步|第二步|然后|接着|下一步|最后|依次)",
        "(?:安装|运行|执行|编译|构建|部署|配置|设置|点击|输入|选择|按下)",
        "(?:步骤|教程|指南|操作方法|流程|做法)",
    ),
    "emotional": (
        "(?:感觉|感到|心情|情绪)",
        "(?:开心|高兴|难过|伤心|生气|愤怒|兴奋|害怕|焦虑|紧张|沮丧|郁闷|烦躁|压力|放松|平静)",
        "(?:喜欢|讨厌|热爱|厌恶|满意|失望|尴尬|痛苦|幸福)",
    ),
    "reflective": (
        "(?:意识到|明白了|想通了|发现|领悟|反思|复盘)",
        "(?:我觉得|我认为|在我看来|回头看|仔细想想)",
        "(?:规律|趋势|联系|关系|相关性|模式)",
        "(?:教训|启发|心得|体会|收获|总结|结论|反省)",
        "(?:改进|成长|改变|适应|优化)",
    ),
}


def _compile(sector: str) -> tuple[tuple[re.Pattern[str], float], ...]:
    weight = SECTOR_WEIGHT[sector]
    english = [re.compile(p.replace(r"\s", _JS_SPACE), re.IGNORECASE | re.ASCII) for p in _ENGLISH[sector]]
    chinese = [re.compile(p.replace(".", _JS_DOT)) for p in _CHINESE[sector]]
    return tuple((p, weight * (1 + p.groups)) for p in (*english, *chinese))


# sector -> ((pattern, points when it matches), ...)
PATTERNS: Mapping[str, tuple[tuple[re.Pattern[str], float], ...]] = {s: _compile(s) for s in SECTORS}
# Every Chinese pattern needs a CJK character to match, so an ASCII text is tried on the English ones only
# (32 of the 52 searches per text; tests/engine/test_classify.py checks both give the same scores).
ASCII_PATTERNS: Mapping[str, tuple[tuple[re.Pattern[str], float], ...]] = {
    s: PATTERNS[s][: len(_ENGLISH[s])] for s in SECTORS
}

_FALLBACK_SECTOR = "semantic"
_ADDITIONAL_MIN_SCORE = 1.0
_ADDITIONAL_RATIO = 0.3


def sector_scores(content: str) -> dict[str, float]:
    """Each sector's pattern score for a text (0 when no pattern of the sector matches)."""
    patterns = ASCII_PATTERNS if content.isascii() else PATTERNS
    return {
        sector: sum(points for pattern, points in patterns[sector] if pattern.search(content)) for sector in SECTORS
    }


def classify(content: str, metadata: Mapping[str, Any] | None = None) -> Classification:
    """Classify a text into a primary sector, any additional sectors, and a confidence in [0, 1].

    A ``metadata["sector"]`` naming one of the five sectors wins outright (confidence 1.0). Otherwise the top
    scoring sector is primary (ties go to the earlier sector in ``SECTORS``; "semantic" when nothing matches),
    and another sector is additional when its score is ≥ max(1, 0.3 × top).
    """
    forced = metadata.get("sector") if metadata else None
    if isinstance(forced, str) and forced in SECTORS:
        return Classification(primary=forced, additional=(), confidence=1.0)

    scores = sector_scores(content)
    # sorted() is stable, so equal scores keep SECTORS order, like upstream's Array.prototype.sort.
    ranked = sorted(SECTORS, key=lambda s: scores[s], reverse=True)
    top, second = scores[ranked[0]], scores[ranked[1]]
    if top <= 0:
        return Classification(primary=_FALLBACK_SECTOR, additional=(), confidence=0.2)
    threshold = max(_ADDITIONAL_MIN_SCORE, _ADDITIONAL_RATIO * top)
    additional = tuple(s for s in ranked[1:] if scores[s] > 0 and scores[s] >= threshold)
    confidence = min(1.0, top / (top + second + 1))
    return Classification(primary=ranked[0], additional=additional, confidence=confidence)
