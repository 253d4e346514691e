/* Every fixed text of a summary, in English and Chinese. Data (titles, names) stays as written;
 * theme and region names come translated from the reference data. */
#include <string.h>

#include "summary_internal.h"

typedef struct pair {
  const char *en, *zh;
} pair_t;

static const pair_t labels[L_LABELS] = {
    [L_TITLE] = {"Roundtable summary", "圆桌会议总结"},
    [L_GENERATED] = {"Figures as of", "数据截至"},
    [L_DATES] = {"Dates", "日期"},
    [L_LOCATION] = {"Location", "地点"},
    [L_STATUS] = {"Status", "状态"},
    [L_LAST_RUN] = {"Latest match run", "最近一次匹配运行"},
    [L_NO_RUN] = {"No match run has succeeded yet.", "尚无成功完成的匹配运行。"},
    [L_MIN_SCORE] = {"minimum score", "最低得分"},
    [L_SEC_TOTALS] = {"Totals", "总体数据"},
    [L_SEC_THEMES] = {"Needs and offers by theme", "按主题统计的需求和供给"},
    [L_SEC_REGIONS] = {"Needs by regional group", "按区域组统计的需求"},
    [L_SEC_PARTNERSHIPS] = {"Partnerships by status", "按状态统计的伙伴关系"},
    [L_SEC_DELIVERY] = {"Follow-up of agreed partnerships", "已达成伙伴关系的落实情况"},
    [L_SEC_TOP] = {"Strongest partnerships", "最强伙伴关系"},
    [L_SEC_UNMET] = {"Unmet needs and why", "尚未满足的需求及原因"},
    [L_SEC_UNUSED] = {"Offers with unused capacity", "尚有余量的供给"},
    [L_SEC_NOTES] = {"How to read these figures", "数据说明"},
    [L_STATES] = {"States", "国家"},
    [L_PROVIDERS] = {"Donors and implementers", "捐助方和执行方"},
    [L_NEEDS] = {"Needs", "需求"},
    [L_OFFERS] = {"Offers", "供给"},
    [L_MATCHES_PROPOSED] = {"Partnerships proposed", "提议的伙伴关系"},
    [L_MATCHES_AGREED] = {"Partnerships agreed", "达成的伙伴关系"},
    [L_MATCHES_COMPLETED] = {"of which completed", "其中已完成"},
    [L_MATCHES_DECLINED] = {"Partnerships declined", "被拒绝的伙伴关系"},
    [L_NEEDS_MATCHED] = {"Needs matched", "已匹配的需求"},
    [L_NEEDS_AGREED] = {"Needs with an agreed partnership", "已达成伙伴关系的需求"},
    [L_COVERAGE] = {"Coverage", "覆盖率"},
    [L_AGREED_COVERAGE] = {"Agreed coverage", "达成覆盖率"},
    [L_CAPACITY] = {"Capacity of open offers", "开放供给的容量"},
    [L_CAPACITY_USED] = {"Capacity taken", "已占用容量"},
    [L_FIGURE] = {"Figure", "指标"},
    [L_VALUE] = {"Value", "数值"},
    [L_THEME] = {"Theme", "主题"},
    [L_PARENT] = {"Theme group", "主题组"},
    [L_REGION] = {"Regional group", "区域组"},
    [L_COUNT] = {"Count", "数量"},
    [L_RANK] = {"#", "序号"},
    [L_NEED] = {"Need", "需求"},
    [L_OFFER] = {"Offer", "供给"},
    [L_STATE] = {"State", "国家"},
    [L_PROVIDER] = {"Provider", "提供方"},
    [L_SCORE] = {"Score", "得分"},
    [L_WHY] = {"Why", "理由"},
    [L_REASON] = {"Reason", "原因"},
    [L_USED] = {"Used", "已用"},
    [L_LEFT] = {"Left", "剩余"},
    [L_ID] = {"ID", "编号"},
    [L_CHART_THEMES] = {"Needs and offers per theme group", "各主题组的需求与供给"},
    [L_CHART_REGIONS] = {"Coverage per regional group", "各区域组的覆盖率"},
    [L_CHART_PARTNERSHIPS] = {"Partnerships by status", "按状态统计的伙伴关系"},
    [L_NONE_UNMET] = {"Every need has a partnership proposed or agreed.",
                      "所有需求均已有提议或达成的伙伴关系。"},
    [L_NONE_UNUSED] = {"Every open offer's capacity is taken.", "所有开放供给的容量均已占满。"},
    [L_NONE_TOP] = {"No partnership yet.", "尚无伙伴关系。"},
    [L_NOTE_COUNTED] = {"Needs and offers count every posting of the roundtable except withdrawn "
                        "ones; states and providers are the participants that posted them.",
                        "需求和供给统计本圆桌会议中除已撤回外的全部发布；"
                        "国家和提供方指发布这些需求和供给的参与方。"},
    [L_NOTE_MATCHED] = {"A need is matched when it has at least one partnership proposed or agreed "
                        "(completed included); coverage is needs matched divided by needs.",
                        "至少有一项已提议或已达成（含已完成）伙伴关系的需求计为已匹配；"
                        "覆盖率 = 已匹配的需求 ÷ 需求。"},
    [L_NOTE_THEMES] = {"A need or offer with several themes counts under each of them, and once "
                       "under their theme group.",
                       "涉及多个主题的需求或供给在每个主题下各计一次，在主题组中只计一次。"},
    [L_NOTE_REGIONS] =
        {"A need counts in its state's regional group; an offer counts in every group "
         "it is open to.",
         "需求计入其所属国家的区域组；供给计入其面向的每个区域组。"},
    [L_NOTE_UNMET] = {"Reasons come from the matching engine: without a fitting offer, the rule "
                      "that the closest offers break; with fitting offers, whether they all score "
                      "below the run's minimum, went to other partnerships, or still have room for "
                      "the next match run.",
                      "原因由匹配引擎给出：没有合适的供给时，为最接近的供给所违反的规则；"
                      "有合适的供给时，说明其得分均低于本次运行的最低得分、已分配给其他伙伴关系，"
                      "或仍有余量可在下次匹配运行中提议。"},
    [L_NOTE_SCORE] = {"A score is the weighted sum of the criteria, from 0 to 1; the explanation "
                      "lists the criteria that contribute most (value × weight).",
                      "得分为各项标准的加权和，取值在 0 到 1 之间；"
                      "理由列出贡献最大的标准（数值 × 权重）。"},
};

const char *rt__label(rt_summary_label_t l, rt_summary_lang_t lang) {
  if ((unsigned)l >= L_LABELS)
    return "";
  return lang == RT_SUMMARY_ZH ? labels[l].zh : labels[l].en;
}

typedef struct keyed {
  const char *key;
  pair_t text;
} keyed_t;

static const char *lookup(const keyed_t *table, size_t n, const char *key, rt_summary_lang_t lang) {
  if (!key)
    return "";
  for (size_t i = 0; i < n; i++)
    if (strcmp(table[i].key, key) == 0)
      return lang == RT_SUMMARY_ZH ? table[i].text.zh : table[i].text.en;
  return key;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *rt__status_label(const char *status, rt_summary_lang_t lang) {
  static const keyed_t statuses[] = {
      {"planned", {"planned", "计划中"}},
      {"open", {"open", "开放"}},
      {"closed", {"closed", "已关闭"}},
      {"proposed", {"proposed", "已提议"}},
      {"agreed", {"agreed", "已达成"}},
      {"completed", {"completed", "已完成"}},
      {"declined", {"declined", "已拒绝"}},
      {"matched", {"matched", "已匹配"}},
      {"fulfilled", {"fulfilled", "已满足"}},
      {"delivered", {"delivered", "已落实"}},
      {"partly_delivered", {"partly delivered", "部分落实"}},
      {"abandoned", {"abandoned", "已放弃"}},
      {"awaiting_follow_up", {"awaiting follow-up", "待跟进"}},
  };
  return lookup(statuses, COUNT(statuses), status, lang);
}

const char *rt__criterion_label(const char *criterion, rt_summary_lang_t lang) {
  static const keyed_t criteria[] = {
      {"theme", {"theme", "主题"}},         {"text", {"text", "说明相似度"}},
      {"window", {"window", "时间"}},       {"modality", {"modality", "方式"}},
      {"funding", {"funding", "资金"}},     {"priority", {"priority", "优先级"}},
      {"fairness", {"fairness", "公平性"}},
  };
  return lookup(criteria, COUNT(criteria), criterion, lang);
}

/* The engine's reason codes (rt_match_reason_name) and "feasible". */
static const keyed_t reasons[] = {
    {"need_not_open", {"the need is no longer open", "该需求已不再开放"}},
    {"no_open_offers", {"no other participant has an open offer", "其他参与方没有开放的供给"}},
    {"below_min_score",
     {"every fitting offer scores below the minimum score of the match run",
      "所有合适供给的得分均低于匹配运行的最低得分"}},
    {"outcompeted",
     {"the fitting offers went to partnerships that add more to the whole roundtable",
      "合适的供给已分配给对整个圆桌会议贡献更大的伙伴关系"}},
    {"feasible",
     {"fitting offers with room exist; the next match run can propose them",
      "有尚有余量的合适供给；下次匹配运行可以提议"}},
    {"capacity_used_up", {"the fitting offers are fully taken", "合适的供给已全部占满"}},
    {"declined", {"the fitting offers were declined", "合适的供给已被拒绝"}},
    {"already_agreed", {"already agreed with the fitting offers", "已与合适的供给达成伙伴关系"}},
    {"window", {"no offer is available at the time needed", "没有供给能在所需时间提供"}},
    {"modality",
     {"no offer is given the way needed (in person or online)",
      "没有供给能以所需方式（线下或线上）提供"}},
    {"country_excluded", {"the offers are not open to this country", "这些供给不面向该国"}},
    {"region_excluded", {"the offers are not open to this region", "这些供给不面向该区域"}},
    {"no_shared_language", {"no offer shares a working language", "没有供给与之有共同的工作语言"}},
    {"no_theme", {"no offer covers these themes", "没有供给涵盖这些主题"}},
};

const char *rt_summary_reason_label(const char *code, rt_summary_lang_t lang) {
  return lookup(reasons, COUNT(reasons), code, lang);
}
