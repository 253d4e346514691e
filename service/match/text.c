/* Folding tokenizer and one-permutation MinHash. The point is that "Sécurité", "securite" and
 * "SÉCURITÉ" are one token, that Russian words match whatever their case, that Arabic matches
 * with or without its optional marks, and that scripts written without spaces (Chinese,
 * Japanese, Thai...) still give tokens: overlapping character bigrams. */
#include "text.h"

#include "roundtable/match.h"

#include <stdlib.h>
#include <string.h>

enum { CL_SEP, CL_IGNORE, CL_WORD, CL_CJK };

/* U+00C0..U+017F folded to lowercase ASCII without accents; "" separates (x and division). */
static const char *const latin_fold[192] = {
    "a", "a", "a",  "a",  "a", "a", "ae", "c",  /* 00C0 */
    "e", "e", "e",  "e",  "i", "i", "i",  "i",  /* 00C8 */
    "d", "n", "o",  "o",  "o", "o", "o",  "",   /* 00D0 */
    "o", "u", "u",  "u",  "u", "y", "th", "ss", /* 00D8 */
    "a", "a", "a",  "a",  "a", "a", "ae", "c",  /* 00E0 */
    "e", "e", "e",  "e",  "i", "i", "i",  "i",  /* 00E8 */
    "d", "n", "o",  "o",  "o", "o", "o",  "",   /* 00F0 */
    "o", "u", "u",  "u",  "u", "y", "th", "y",  /* 00F8 */
    "a", "a", "a",  "a",  "a", "a", "c",  "c",  /* 0100 */
    "c", "c", "c",  "c",  "c", "c", "d",  "d",  /* 0108 */
    "d", "d", "e",  "e",  "e", "e", "e",  "e",  /* 0110 */
    "e", "e", "e",  "e",  "g", "g", "g",  "g",  /* 0118 */
    "g", "g", "g",  "g",  "h", "h", "h",  "h",  /* 0120 */
    "i", "i", "i",  "i",  "i", "i", "i",  "i",  /* 0128 */
    "i", "i", "ij", "ij", "j", "j", "k",  "k",  /* 0130 */
    "k", "l", "l",  "l",  "l", "l", "l",  "l",  /* 0138 */
    "l", "l", "l",  "n",  "n", "n", "n",  "n",  /* 0140 */
    "n", "n", "n",  "n",  "o", "o", "o",  "o",  /* 0148 */
    "o", "o", "oe", "oe", "r", "r", "r",  "r",  /* 0150 */
    "r", "r", "s",  "s",  "s", "s", "s",  "s",  /* 0158 */
    "s", "s", "t",  "t",  "t", "t", "t",  "t",  /* 0160 */
    "u", "u", "u",  "u",  "u", "u", "u",  "u",  /* 0168 */
    "u", "u", "u",  "u",  "w", "w", "y",  "y",  /* 0170 */
    "y", "z", "z",  "z",  "z", "z", "z",  "s",  /* 0178 */
};

/* Function words of the six UN languages that would otherwise make unrelated texts look alike.
 * Written folded (as the tokenizer emits them). */
static const char *const stop_words[] = {
    /* en */ "the",
    "and",
    "of",
    "to",
    "in",
    "for",
    "on",
    "with",
    "an",
    "by",
    "is",
    "are",
    "be",
    "as",
    "at",
    "or",
    "from",
    "this",
    "that",
    "our",
    "we",
    "its",
    "it",
    "into",
    "their",
    /* fr */ "le",
    "la",
    "les",
    "de",
    "des",
    "du",
    "et",
    "en",
    "un",
    "une",
    "pour",
    "dans",
    "sur",
    "au",
    "aux",
    "par",
    "avec",
    "est",
    "sont",
    "ou",
    "ce",
    "cette",
    "ces",
    "nos",
    "notre",
    "qui",
    "que",
    "leur",
    "leurs",
    /* es */ "el",
    "los",
    "las",
    "del",
    "para",
    "por",
    "con",
    "una",
    "uno",
    "al",
    "se",
    "su",
    "sus",
    "nuestro",
    "nuestra",
    "lo",
    "como",
    "mas",
    /* ru */ "и",
    "в",
    "во",
    "на",
    "с",
    "со",
    "по",
    "для",
    "к",
    "о",
    "об",
    "из",
    "от",
    "не",
    "что",
    "это",
    "как",
    "или",
    "их",
    /* ar (alef forms folded to bare alef) */ "في",
    "من",
    "على",
    "الى",
    "عن",
    "مع",
    "او",
    "ان",
    "التي",
    "الذي",
    "هذا",
    "هذه"};

static uint64_t fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = FNV_OFFSET;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
  return fmix64(h);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

void rt__text_init(rt__text_ctx_t *tc) {
  size_t n = sizeof(stop_words) / sizeof(stop_words[0]);
  _Static_assert(sizeof(stop_words) / sizeof(stop_words[0]) <= 160, "stop word table too small");
  for (size_t i = 0; i < n; i++)
    tc->stop[i] = hash_bytes(stop_words[i], strlen(stop_words[i]));
  qsort(tc->stop, n, sizeof(uint64_t), cmp_u64);
  tc->n_stop = n;
}

static bool is_stop(const rt__text_ctx_t *tc, uint64_t h) {
  size_t lo = 0, hi = tc->n_stop;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (tc->stop[mid] == h)
      return true;
    if (tc->stop[mid] < h)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}

/* Decodes one code point; malformed input (bad lead or continuation bytes, overlong forms,
 * surrogates, beyond U+10FFFF) yields U+FFFD for one byte, so no input can stall or overrun. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i) {
  unsigned char c = s[*i];
  uint32_t cp;
  size_t n;
  if (c < 0x80) {
    (*i)++;
    return c;
  } else if (c >= 0xC2 && c <= 0xDF) {
    cp = c & 0x1F, n = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    cp = c & 0x0F, n = 2;
  } else if (c >= 0xF0 && c <= 0xF4) {
    cp = c & 0x07, n = 3;
  } else {
    (*i)++;
    return 0xFFFD;
  }
  if (len - *i <= n) { /* truncated sequence */
    (*i)++;
    return 0xFFFD;
  }
  for (size_t k = 1; k <= n; k++) {
    unsigned char d = s[*i + k];
    if ((d & 0xC0) != 0x80) {
      (*i)++;
      return 0xFFFD;
    }
    cp = (cp << 6) | (d & 0x3F);
  }
  if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    (*i)++;
    return 0xFFFD;
  }
  *i += n + 1;
  return cp;
}

/* Case pairs laid out as (upper, lower) at even, odd code points. */
static uint32_t lower_even_odd(uint32_t cp) { return (cp & 1) ? cp : cp + 1; }

/* Classifies cp and, for word characters, writes its folded form (1 or 2 code points). */
static int classify(uint32_t cp, uint32_t out[2], int *nout) {
  *nout = 1;
  out[0] = cp;
  if (cp < 0x80) {
    if (cp >= 'A' && cp <= 'Z') {
      out[0] = cp + 32;
      return CL_WORD;
    }
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
      return CL_WORD;
    return CL_SEP;
  }
  if (cp < 0xC0) {
    if (cp == 0xAD)
      return CL_IGNORE; /* soft hyphen */
    if (cp == 0xAA || cp == 0xBA || cp == 0xB5) {
      out[0] = cp == 0xAA ? 'a' : cp == 0xBA ? 'o' : 0x3BC;
      return CL_WORD;
    }
    return CL_SEP;
  }
  if (cp < 0x180) {
    const char *f = latin_fold[cp - 0xC0];
    if (!f[0])
      return CL_SEP;
    out[0] = (unsigned char)f[0];
    if (f[1]) {
      out[1] = (unsigned char)f[1];
      *nout = 2;
    }
    return CL_WORD;
  }
  if (cp < 0x250)
    return CL_WORD; /* Latin Extended-B, kept as written */
  if (cp < 0x300)
    return cp < 0x2B0 ? CL_WORD : CL_IGNORE; /* IPA letters; spacing modifiers */
  if (cp < 0x370)
    return CL_IGNORE; /* combining accents: "e" + U+0301 is "e" */
  if (cp < 0x400) {
    if (cp >= 0x391 && cp <= 0x3A9)
      out[0] = cp + 32;
    else if (cp == 0x3C2)
      out[0] = 0x3C3; /* final sigma */
    return cp >= 0x386 ? CL_WORD : CL_SEP;
  }
  if (cp < 0x530) { /* Cyrillic and its supplement */
    if (cp == 0x401 || cp == 0x451 || cp == 0x400 || cp == 0x450)
      out[0] = 0x435; /* ё and ѐ written as е */
    else if (cp < 0x410)
      out[0] = cp + 0x50;
    else if (cp < 0x430)
      out[0] = cp + 0x20;
    else if (cp < 0x460)
      out[0] = cp;
    else if (cp < 0x482 || (cp >= 0x48A && cp < 0x4C0) || cp >= 0x4D0)
      out[0] = lower_even_odd(cp);
    else if (cp == 0x4C0)
      out[0] = 0x4CF;
    else if (cp >= 0x4C1 && cp < 0x4CF)
      out[0] = (cp & 1) ? cp + 1 : cp;
    else if (cp >= 0x483 && cp <= 0x489)
      return CL_IGNORE; /* combining */
    return CL_WORD;
  }
  if (cp < 0x590)
    return CL_WORD; /* Armenian */
  if (cp < 0x600)
    return (cp >= 0x591 && cp <= 0x5C7) ? CL_IGNORE : CL_WORD; /* Hebrew points */
  if (cp < 0x700) {                                            /* Arabic */
    if ((cp >= 0x64B && cp <= 0x65F) || cp == 0x670 || cp == 0x640 ||
        (cp >= 0x610 && cp <= 0x61A) || (cp >= 0x6D6 && cp <= 0x6ED))
      return CL_IGNORE; /* harakat, tatweel, Quranic marks */
    if (cp == 0x622 || cp == 0x623 || cp == 0x625 || cp == 0x671)
      out[0] = 0x627; /* alef with hamza or madda: bare alef */
    else if (cp == 0x649)
      out[0] = 0x64A; /* alef maqsura: ya */
    else if (cp == 0x629)
      out[0] = 0x647; /* ta marbuta: ha */
    else if (cp >= 0x660 && cp <= 0x669)
      out[0] = '0' + (cp - 0x660);
    else if (cp >= 0x6F0 && cp <= 0x6F9)
      out[0] = '0' + (cp - 0x6F0);
    else if (cp == 0x60C || cp == 0x61B || cp == 0x61F || cp == 0x6D4 || cp < 0x610 ||
             (cp >= 0x66A && cp <= 0x66D))
      return CL_SEP;
    return CL_WORD;
  }
  if (cp >= 0xE00 && cp < 0xF00)
    return CL_CJK; /* Thai and Lao: no spaces between words */
  if ((cp >= 0x1000 && cp < 0x10A0) || (cp >= 0x1780 && cp < 0x1800))
    return CL_CJK; /* Myanmar, Khmer */
  if (cp >= 0x1100 && cp < 0x1200)
    return CL_CJK; /* Hangul Jamo */
  if ((cp >= 0x1AB0 && cp < 0x1B00) || (cp >= 0x1DC0 && cp < 0x1E00) ||
      (cp >= 0x20D0 && cp < 0x2100))
    return CL_IGNORE;                /* more combining marks */
  if (cp >= 0x1E00 && cp < 0x1F00) { /* Latin Extended Additional (Vietnamese) */
    if (cp < 0x1E96 || cp >= 0x1EA0)
      out[0] = lower_even_odd(cp);
    return CL_WORD;
  }
  if (cp >= 0x2000 && cp < 0x3000) {
    if (cp == 0x200C || cp == 0x200D || cp == 0x2060)
      return CL_IGNORE; /* joiners */
    return CL_SEP;      /* punctuation, symbols, arrows */
  }
  if (cp >= 0x3000 && cp < 0x3040)
    return CL_SEP; /* CJK punctuation */
  if ((cp >= 0x3040 && cp < 0x3130) || (cp >= 0x3130 && cp < 0x3190) ||
      (cp >= 0x31A0 && cp < 0x3200) || (cp >= 0x3400 && cp < 0x4DC0) ||
      (cp >= 0x4E00 && cp < 0xA000) || (cp >= 0xA960 && cp < 0xA980) ||
      (cp >= 0xAC00 && cp < 0xD7B0) || (cp >= 0xF900 && cp < 0xFB00) ||
      (cp >= 0x20000 && cp < 0x30000))
    return CL_CJK;
  if (cp >= 0xE000 && cp < 0xF900)
    return CL_SEP; /* private use */
  if (cp >= 0xFE00 && cp < 0xFE10)
    return CL_IGNORE; /* variation selectors */
  if (cp >= 0xFE20 && cp < 0xFE30)
    return CL_IGNORE;
  if (cp == 0xFEFF)
    return CL_IGNORE;
  if (cp >= 0xFF00 && cp < 0xFFF0) { /* full and half width forms */
    if (cp >= 0xFF10 && cp <= 0xFF19) {
      out[0] = '0' + (cp - 0xFF10);
      return CL_WORD;
    }
    if (cp >= 0xFF21 && cp <= 0xFF3A) {
      out[0] = 'a' + (cp - 0xFF21);
      return CL_WORD;
    }
    if (cp >= 0xFF41 && cp <= 0xFF5A) {
      out[0] = 'a' + (cp - 0xFF41);
      return CL_WORD;
    }
    if (cp >= 0xFF66 && cp <= 0xFFDC)
      return CL_CJK; /* half width katakana and hangul */
    return CL_SEP;
  }
  if (cp == 0xFFFD || (cp >= 0xFFF0 && cp < 0x10000) || (cp >= 0x1F000 && cp < 0x20000) ||
      cp >= 0xE0000)
    return CL_SEP; /* replacement character, specials, emoji, tags */
  return CL_WORD;  /* letters of other scripts */
}

static size_t put_utf8(char *p, uint32_t cp) {
  if (cp < 0x80) {
    p[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    p[0] = (char)(0xC0 | (cp >> 6));
    p[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    p[0] = (char)(0xE0 | (cp >> 12));
    p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    p[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  p[0] = (char)(0xF0 | (cp >> 18));
  p[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  p[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  p[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

typedef struct word_s {
  char buf[RT__TOKEN_MAX];
  size_t len;   /* bytes kept in buf */
  size_t chars; /* code points in the word */
  uint64_t h;   /* FNV-1a over every byte, kept or not */
} word_t;

static void word_reset(word_t *w) {
  w->len = 0;
  w->chars = 0;
  w->h = FNV_OFFSET;
}

static void word_add(word_t *w, uint32_t cp) {
  char tmp[4];
  size_t n = put_utf8(tmp, cp);
  for (size_t i = 0; i < n; i++) {
    w->h = (w->h ^ (unsigned char)tmp[i]) * FNV_PRIME;
    if (w->len < RT__TOKEN_MAX)
      w->buf[w->len++] = tmp[i];
  }
  w->chars++;
}

/* Single characters of alphabetic scripts ("l'", "d'", "a") carry no topic; single CJK
 * characters do, when they stand alone. */
static size_t word_flush(const rt__text_ctx_t *tc, word_t *w, rt__token_fn fn, void *ud) {
  size_t emitted = 0;
  if (w->chars >= 2) {
    uint64_t h = fmix64(w->h);
    if (!is_stop(tc, h)) {
      fn(ud, w->buf, w->len, h);
      emitted = 1;
    }
  }
  word_reset(w);
  return emitted;
}

static size_t emit_cjk(rt__token_fn fn, void *ud, uint32_t a, uint32_t b) {
  word_t w;
  word_reset(&w);
  word_add(&w, a);
  if (b)
    word_add(&w, b);
  fn(ud, w.buf, w.len, fmix64(w.h));
  return 1;
}

size_t rt__text_tokens(const rt__text_ctx_t *tc, const char *s, size_t len, rt__token_fn fn,
                       void *ud) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, count = 0;
  word_t w;
  word_reset(&w);
  uint32_t prev_cjk = 0; /* the last character of the current CJK run */
  size_t cjk_run = 0;
  while (i < len) {
    uint32_t cp = utf8_next(u, len, &i), f[2];
    int nf;
    int cl = classify(cp, f, &nf);
    if (cl == CL_IGNORE)
      continue;
    if (cl != CL_CJK && cjk_run) {
      if (cjk_run == 1)
        count += emit_cjk(fn, ud, prev_cjk, 0);
      cjk_run = 0;
    }
    if (cl == CL_WORD) {
      for (int k = 0; k < nf; k++)
        word_add(&w, f[k]);
    } else if (cl == CL_CJK) {
      count += word_flush(tc, &w, fn, ud);
      if (cjk_run)
        count += emit_cjk(fn, ud, prev_cjk, cp);
      prev_cjk = cp;
      cjk_run++;
    } else {
      count += word_flush(tc, &w, fn, ud);
    }
  }
  count += word_flush(tc, &w, fn, ud);
  if (cjk_run == 1)
    count += emit_cjk(fn, ud, prev_cjk, 0);
  return count;
}

/* One-permutation MinHash: the top 5 bits of a token's hash pick its bin, the rest compete for
 * the bin's minimum. Bins no token fell into borrow the minimum of a bin chosen by a fixed hash
 * sequence ("optimal densification", Shrivastava 2017), the same on both sides, so that short
 * texts still compare on all 32 slots. */
#define BIN_BITS 5
#define VAL_MASK ((UINT64_C(1) << (64 - BIN_BITS)) - 1)

typedef struct sig_acc_s {
  uint64_t min[RT__MH_K];
  size_t tokens;
} sig_acc_t;

static void sig_add(void *ud, const char *tok, size_t len, uint64_t h) {
  (void)tok;
  (void)len;
  sig_acc_t *a = ud;
  unsigned bin = (unsigned)(h >> (64 - BIN_BITS));
  uint64_t v = h & VAL_MASK;
  if (v < a->min[bin])
    a->min[bin] = v;
  a->tokens++;
}

void rt__text_signature(const rt__text_ctx_t *tc, const char *const *texts, size_t n, bool is_offer,
                        uint8_t sig[RT__MH_K]) {
  _Static_assert(RT__MH_K == 1 << BIN_BITS, "bins and slots differ");
  sig_acc_t a;
  for (int k = 0; k < RT__MH_K; k++)
    a.min[k] = UINT64_MAX;
  a.tokens = 0;
  for (size_t t = 0; t < n; t++)
    if (texts[t])
      rt__text_tokens(tc, texts[t], strlen(texts[t]), sig_add, &a);
  if (!a.tokens) {
    memset(sig, is_offer ? RT__MH_EMPTY_OFFER : RT__MH_EMPTY_NEED, RT__MH_K);
    return;
  }
  for (unsigned k = 0; k < RT__MH_K; k++) {
    uint64_t v = a.min[k];
    for (uint64_t attempt = 0; v == UINT64_MAX; attempt++) {
      unsigned b;
      if (attempt < 64)
        b = (unsigned)(fmix64(((uint64_t)k << 32) ^ attempt ^ 0x9e3779b97f4a7c15ULL) >>
                       (64 - BIN_BITS));
      else
        b = (unsigned)(k + attempt - 63) % RT__MH_K; /* a fallback that always ends */
      v = a.min[b];
    }
    /* 8 bits of the minimum, spread over 0..253 so the two empty markers stay unique. */
    sig[k] = (uint8_t)((((v >> 27) & 0xFFFFFFFFu) * 254) >> 32);
  }
}

unsigned rt__text_common(const uint8_t *a, const uint8_t *b) {
  unsigned c = 0;
  for (int k = 0; k < RT__MH_K; k++)
    c += a[k] == b[k];
  return c;
}

void rt_match_text_signature(const char *const *texts, size_t n, bool is_offer,
                             uint8_t sig[RT_MATCH_TEXT_SLOTS]) {
  _Static_assert(RT_MATCH_TEXT_SLOTS == RT__MH_K, "public and private slot counts differ");
  rt__text_ctx_t tc;
  rt__text_init(&tc);
  rt__text_signature(&tc, texts, n, is_offer, sig);
}
