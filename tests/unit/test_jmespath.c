/* Tests for the JMESPath subset: compliance cases, SageMaker shapes, errors, bounds, allocation
 * failures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/jmespath.h"

/* One case: evaluate expr against the JSON text given; expected is JSON text, or ERR when the
 * expression must fail to compile. */
struct jp_case {
    const char *given;
    const char *expr;
    const char *expected;
};
#define ERR NULL

/* ==================================================================================== */
/* Cases from the JMESPath compliance suite                                             */
/* ==================================================================================== */

/* From github.com/jmespath/jmespath.test, tests/<name>.json: every case of basic, current,
 * escape, identifiers, indices, slice, unicode and wildcard; the pipe cases without multi-select
 * or ||; from syntax every error case and the result cases that use only the supported grammar.
 * Expressions keep their exact text; the given documents are re-serialised compactly, with
 * backslash-u escapes. Groups are numbered in file order from 0. */

static const char G_BASIC_0[] = "{\"foo\":{\"bar\":{\"baz\":\"correct\"}}}";
static const char G_BASIC_1[] = "{\"foo\":{\"bar\":[\"one\",\"two\",\"three\"]}}";
static const char G_BASIC_2[] = "[\"one\",\"two\",\"three\"]";
static const char G_BASIC_3[] = "{\"foo\":{\"1\":[\"one\",\"two\",\"three\"],\"-1\":\"bar\"}}";
static const char G_CURRENT_0[] =
    "{\"foo\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"bar\":{\"baz\":\"qux\"}}";
static const char G_ESCAPE_0[] =
    "{\"foo.bar\":\"dot\",\"foo "
    "bar\":\"space\",\"foo\\nbar\":\"newline\",\"foo\\\"bar\":\"doublequote\",\"c:"
    "\\\\\\\\windows\\\\path\":\"windows\",\"/unix/"
    "path\":\"unix\",\"\\\"\\\"\\\"\":\"threequotes\",\"bar\":{\"baz\":\"qux\"}}";
static const char G_IDENTIFIERS_0[] = "{\"__L\":true}";
static const char G_IDENTIFIERS_1[] = "{\"!\\r\":true}";
static const char G_IDENTIFIERS_2[] = "{\"Y_1623\":true}";
static const char G_IDENTIFIERS_3[] = "{\"x\":true}";
static const char G_IDENTIFIERS_4[] = "{\"\\tF\\ucebb\":true}";
static const char G_IDENTIFIERS_5[] = "{\" \\t\":true}";
static const char G_IDENTIFIERS_6[] = "{\" \":true}";
static const char G_IDENTIFIERS_7[] = "{\"v2\":true}";
static const char G_IDENTIFIERS_8[] = "{\"\\t\":true}";
static const char G_IDENTIFIERS_9[] = "{\"_X\":true}";
static const char G_IDENTIFIERS_10[] = "{\"\\t4\\ud9da\\udd15\":true}";
static const char G_IDENTIFIERS_11[] = "{\"v24_W\":true}";
static const char G_IDENTIFIERS_12[] = "{\"H\":true}";
static const char G_IDENTIFIERS_13[] = "{\"\\f\":true}";
static const char G_IDENTIFIERS_14[] = "{\"E4\":true}";
static const char G_IDENTIFIERS_15[] = "{\"!\":true}";
static const char G_IDENTIFIERS_16[] = "{\"tM\":true}";
static const char G_IDENTIFIERS_17[] = "{\" [\":true}";
static const char G_IDENTIFIERS_18[] = "{\"R!\":true}";
static const char G_IDENTIFIERS_19[] = "{\"_6W\":true}";
static const char G_IDENTIFIERS_20[] = "{\"\\uaba1\\r\":true}";
static const char G_IDENTIFIERS_21[] = "{\"tL7\":true}";
static const char G_IDENTIFIERS_22[] = "{\"<<U\\t\":true}";
static const char G_IDENTIFIERS_23[] = "{\"\\ubbce\\ufafb\":true}";
static const char G_IDENTIFIERS_24[] = "{\"sNA_\":true}";
static const char G_IDENTIFIERS_25[] = "{\"9\":true}";
static const char G_IDENTIFIERS_26[] = "{\"\\\\\\b\\ud8cb\\udc83\":true}";
static const char G_IDENTIFIERS_27[] = "{\"r\":true}";
static const char G_IDENTIFIERS_28[] = "{\"Q\":true}";
static const char G_IDENTIFIERS_29[] = "{\"_Q__7GL8\":true}";
static const char G_IDENTIFIERS_30[] = "{\"\\\\\":true}";
static const char G_IDENTIFIERS_31[] = "{\"RR9_\":true}";
static const char G_IDENTIFIERS_32[] = "{\"\\r\\f:\":true}";
static const char G_IDENTIFIERS_33[] = "{\"r7\":true}";
static const char G_IDENTIFIERS_34[] = "{\"-\":true}";
static const char G_IDENTIFIERS_35[] = "{\"p9\":true}";
static const char G_IDENTIFIERS_36[] = "{\"__\":true}";
static const char G_IDENTIFIERS_37[] = "{\"\\b\\t\":true}";
static const char G_IDENTIFIERS_38[] = "{\"O_\":true}";
static const char G_IDENTIFIERS_39[] = "{\"_r_8\":true}";
static const char G_IDENTIFIERS_40[] = "{\"_j\":true}";
static const char G_IDENTIFIERS_41[] = "{\":\":true}";
static const char G_IDENTIFIERS_42[] = "{\"\\rB\":true}";
static const char G_IDENTIFIERS_43[] = "{\"Obf\":true}";
static const char G_IDENTIFIERS_44[] = "{\"\\n\":true}";
static const char G_IDENTIFIERS_45[] = "{\"\\f\\udb54\\udf33\":true}";
static const char G_IDENTIFIERS_46[] = "{\"\\\\\\u4fdc\":true}";
static const char G_IDENTIFIERS_47[] = "{\"\\r\":true}";
static const char G_IDENTIFIERS_48[] = "{\"m_\":true}";
static const char G_IDENTIFIERS_49[] = "{\"\\r\\fB \":true}";
static const char G_IDENTIFIERS_50[] = "{\"+\\\"\\\"\":true}";
static const char G_IDENTIFIERS_51[] = "{\"Mg\":true}";
static const char G_IDENTIFIERS_52[] = "{\"\\\"!/\":true}";
static const char G_IDENTIFIERS_53[] = "{\"7\\\"\":true}";
static const char G_IDENTIFIERS_54[] = "{\"\\\\\\udb3a\\udca4S\":true}";
static const char G_IDENTIFIERS_55[] = "{\"\\\"\":true}";
static const char G_IDENTIFIERS_56[] = "{\"Kl\":true}";
static const char G_IDENTIFIERS_57[] = "{\"\\b\\b\":true}";
static const char G_IDENTIFIERS_58[] = "{\">\":true}";
static const char G_IDENTIFIERS_59[] = "{\"hvu\":true}";
static const char G_IDENTIFIERS_60[] = "{\"; !\":true}";
static const char G_IDENTIFIERS_61[] = "{\"hU\":true}";
static const char G_IDENTIFIERS_62[] = "{\"!I\\n/\":true}";
static const char G_IDENTIFIERS_63[] = "{\"\\ueebf\":true}";
static const char G_IDENTIFIERS_64[] = "{\"U)\\t\":true}";
static const char G_IDENTIFIERS_65[] = "{\"fa0_9\":true}";
static const char G_IDENTIFIERS_66[] = "{\"/\":true}";
static const char G_IDENTIFIERS_67[] = "{\"Gy\":true}";
static const char G_IDENTIFIERS_68[] = "{\"\\b\":true}";
static const char G_IDENTIFIERS_69[] = "{\"<\":true}";
static const char G_IDENTIFIERS_70[] = "{\"\\t\":true}";
static const char G_IDENTIFIERS_71[] = "{\"\\t&\\\\\\r\":true}";
static const char G_IDENTIFIERS_72[] = "{\"#\":true}";
static const char G_IDENTIFIERS_73[] = "{\"B__\":true}";
static const char G_IDENTIFIERS_74[] = "{\"\\nS \\n\":true}";
static const char G_IDENTIFIERS_75[] = "{\"Bp\":true}";
static const char G_IDENTIFIERS_76[] = "{\",\\t;\":true}";
static const char G_IDENTIFIERS_77[] = "{\"B_q\":true}";
static const char G_IDENTIFIERS_78[] = "{\"/+\\t\\n\\b!Z\":true}";
static const char G_IDENTIFIERS_79[] = "{\"\\udadd\\udfc7\\\\ueFAc\":true}";
static const char G_IDENTIFIERS_80[] = "{\":\\f\":true}";
static const char G_IDENTIFIERS_81[] = "{\"/\":true}";
static const char G_IDENTIFIERS_82[] = "{\"_BW_6Hg_Gl\":true}";
static const char G_IDENTIFIERS_83[] = "{\"\\udbcf\\udc02\":true}";
static const char G_IDENTIFIERS_84[] = "{\"zs1DC\":true}";
static const char G_IDENTIFIERS_85[] = "{\"__434\":true}";
static const char G_IDENTIFIERS_86[] = "{\"\\udb94\\udd41\":true}";
static const char G_IDENTIFIERS_87[] = "{\"Z_5\":true}";
static const char G_IDENTIFIERS_88[] = "{\"z_M_\":true}";
static const char G_IDENTIFIERS_89[] = "{\"YU_2\":true}";
static const char G_IDENTIFIERS_90[] = "{\"_0\":true}";
static const char G_IDENTIFIERS_91[] = "{\"\\b+\":true}";
static const char G_IDENTIFIERS_92[] = "{\"\\\"\":true}";
static const char G_IDENTIFIERS_93[] = "{\"D7\":true}";
static const char G_IDENTIFIERS_94[] = "{\"_62L\":true}";
static const char G_IDENTIFIERS_95[] = "{\"\\tK\\t\":true}";
static const char G_IDENTIFIERS_96[] = "{\"\\n\\\\\\f\":true}";
static const char G_IDENTIFIERS_97[] = "{\"I_\":true}";
static const char G_IDENTIFIERS_98[] = "{\"W_a0_\":true}";
static const char G_IDENTIFIERS_99[] = "{\"BQ\":true}";
static const char G_IDENTIFIERS_100[] = "{\"\\tX$\\uabbb\":true}";
static const char G_IDENTIFIERS_101[] = "{\"Z9\":true}";
static const char G_IDENTIFIERS_102[] = "{\"\\b%\\\"\\uda38\\udd0f\":true}";
static const char G_IDENTIFIERS_103[] = "{\"_F\":true}";
static const char G_IDENTIFIERS_104[] = "{\"!,\":true}";
static const char G_IDENTIFIERS_105[] = "{\"\\\"!\":true}";
static const char G_IDENTIFIERS_106[] = "{\"Hh\":true}";
static const char G_IDENTIFIERS_107[] = "{\"&\":true}";
static const char G_IDENTIFIERS_108[] = "{\"9\\r\\\\R\":true}";
static const char G_IDENTIFIERS_109[] = "{\"M_k\":true}";
static const char G_IDENTIFIERS_110[] = "{\"!\\b\\n\\udb06\\ude52\\\"\\\"\":true}";
static const char G_IDENTIFIERS_111[] = "{\"6\":true}";
static const char G_IDENTIFIERS_112[] = "{\"_7\":true}";
static const char G_IDENTIFIERS_113[] = "{\"0\":true}";
static const char G_IDENTIFIERS_114[] = "{\"\\\\8\\\\\":true}";
static const char G_IDENTIFIERS_115[] = "{\"b7eo\":true}";
static const char G_IDENTIFIERS_116[] = "{\"xIUo9\":true}";
static const char G_IDENTIFIERS_117[] = "{\"5\":true}";
static const char G_IDENTIFIERS_118[] = "{\"\?\":true}";
static const char G_IDENTIFIERS_119[] = "{\"sU\":true}";
static const char G_IDENTIFIERS_120[] = "{\"VH2&H\\\\/\":true}";
static const char G_IDENTIFIERS_121[] = "{\"_C\":true}";
static const char G_IDENTIFIERS_122[] = "{\"_\":true}";
static const char G_IDENTIFIERS_123[] = "{\"<\\t\":true}";
static const char G_IDENTIFIERS_124[] = "{\"\\ud834\\udd1e\":true}";
static const char G_INDICES_0[] = "{\"foo\":{\"bar\":[\"zero\",\"one\",\"two\"]}}";
static const char G_INDICES_1[] =
    "{\"foo\":[{\"bar\":\"one\"},{\"bar\":\"two\"},{\"bar\":\"three\"},{\"notbar\":\"four\"}]}";
static const char G_INDICES_2[] = "[\"one\",\"two\",\"three\"]";
static const char G_INDICES_3[] = "{\"reservations\":[{\"instances\":[{\"foo\":1},{\"foo\":2}]}]}";
static const char G_INDICES_4[] =
    "{\"reservations\":[{\"instances\":[{\"foo\":[{\"bar\":1},{\"bar\":2},{\"notbar\":3},{\"bar\":"
    "4}]},{\"foo\":[{\"bar\":5},{\"bar\":6},{\"notbar\":[7]},{\"bar\":8}]},{\"foo\":\"bar\"},{"
    "\"notfoo\":[{\"bar\":20},{\"bar\":21},{\"notbar\":[7]},{\"bar\":22}]},{\"bar\":[{\"baz\":[1]},"
    "{\"baz\":[2]},{\"baz\":[3]},{\"baz\":[4]}]},{\"baz\":[{\"baz\":[1,2]},{\"baz\":[]},{\"baz\":[]"
    "},{\"baz\":[3,4]}]},{\"qux\":[{\"baz\":[]},{\"baz\":[1,2,3]},{\"baz\":[4]},{\"baz\":[]}]}],"
    "\"otherkey\":{\"foo\":[{\"bar\":1},{\"bar\":2},{\"notbar\":3},{\"bar\":4}]}},{\"instances\":[{"
    "\"a\":[{\"bar\":1},{\"bar\":2},{\"notbar\":3},{\"bar\":4}]},{\"b\":[{\"bar\":5},{\"bar\":6},{"
    "\"notbar\":[7]},{\"bar\":8}]},{\"c\":\"bar\"},{\"notfoo\":[{\"bar\":23},{\"bar\":24},{"
    "\"notbar\":[7]},{\"bar\":25}]},{\"qux\":[{\"baz\":[]},{\"baz\":[1,2,3]},{\"baz\":[4]},{"
    "\"baz\":[]}]}],\"otherkey\":{\"foo\":[{\"bar\":1},{\"bar\":2},{\"notbar\":3},{\"bar\":4}]}}]}";
static const char G_INDICES_5[] = "{\"foo\":[[[\"one\",\"two\"],[\"three\",\"four\"]],[[\"five\","
                                  "\"six\"],[\"seven\",\"eight\"]],[[\"nine\"],[\"ten\"]]]}";
static const char G_INDICES_6[] = "{\"foo\":[{\"bar\":[{\"qux\":2,\"baz\":1},{\"qux\":4,\"baz\":3}]"
                                  "},{\"bar\":[{\"qux\":6,\"baz\":5},{\"qux\":8,\"baz\":7}]}]}";
static const char G_INDICES_7[] = "{\"string\":\"string\",\"hash\":{\"foo\":\"bar\",\"bar\":"
                                  "\"baz\"},\"number\":23,\"nullvalue\":null}";
static const char G_PIPE_0[] = "{\"foo\":{\"bar\":{\"baz\":\"subkey\"},\"other\":{\"baz\":"
                               "\"subkey\"},\"other2\":{\"baz\":\"subkey\"},\"other3\":{\"notbaz\":"
                               "[\"a\",\"b\",\"c\"]},\"other4\":{\"notbaz\":[\"a\",\"b\",\"c\"]}}}";
static const char G_PIPE_1[] =
    "{\"foo\":{\"bar\":{\"baz\":\"one\"},\"other\":{\"baz\":\"two\"},\"other2\":{\"baz\":\"three\"}"
    ",\"other3\":{\"notbaz\":[\"a\",\"b\",\"c\"]},\"other4\":{\"notbaz\":[\"d\",\"e\",\"f\"]}}}";
static const char G_PIPE_2[] = "{\"foo\":[{\"bar\":[{\"baz\":\"one\"},{\"baz\":\"two\"}]},{\"bar\":"
                               "[{\"baz\":\"three\"},{\"baz\":\"four\"}]}]}";
static const char G_SLICE_0[] = "{\"foo\":[0,1,2,3,4,5,6,7,8,9],\"bar\":{\"baz\":1}}";
static const char G_SLICE_1[] = "{\"foo\":[{\"a\":1},{\"a\":2},{\"a\":3}],\"bar\":[{\"a\":{\"b\":1}"
                                "},{\"a\":{\"b\":2}},{\"a\":{\"b\":3}}],\"baz\":50}";
static const char G_SLICE_2[] = "[{\"a\":1},{\"a\":2},{\"a\":3}]";
static const char G_SYNTAX_0[] = "{\"type\":\"object\"}";
static const char G_SYNTAX_1[] = "{\"type\":\"object\"}";
static const char G_SYNTAX_2[] = "{\"type\":\"object\"}";
static const char G_SYNTAX_3[] = "{}";
static const char G_SYNTAX_4[] = "{}";
static const char G_SYNTAX_5[] = "{\"type\":\"object\"}";
static const char G_SYNTAX_6[] = "{\"type\":\"object\"}";
static const char G_SYNTAX_7[] = "{\"type\":\"object\"}";
static const char G_SYNTAX_8[] = "{}";
static const char G_SYNTAX_9[] = "{\"type\":\"object\"}";
static const char G_SYNTAX_10[] = "{\"type\":\"object\"}";
static const char G_SYNTAX_11[] = "{\"type\":\"object\"}";
static const char G_SYNTAX_12[] = "{\"type\":\"object\"}";
static const char G_SYNTAX_13[] = "{\"type\":\"object\"}";
static const char G_SYNTAX_14[] = "{\"type\":\"object\"}";
static const char G_WILDCARD_0[] =
    "{\"foo\":{\"bar\":{\"baz\":\"val\"},\"other\":{\"baz\":\"val\"},\"other2\":{\"baz\":\"val\"},"
    "\"other3\":{\"notbaz\":[\"a\",\"b\",\"c\"]},\"other4\":{\"notbaz\":[\"a\",\"b\",\"c\"]},"
    "\"other5\":{\"other\":{\"a\":1,\"b\":1,\"c\":1}}}}";
static const char G_WILDCARD_1[] = "{\"foo\":{\"first-1\":{\"second-1\":\"val\"},\"first-2\":{"
                                   "\"second-1\":\"val\"},\"first-3\":{\"second-1\":\"val\"}}}";
static const char G_WILDCARD_2[] =
    "{\"foo\":{\"bar\":\"one\"},\"other\":{\"bar\":\"one\"},\"nomatch\":{\"notbar\":\"three\"}}";
static const char G_WILDCARD_3[] =
    "{\"top1\":{\"sub1\":{\"foo\":\"one\"}},\"top2\":{\"sub1\":{\"foo\":\"one\"}}}";
static const char G_WILDCARD_4[] =
    "{\"foo\":[{\"bar\":\"one\"},{\"bar\":\"two\"},{\"bar\":\"three\"},{\"notbar\":\"four\"}]}";
static const char G_WILDCARD_5[] =
    "[{\"bar\":\"one\"},{\"bar\":\"two\"},{\"bar\":\"three\"},{\"notbar\":\"four\"}]";
static const char G_WILDCARD_6[] =
    "{\"foo\":{\"bar\":[{\"baz\":[\"one\",\"two\",\"three\"]},{\"baz\":[\"four\",\"five\",\"six\"]}"
    ",{\"baz\":[\"seven\",\"eight\",\"nine\"]}]}}";
static const char G_WILDCARD_7[] = "{\"foo\":{\"bar\":[[\"one\",\"two\"],[\"three\",\"four\"]]}}";
static const char G_WILDCARD_8[] =
    "{\"foo\":[{\"bar\":[{\"kind\":\"basic\"},{\"kind\":\"intermediate\"}]},{\"bar\":[{\"kind\":"
    "\"advanced\"},{\"kind\":\"expert\"}]},{\"bar\":\"string\"}]}";
static const char G_WILDCARD_9[] =
    "{\"foo\":[{\"bar\":{\"kind\":\"basic\"}},{\"bar\":{\"kind\":\"intermediate\"}},{\"bar\":{"
    "\"kind\":\"advanced\"}},{\"bar\":{\"kind\":\"expert\"}},{\"bar\":\"string\"}]}";
static const char G_WILDCARD_10[] =
    "{\"foo\":[{\"bar\":[\"one\",\"two\"]},{\"bar\":[\"three\",\"four\"]},{\"bar\":[\"five\"]}]}";
static const char G_WILDCARD_11[] = "{\"foo\":[{\"bar\":[]},{\"bar\":[]},{\"bar\":[]}]}";
static const char G_WILDCARD_12[] = "{\"foo\":[[\"one\",\"two\"],[\"three\",\"four\"],[\"five\"]]}";
static const char G_WILDCARD_13[] = "{\"foo\":[[[\"one\",\"two\"],[\"three\",\"four\"]],[[\"five\","
                                    "\"six\"],[\"seven\",\"eight\"]],[[\"nine\"],[\"ten\"]]]}";
static const char G_WILDCARD_14[] = "{\"string\":\"string\",\"hash\":{\"foo\":\"bar\",\"bar\":"
                                    "\"baz\"},\"number\":23,\"nullvalue\":null}";
static const char G_WILDCARD_15[] = "{\"string\":\"string\",\"hash\":{\"foo\":\"val\",\"bar\":"
                                    "\"val\"},\"number\":23,\"array\":[1,2,3],\"nullvalue\":null}";
static const char G_WILDCARD_16[] = "{\"a\":[0,1,2],\"b\":[0,1,2]}";
static const char G_UNICODE_0[] = "{\"foo\":[{\"\\u2713\":\"\\u2713\"},{\"\\u2713\":\"\\u2717\"}]}";
static const char G_UNICODE_1[] = "{\"\\u262f\":true}";
static const char G_UNICODE_2[] =
    "{\"\\u266a\\u266b\\u2022*\\u00a8*\\u2022.\\u00b8\\u00b8\\u2764\\u00b8\\u00b8.\\u2022*\\u00a8*"
    "\\u2022\\u266b\\u266a\":true}";
static const char G_UNICODE_3[] = "{\"\\u2603\":true}";

static const struct jp_case compliance[] = {
    /* basic.json, group 0 */
    {G_BASIC_0, "foo", "{\"bar\":{\"baz\":\"correct\"}}"},
    {G_BASIC_0, "foo.bar", "{\"baz\":\"correct\"}"},
    {G_BASIC_0, "foo.bar.baz", "\"correct\""},
    {G_BASIC_0, "foo\n.\nbar\n.baz", "\"correct\""},
    {G_BASIC_0, "foo.bar.baz.bad", "null"},
    {G_BASIC_0, "foo.bar.bad", "null"},
    {G_BASIC_0, "foo.bad", "null"},
    {G_BASIC_0, "bad", "null"},
    {G_BASIC_0, "bad.morebad.morebad", "null"},
    /* basic.json, group 1 */
    {G_BASIC_1, "foo", "{\"bar\":[\"one\",\"two\",\"three\"]}"},
    {G_BASIC_1, "foo.bar", "[\"one\",\"two\",\"three\"]"},
    /* basic.json, group 2 */
    {G_BASIC_2, "one", "null"},
    {G_BASIC_2, "two", "null"},
    {G_BASIC_2, "three", "null"},
    {G_BASIC_2, "one.two", "null"},
    /* basic.json, group 3 */
    {G_BASIC_3, "foo.\"1\"", "[\"one\",\"two\",\"three\"]"},
    {G_BASIC_3, "foo.\"1\"[0]", "\"one\""},
    {G_BASIC_3, "foo.\"-1\"", "\"bar\""},
    /* current.json, group 0 */
    {G_CURRENT_0, "@", "{\"foo\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"bar\":{\"baz\":\"qux\"}}"},
    {G_CURRENT_0, "@.bar", "{\"baz\":\"qux\"}"},
    {G_CURRENT_0, "@.foo[0]", "{\"name\":\"a\"}"},
    /* escape.json, group 0 */
    {G_ESCAPE_0, "\"foo.bar\"", "\"dot\""},
    {G_ESCAPE_0, "\"foo bar\"", "\"space\""},
    {G_ESCAPE_0, "\"foo\\nbar\"", "\"newline\""},
    {G_ESCAPE_0, "\"foo\\\"bar\"", "\"doublequote\""},
    {G_ESCAPE_0, "\"c:\\\\\\\\windows\\\\path\"", "\"windows\""},
    {G_ESCAPE_0, "\"/unix/path\"", "\"unix\""},
    {G_ESCAPE_0, "\"\\\"\\\"\\\"\"", "\"threequotes\""},
    {G_ESCAPE_0, "\"bar\".\"baz\"", "\"qux\""},
    /* identifiers.json, group 0 */
    {G_IDENTIFIERS_0, "__L", "true"},
    /* identifiers.json, group 1 */
    {G_IDENTIFIERS_1, "\"!\\r\"", "true"},
    /* identifiers.json, group 2 */
    {G_IDENTIFIERS_2, "Y_1623", "true"},
    /* identifiers.json, group 3 */
    {G_IDENTIFIERS_3, "x", "true"},
    /* identifiers.json, group 4 */
    {G_IDENTIFIERS_4, "\"\\tF\\uCebb\"", "true"},
    /* identifiers.json, group 5 */
    {G_IDENTIFIERS_5, "\" \\t\"", "true"},
    /* identifiers.json, group 6 */
    {G_IDENTIFIERS_6, "\" \"", "true"},
    /* identifiers.json, group 7 */
    {G_IDENTIFIERS_7, "v2", "true"},
    /* identifiers.json, group 8 */
    {G_IDENTIFIERS_8, "\"\\t\"", "true"},
    /* identifiers.json, group 9 */
    {G_IDENTIFIERS_9, "_X", "true"},
    /* identifiers.json, group 10 */
    {G_IDENTIFIERS_10, "\"\\t4\\ud9da\\udd15\"", "true"},
    /* identifiers.json, group 11 */
    {G_IDENTIFIERS_11, "v24_W", "true"},
    /* identifiers.json, group 12 */
    {G_IDENTIFIERS_12, "\"H\"", "true"},
    /* identifiers.json, group 13 */
    {G_IDENTIFIERS_13, "\"\\f\"", "true"},
    /* identifiers.json, group 14 */
    {G_IDENTIFIERS_14, "\"E4\"", "true"},
    /* identifiers.json, group 15 */
    {G_IDENTIFIERS_15, "\"!\"", "true"},
    /* identifiers.json, group 16 */
    {G_IDENTIFIERS_16, "tM", "true"},
    /* identifiers.json, group 17 */
    {G_IDENTIFIERS_17, "\" [\"", "true"},
    /* identifiers.json, group 18 */
    {G_IDENTIFIERS_18, "\"R!\"", "true"},
    /* identifiers.json, group 19 */
    {G_IDENTIFIERS_19, "_6W", "true"},
    /* identifiers.json, group 20 */
    {G_IDENTIFIERS_20, "\"\\uaBA1\\r\"", "true"},
    /* identifiers.json, group 21 */
    {G_IDENTIFIERS_21, "tL7", "true"},
    /* identifiers.json, group 22 */
    {G_IDENTIFIERS_22, "\"<<U\\t\"", "true"},
    /* identifiers.json, group 23 */
    {G_IDENTIFIERS_23, "\"\\ubBcE\\ufAfB\"", "true"},
    /* identifiers.json, group 24 */
    {G_IDENTIFIERS_24, "sNA_", "true"},
    /* identifiers.json, group 25 */
    {G_IDENTIFIERS_25, "\"9\"", "true"},
    /* identifiers.json, group 26 */
    {G_IDENTIFIERS_26, "\"\\\\\\b\\ud8cb\\udc83\"", "true"},
    /* identifiers.json, group 27 */
    {G_IDENTIFIERS_27, "\"r\"", "true"},
    /* identifiers.json, group 28 */
    {G_IDENTIFIERS_28, "Q", "true"},
    /* identifiers.json, group 29 */
    {G_IDENTIFIERS_29, "_Q__7GL8", "true"},
    /* identifiers.json, group 30 */
    {G_IDENTIFIERS_30, "\"\\\\\"", "true"},
    /* identifiers.json, group 31 */
    {G_IDENTIFIERS_31, "RR9_", "true"},
    /* identifiers.json, group 32 */
    {G_IDENTIFIERS_32, "\"\\r\\f:\"", "true"},
    /* identifiers.json, group 33 */
    {G_IDENTIFIERS_33, "r7", "true"},
    /* identifiers.json, group 34 */
    {G_IDENTIFIERS_34, "\"-\"", "true"},
    /* identifiers.json, group 35 */
    {G_IDENTIFIERS_35, "p9", "true"},
    /* identifiers.json, group 36 */
    {G_IDENTIFIERS_36, "__", "true"},
    /* identifiers.json, group 37 */
    {G_IDENTIFIERS_37, "\"\\b\\t\"", "true"},
    /* identifiers.json, group 38 */
    {G_IDENTIFIERS_38, "O_", "true"},
    /* identifiers.json, group 39 */
    {G_IDENTIFIERS_39, "_r_8", "true"},
    /* identifiers.json, group 40 */
    {G_IDENTIFIERS_40, "_j", "true"},
    /* identifiers.json, group 41 */
    {G_IDENTIFIERS_41, "\":\"", "true"},
    /* identifiers.json, group 42 */
    {G_IDENTIFIERS_42, "\"\\rB\"", "true"},
    /* identifiers.json, group 43 */
    {G_IDENTIFIERS_43, "Obf", "true"},
    /* identifiers.json, group 44 */
    {G_IDENTIFIERS_44, "\"\\n\"", "true"},
    /* identifiers.json, group 45 */
    {G_IDENTIFIERS_45, "\"\\f\xf3\xa5\x8c\xb3\"", "true"},
    /* identifiers.json, group 46 */
    {G_IDENTIFIERS_46, "\"\\\\\\u4FDc\"", "true"},
    /* identifiers.json, group 47 */
    {G_IDENTIFIERS_47, "\"\\r\"", "true"},
    /* identifiers.json, group 48 */
    {G_IDENTIFIERS_48, "m_", "true"},
    /* identifiers.json, group 49 */
    {G_IDENTIFIERS_49, "\"\\r\\fB \"", "true"},
    /* identifiers.json, group 50 */
    {G_IDENTIFIERS_50, "\"+\\\"\\\"\"", "true"},
    /* identifiers.json, group 51 */
    {G_IDENTIFIERS_51, "Mg", "true"},
    /* identifiers.json, group 52 */
    {G_IDENTIFIERS_52, "\"\\\"!\\/\"", "true"},
    /* identifiers.json, group 53 */
    {G_IDENTIFIERS_53, "\"7\\\"\"", "true"},
    /* identifiers.json, group 54 */
    {G_IDENTIFIERS_54, "\"\\\\\xf3\x9e\xa2\xa4S\"", "true"},
    /* identifiers.json, group 55 */
    {G_IDENTIFIERS_55, "\"\\\"\"", "true"},
    /* identifiers.json, group 56 */
    {G_IDENTIFIERS_56, "Kl", "true"},
    /* identifiers.json, group 57 */
    {G_IDENTIFIERS_57, "\"\\b\\b\"", "true"},
    /* identifiers.json, group 58 */
    {G_IDENTIFIERS_58, "\">\"", "true"},
    /* identifiers.json, group 59 */
    {G_IDENTIFIERS_59, "hvu", "true"},
    /* identifiers.json, group 60 */
    {G_IDENTIFIERS_60, "\"; !\"", "true"},
    /* identifiers.json, group 61 */
    {G_IDENTIFIERS_61, "hU", "true"},
    /* identifiers.json, group 62 */
    {G_IDENTIFIERS_62, "\"!I\\n\\/\"", "true"},
    /* identifiers.json, group 63 */
    {G_IDENTIFIERS_63, "\"\\uEEbF\"", "true"},
    /* identifiers.json, group 64 */
    {G_IDENTIFIERS_64, "\"U)\\t\"", "true"},
    /* identifiers.json, group 65 */
    {G_IDENTIFIERS_65, "fa0_9", "true"},
    /* identifiers.json, group 66 */
    {G_IDENTIFIERS_66, "\"/\"", "true"},
    /* identifiers.json, group 67 */
    {G_IDENTIFIERS_67, "Gy", "true"},
    /* identifiers.json, group 68 */
    {G_IDENTIFIERS_68, "\"\\b\"", "true"},
    /* identifiers.json, group 69 */
    {G_IDENTIFIERS_69, "\"<\"", "true"},
    /* identifiers.json, group 70 */
    {G_IDENTIFIERS_70, "\"\\t\"", "true"},
    /* identifiers.json, group 71 */
    {G_IDENTIFIERS_71, "\"\\t&\\\\\\r\"", "true"},
    /* identifiers.json, group 72 */
    {G_IDENTIFIERS_72, "\"#\"", "true"},
    /* identifiers.json, group 73 */
    {G_IDENTIFIERS_73, "B__", "true"},
    /* identifiers.json, group 74 */
    {G_IDENTIFIERS_74, "\"\\nS \\n\"", "true"},
    /* identifiers.json, group 75 */
    {G_IDENTIFIERS_75, "Bp", "true"},
    /* identifiers.json, group 76 */
    {G_IDENTIFIERS_76, "\",\\t;\"", "true"},
    /* identifiers.json, group 77 */
    {G_IDENTIFIERS_77, "B_q", "true"},
    /* identifiers.json, group 78 */
    {G_IDENTIFIERS_78, "\"\\/+\\t\\n\\b!Z\"", "true"},
    /* identifiers.json, group 79 */
    {G_IDENTIFIERS_79, "\"\xf3\x87\x9f\x87\\\\ueFAc\"", "true"},
    /* identifiers.json, group 80 */
    {G_IDENTIFIERS_80, "\":\\f\"", "true"},
    /* identifiers.json, group 81 */
    {G_IDENTIFIERS_81, "\"\\/\"", "true"},
    /* identifiers.json, group 82 */
    {G_IDENTIFIERS_82, "_BW_6Hg_Gl", "true"},
    /* identifiers.json, group 83 */
    {G_IDENTIFIERS_83, "\"\xf4\x83\xb0\x82\"", "true"},
    /* identifiers.json, group 84 */
    {G_IDENTIFIERS_84, "zs1DC", "true"},
    /* identifiers.json, group 85 */
    {G_IDENTIFIERS_85, "__434", "true"},
    /* identifiers.json, group 86 */
    {G_IDENTIFIERS_86, "\"\xf3\xb5\x85\x81\"", "true"},
    /* identifiers.json, group 87 */
    {G_IDENTIFIERS_87, "Z_5", "true"},
    /* identifiers.json, group 88 */
    {G_IDENTIFIERS_88, "z_M_", "true"},
    /* identifiers.json, group 89 */
    {G_IDENTIFIERS_89, "YU_2", "true"},
    /* identifiers.json, group 90 */
    {G_IDENTIFIERS_90, "_0", "true"},
    /* identifiers.json, group 91 */
    {G_IDENTIFIERS_91, "\"\\b+\"", "true"},
    /* identifiers.json, group 92 */
    {G_IDENTIFIERS_92, "\"\\\"\"", "true"},
    /* identifiers.json, group 93 */
    {G_IDENTIFIERS_93, "D7", "true"},
    /* identifiers.json, group 94 */
    {G_IDENTIFIERS_94, "_62L", "true"},
    /* identifiers.json, group 95 */
    {G_IDENTIFIERS_95, "\"\\tK\\t\"", "true"},
    /* identifiers.json, group 96 */
    {G_IDENTIFIERS_96, "\"\\n\\\\\\f\"", "true"},
    /* identifiers.json, group 97 */
    {G_IDENTIFIERS_97, "I_", "true"},
    /* identifiers.json, group 98 */
    {G_IDENTIFIERS_98, "W_a0_", "true"},
    /* identifiers.json, group 99 */
    {G_IDENTIFIERS_99, "BQ", "true"},
    /* identifiers.json, group 100 */
    {G_IDENTIFIERS_100, "\"\\tX$\\uABBb\"", "true"},
    /* identifiers.json, group 101 */
    {G_IDENTIFIERS_101, "Z9", "true"},
    /* identifiers.json, group 102 */
    {G_IDENTIFIERS_102, "\"\\b%\\\"\xf2\x9e\x84\x8f\"", "true"},
    /* identifiers.json, group 103 */
    {G_IDENTIFIERS_103, "_F", "true"},
    /* identifiers.json, group 104 */
    {G_IDENTIFIERS_104, "\"!,\"", "true"},
    /* identifiers.json, group 105 */
    {G_IDENTIFIERS_105, "\"\\\"!\"", "true"},
    /* identifiers.json, group 106 */
    {G_IDENTIFIERS_106, "Hh", "true"},
    /* identifiers.json, group 107 */
    {G_IDENTIFIERS_107, "\"&\"", "true"},
    /* identifiers.json, group 108 */
    {G_IDENTIFIERS_108, "\"9\\r\\\\R\"", "true"},
    /* identifiers.json, group 109 */
    {G_IDENTIFIERS_109, "M_k", "true"},
    /* identifiers.json, group 110 */
    {G_IDENTIFIERS_110, "\"!\\b\\n\xf3\x91\xa9\x92\\\"\\\"\"", "true"},
    /* identifiers.json, group 111 */
    {G_IDENTIFIERS_111, "\"6\"", "true"},
    /* identifiers.json, group 112 */
    {G_IDENTIFIERS_112, "_7", "true"},
    /* identifiers.json, group 113 */
    {G_IDENTIFIERS_113, "\"0\"", "true"},
    /* identifiers.json, group 114 */
    {G_IDENTIFIERS_114, "\"\\\\8\\\\\"", "true"},
    /* identifiers.json, group 115 */
    {G_IDENTIFIERS_115, "b7eo", "true"},
    /* identifiers.json, group 116 */
    {G_IDENTIFIERS_116, "xIUo9", "true"},
    /* identifiers.json, group 117 */
    {G_IDENTIFIERS_117, "\"5\"", "true"},
    /* identifiers.json, group 118 */
    {G_IDENTIFIERS_118, "\"\?\"", "true"},
    /* identifiers.json, group 119 */
    {G_IDENTIFIERS_119, "sU", "true"},
    /* identifiers.json, group 120 */
    {G_IDENTIFIERS_120, "\"VH2&H\\\\\\/\"", "true"},
    /* identifiers.json, group 121 */
    {G_IDENTIFIERS_121, "_C", "true"},
    /* identifiers.json, group 122 */
    {G_IDENTIFIERS_122, "_", "true"},
    /* identifiers.json, group 123 */
    {G_IDENTIFIERS_123, "\"<\\t\"", "true"},
    /* identifiers.json, group 124 */
    {G_IDENTIFIERS_124, "\"\\uD834\\uDD1E\"", "true"},
    /* indices.json, group 0 */
    {G_INDICES_0, "foo.bar[0]", "\"zero\""},
    {G_INDICES_0, "foo.bar[1]", "\"one\""},
    {G_INDICES_0, "foo.bar[2]", "\"two\""},
    {G_INDICES_0, "foo.bar[3]", "null"},
    {G_INDICES_0, "foo.bar[-1]", "\"two\""},
    {G_INDICES_0, "foo.bar[-2]", "\"one\""},
    {G_INDICES_0, "foo.bar[-3]", "\"zero\""},
    {G_INDICES_0, "foo.bar[-4]", "null"},
    /* indices.json, group 1 */
    {G_INDICES_1, "foo.bar", "null"},
    {G_INDICES_1, "foo[0].bar", "\"one\""},
    {G_INDICES_1, "foo[1].bar", "\"two\""},
    {G_INDICES_1, "foo[2].bar", "\"three\""},
    {G_INDICES_1, "foo[3].notbar", "\"four\""},
    {G_INDICES_1, "foo[3].bar", "null"},
    {G_INDICES_1, "foo[0]", "{\"bar\":\"one\"}"},
    {G_INDICES_1, "foo[1]", "{\"bar\":\"two\"}"},
    {G_INDICES_1, "foo[2]", "{\"bar\":\"three\"}"},
    {G_INDICES_1, "foo[3]", "{\"notbar\":\"four\"}"},
    {G_INDICES_1, "foo[4]", "null"},
    /* indices.json, group 2 */
    {G_INDICES_2, "[0]", "\"one\""},
    {G_INDICES_2, "[1]", "\"two\""},
    {G_INDICES_2, "[2]", "\"three\""},
    {G_INDICES_2, "[-1]", "\"three\""},
    {G_INDICES_2, "[-2]", "\"two\""},
    {G_INDICES_2, "[-3]", "\"one\""},
    /* indices.json, group 3 */
    {G_INDICES_3, "reservations[].instances[].foo", "[1,2]"},
    {G_INDICES_3, "reservations[].instances[].bar", "[]"},
    {G_INDICES_3, "reservations[].notinstances[].foo", "[]"},
    {G_INDICES_3, "reservations[].notinstances[].foo", "[]"},
    /* indices.json, group 4 */
    {G_INDICES_4, "reservations[].instances[].foo[].bar", "[1,2,4,5,6,8]"},
    {G_INDICES_4, "reservations[].instances[].foo[].baz", "[]"},
    {G_INDICES_4, "reservations[].instances[].notfoo[].bar", "[20,21,22,23,24,25]"},
    {G_INDICES_4, "reservations[].instances[].notfoo[].notbar", "[[7],[7]]"},
    {G_INDICES_4, "reservations[].notinstances[].foo", "[]"},
    {G_INDICES_4, "reservations[].instances[].foo[].notbar", "[3,[7]]"},
    {G_INDICES_4, "reservations[].instances[].bar[].baz", "[[1],[2],[3],[4]]"},
    {G_INDICES_4, "reservations[].instances[].baz[].baz", "[[1,2],[],[],[3,4]]"},
    {G_INDICES_4, "reservations[].instances[].qux[].baz", "[[],[1,2,3],[4],[],[],[1,2,3],[4],[]]"},
    {G_INDICES_4, "reservations[].instances[].qux[].baz[]", "[1,2,3,4,1,2,3,4]"},
    /* indices.json, group 5 */
    {G_INDICES_5, "foo[]",
     "[[\"one\",\"two\"],[\"three\",\"four\"],[\"five\",\"six\"],[\"seven\",\"eight\"],[\"nine\"],["
     "\"ten\"]]"},
    {G_INDICES_5, "foo[][0]", "[\"one\",\"three\",\"five\",\"seven\",\"nine\",\"ten\"]"},
    {G_INDICES_5, "foo[][1]", "[\"two\",\"four\",\"six\",\"eight\"]"},
    {G_INDICES_5, "foo[][0][0]", "[]"},
    {G_INDICES_5, "foo[][2][2]", "[]"},
    {G_INDICES_5, "foo[][0][0][100]", "[]"},
    /* indices.json, group 6 */
    {G_INDICES_6, "foo",
     "[{\"bar\":[{\"qux\":2,\"baz\":1},{\"qux\":4,\"baz\":3}]},{\"bar\":[{\"qux\":6,\"baz\":5},{"
     "\"qux\":8,\"baz\":7}]}]"},
    {G_INDICES_6, "foo[]",
     "[{\"bar\":[{\"qux\":2,\"baz\":1},{\"qux\":4,\"baz\":3}]},{\"bar\":[{\"qux\":6,\"baz\":5},{"
     "\"qux\":8,\"baz\":7}]}]"},
    {G_INDICES_6, "foo[].bar",
     "[[{\"qux\":2,\"baz\":1},{\"qux\":4,\"baz\":3}],[{\"qux\":6,\"baz\":5},{\"qux\":8,\"baz\":7}]"
     "]"},
    {G_INDICES_6, "foo[].bar[]",
     "[{\"qux\":2,\"baz\":1},{\"qux\":4,\"baz\":3},{\"qux\":6,\"baz\":5},{\"qux\":8,\"baz\":7}]"},
    {G_INDICES_6, "foo[].bar[].baz", "[1,3,5,7]"},
    /* indices.json, group 7 */
    {G_INDICES_7, "string[]", "null"},
    {G_INDICES_7, "hash[]", "null"},
    {G_INDICES_7, "number[]", "null"},
    {G_INDICES_7, "nullvalue[]", "null"},
    {G_INDICES_7, "string[].foo", "null"},
    {G_INDICES_7, "hash[].foo", "null"},
    {G_INDICES_7, "number[].foo", "null"},
    {G_INDICES_7, "nullvalue[].foo", "null"},
    {G_INDICES_7, "nullvalue[].foo[].bar", "null"},
    /* pipe.json, group 0 */
    {G_PIPE_0, "foo.*.baz | [0]", "\"subkey\""},
    {G_PIPE_0, "foo.*.baz | [1]", "\"subkey\""},
    {G_PIPE_0, "foo.*.baz | [2]", "\"subkey\""},
    {G_PIPE_0, "foo.bar.* | [0]", "\"subkey\""},
    {G_PIPE_0, "foo.*.notbaz | [*]", "[[\"a\",\"b\",\"c\"],[\"a\",\"b\",\"c\"]]"},
    /* pipe.json, group 1 */
    {G_PIPE_1, "foo | bar", "{\"baz\":\"one\"}"},
    {G_PIPE_1, "foo | bar | baz", "\"one\""},
    {G_PIPE_1, "foo|bar| baz", "\"one\""},
    {G_PIPE_1, "not_there | [0]", "null"},
    {G_PIPE_1, "not_there | [0]", "null"},
    /* pipe.json, group 2 */
    {G_PIPE_2, "foo[*].bar[*] | [0][0]", "{\"baz\":\"one\"}"},
    /* slice.json, group 0 */
    {G_SLICE_0, "bar[0:10]", "null"},
    {G_SLICE_0, "foo[0:10:1]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[0:10]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[0:10:]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[0::1]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[0::]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[0:]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[:10:1]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[::1]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[:10:]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[::]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[:]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[1:9]", "[1,2,3,4,5,6,7,8]"},
    {G_SLICE_0, "foo[0:10:2]", "[0,2,4,6,8]"},
    {G_SLICE_0, "foo[5:]", "[5,6,7,8,9]"},
    {G_SLICE_0, "foo[5::2]", "[5,7,9]"},
    {G_SLICE_0, "foo[::2]", "[0,2,4,6,8]"},
    {G_SLICE_0, "foo[::-1]", "[9,8,7,6,5,4,3,2,1,0]"},
    {G_SLICE_0, "foo[1::2]", "[1,3,5,7,9]"},
    {G_SLICE_0, "foo[10:0:-1]", "[9,8,7,6,5,4,3,2,1]"},
    {G_SLICE_0, "foo[10:5:-1]", "[9,8,7,6]"},
    {G_SLICE_0, "foo[8:2:-2]", "[8,6,4]"},
    {G_SLICE_0, "foo[0:20]", "[0,1,2,3,4,5,6,7,8,9]"},
    {G_SLICE_0, "foo[10:-20:-1]", "[9,8,7,6,5,4,3,2,1,0]"},
    {G_SLICE_0, "foo[10:-20]", "[]"},
    {G_SLICE_0, "foo[-4:-1]", "[6,7,8]"},
    {G_SLICE_0, "foo[:-5:-1]", "[9,8,7,6]"},
    {G_SLICE_0, "foo[8:2:0]", ERR},
    {G_SLICE_0, "foo[8:2:0:1]", ERR},
    {G_SLICE_0, "foo[8:2&]", ERR},
    {G_SLICE_0, "foo[2:a:3]", ERR},
    /* slice.json, group 1 */
    {G_SLICE_1, "foo[:2].a", "[1,2]"},
    {G_SLICE_1, "foo[:2].b", "[]"},
    {G_SLICE_1, "foo[:2].a.b", "[]"},
    {G_SLICE_1, "bar[::-1].a.b", "[3,2,1]"},
    {G_SLICE_1, "bar[:2].a.b", "[1,2]"},
    {G_SLICE_1, "baz[:2].a", "null"},
    /* slice.json, group 2 */
    {G_SLICE_2, "[:]", "[{\"a\":1},{\"a\":2},{\"a\":3}]"},
    {G_SLICE_2, "[:2].a", "[1,2]"},
    {G_SLICE_2, "[::-1].a", "[3,2,1]"},
    {G_SLICE_2, "[:2].b", "[]"},
    /* syntax.json, group 0 */
    {G_SYNTAX_0, "foo.bar", "null"},
    {G_SYNTAX_0, "foo", "null"},
    {G_SYNTAX_0, "foo.1", ERR},
    {G_SYNTAX_0, "foo.-11", ERR},
    {G_SYNTAX_0, "foo.", ERR},
    {G_SYNTAX_0, ".foo", ERR},
    {G_SYNTAX_0, "foo..bar", ERR},
    {G_SYNTAX_0, "foo.bar.", ERR},
    {G_SYNTAX_0, "foo[.]", ERR},
    /* syntax.json, group 1 */
    {G_SYNTAX_1, ".", ERR},
    {G_SYNTAX_1, ":", ERR},
    {G_SYNTAX_1, ",", ERR},
    {G_SYNTAX_1, "]", ERR},
    {G_SYNTAX_1, "[", ERR},
    {G_SYNTAX_1, "}", ERR},
    {G_SYNTAX_1, "{", ERR},
    {G_SYNTAX_1, ")", ERR},
    {G_SYNTAX_1, "(", ERR},
    {G_SYNTAX_1, "((&", ERR},
    {G_SYNTAX_1, "a[", ERR},
    {G_SYNTAX_1, "a]", ERR},
    {G_SYNTAX_1, "a][", ERR},
    {G_SYNTAX_1, "!", ERR},
    {G_SYNTAX_1, "@=", ERR},
    {G_SYNTAX_1, "@``", ERR},
    /* syntax.json, group 2 */
    {G_SYNTAX_2, "![!(!", ERR},
    /* syntax.json, group 3 */
    {G_SYNTAX_3, "(@", ERR},
    /* syntax.json, group 4 */
    {G_SYNTAX_4, "@(foo)", ERR},
    {G_SYNTAX_4, "\"foo\"(bar)", ERR},
    /* syntax.json, group 5 */
    {G_SYNTAX_5, "*", "[\"object\"]"},
    {G_SYNTAX_5, "*.*", "[]"},
    {G_SYNTAX_5, "*.foo", "[]"},
    {G_SYNTAX_5, "*[0]", "[]"},
    {G_SYNTAX_5, ".*", ERR},
    {G_SYNTAX_5, "*foo", ERR},
    {G_SYNTAX_5, "*0", ERR},
    {G_SYNTAX_5, "foo[*]bar", ERR},
    {G_SYNTAX_5, "foo[*]*", ERR},
    /* syntax.json, group 6 */
    {G_SYNTAX_6, "[]", "null"},
    /* syntax.json, group 7 */
    {G_SYNTAX_7, "[0]", "null"},
    {G_SYNTAX_7, "[*]", "null"},
    {G_SYNTAX_7, "*.[0]", ERR},
    {G_SYNTAX_7, "[*].bar", "null"},
    {G_SYNTAX_7, "[*][0]", "null"},
    {G_SYNTAX_7, "foo[#]", ERR},
    {G_SYNTAX_7, "led[*", ERR},
    /* syntax.json, group 8 */
    {G_SYNTAX_8, "[:@]", ERR},
    {G_SYNTAX_8, "[:::]", ERR},
    {G_SYNTAX_8, "[:@:]", ERR},
    {G_SYNTAX_8, "[:1@]", ERR},
    /* syntax.json, group 9 */
    {G_SYNTAX_9, "foo[0]", "null"},
    {G_SYNTAX_9, "foo[0, 1]", ERR},
    {G_SYNTAX_9, "foo.[0]", ERR},
    {G_SYNTAX_9, "foo[0, ]", ERR},
    {G_SYNTAX_9, "foo[0,", ERR},
    {G_SYNTAX_9, "foo.[a", ERR},
    {G_SYNTAX_9, "foo[0,, 1]", ERR},
    {G_SYNTAX_9, "foo[abc]", ERR},
    {G_SYNTAX_9, "foo[abc, def]", ERR},
    {G_SYNTAX_9, "foo[abc, 1]", ERR},
    {G_SYNTAX_9, "foo[abc, ]", ERR},
    {G_SYNTAX_9, "foo.[abc, 1]", ERR},
    {G_SYNTAX_9, "foo.[abc, ]", ERR},
    {G_SYNTAX_9, "foo.[abc,, def]", ERR},
    {G_SYNTAX_9, "foo.[0, 1]", ERR},
    /* syntax.json, group 10 */
    {G_SYNTAX_10, "a{}", ERR},
    {G_SYNTAX_10, "a{", ERR},
    {G_SYNTAX_10, "a{foo}", ERR},
    {G_SYNTAX_10, "a{foo:", ERR},
    {G_SYNTAX_10, "a{foo: 0", ERR},
    {G_SYNTAX_10, "a{foo:}", ERR},
    {G_SYNTAX_10, "a{foo: 0, ", ERR},
    {G_SYNTAX_10, "a{foo: ,}", ERR},
    {G_SYNTAX_10, "a{foo: bar}", ERR},
    {G_SYNTAX_10, "a{foo: 0}", ERR},
    {G_SYNTAX_10, "a.{}", ERR},
    {G_SYNTAX_10, "a.{foo}", ERR},
    {G_SYNTAX_10, "a.{foo:}", ERR},
    {G_SYNTAX_10, "a.{foo: ,}", ERR},
    {G_SYNTAX_10, "a.{foo: bar, }", ERR},
    {G_SYNTAX_10, "a.{foo: bar, baz}", ERR},
    {G_SYNTAX_10, "a.{foo: bar, baz:}", ERR},
    {G_SYNTAX_10, "a.{foo: bar, baz: bam, }", ERR},
    {G_SYNTAX_10, "{a: @", ERR},
    /* syntax.json, group 11 */
    {G_SYNTAX_11, "foo ||", ERR},
    {G_SYNTAX_11, "foo.|| bar", ERR},
    {G_SYNTAX_11, " || foo", ERR},
    {G_SYNTAX_11, "foo || || foo", ERR},
    {G_SYNTAX_11, "foo.[a ||]", ERR},
    {G_SYNTAX_11, "\"foo", ERR},
    /* syntax.json, group 12 */
    {G_SYNTAX_12, "foo[ \?bar==`\"baz\"`]", ERR},
    {G_SYNTAX_12, "foo[\?bar==]", ERR},
    {G_SYNTAX_12, "foo[\?==]", ERR},
    {G_SYNTAX_12, "foo[\?==bar]", ERR},
    {G_SYNTAX_12, "foo[\?bar==baz\?]", ERR},
    {G_SYNTAX_12, "foo[\?bar==`[\"foo`bar\"]`]", ERR},
    {G_SYNTAX_12, "foo[\?bar<>baz]", ERR},
    {G_SYNTAX_12, "foo[\?bar^baz]", ERR},
    {G_SYNTAX_12, "foo[bar==baz]", ERR},
    /* syntax.json, group 13 */
    {G_SYNTAX_13, "bar.`\"anything\"`", ERR},
    {G_SYNTAX_13, "bar.baz.noexists.`\"literal\"`", ERR},
    {G_SYNTAX_13, "foo[*].`\"literal\"`", ERR},
    {G_SYNTAX_13, "foo[*].name.`\"literal\"`", ERR},
    {G_SYNTAX_13, "foo[].name.`\"literal\"`", ERR},
    {G_SYNTAX_13, "foo[].name.`\"literal\"`.`\"subliteral\"`", ERR},
    {G_SYNTAX_13, "foo[*].name.noexist.`\"literal\"`", ERR},
    {G_SYNTAX_13, "foo[].name.noexist.`\"literal\"`", ERR},
    {G_SYNTAX_13, "twolen[*].`\"foo\"`", ERR},
    {G_SYNTAX_13, "twolen[*].threelen[*].`\"bar\"`", ERR},
    {G_SYNTAX_13, "twolen[].threelen[].`\"bar\"`", ERR},
    {G_SYNTAX_13, "foo[\? @ | @", ERR},
    /* syntax.json, group 14 */
    {G_SYNTAX_14, "foo", "null"},
    {G_SYNTAX_14, "\"foo\"", "null"},
    {G_SYNTAX_14, "\"\\\\\"", "null"},
    {G_SYNTAX_14, "\"\\u\"", ERR},
    /* wildcard.json, group 0 */
    {G_WILDCARD_0, "foo.*.baz", "[\"val\",\"val\",\"val\"]"},
    {G_WILDCARD_0, "foo.bar.*", "[\"val\"]"},
    {G_WILDCARD_0, "foo.*.notbaz", "[[\"a\",\"b\",\"c\"],[\"a\",\"b\",\"c\"]]"},
    {G_WILDCARD_0, "foo.*.notbaz[0]", "[\"a\",\"a\"]"},
    {G_WILDCARD_0, "foo.*.notbaz[-1]", "[\"c\",\"c\"]"},
    /* wildcard.json, group 1 */
    {G_WILDCARD_1, "foo.*",
     "[{\"second-1\":\"val\"},{\"second-1\":\"val\"},{\"second-1\":\"val\"}]"},
    {G_WILDCARD_1, "foo.*.*", "[[\"val\"],[\"val\"],[\"val\"]]"},
    {G_WILDCARD_1, "foo.*.*.*", "[[],[],[]]"},
    {G_WILDCARD_1, "foo.*.*.*.*", "[[],[],[]]"},
    /* wildcard.json, group 2 */
    {G_WILDCARD_2, "*.bar", "[\"one\",\"one\"]"},
    /* wildcard.json, group 3 */
    {G_WILDCARD_3, "*", "[{\"sub1\":{\"foo\":\"one\"}},{\"sub1\":{\"foo\":\"one\"}}]"},
    {G_WILDCARD_3, "*.sub1", "[{\"foo\":\"one\"},{\"foo\":\"one\"}]"},
    {G_WILDCARD_3, "*.*", "[[{\"foo\":\"one\"}],[{\"foo\":\"one\"}]]"},
    {G_WILDCARD_3, "*.*.foo[]", "[\"one\",\"one\"]"},
    {G_WILDCARD_3, "*.sub1.foo", "[\"one\",\"one\"]"},
    /* wildcard.json, group 4 */
    {G_WILDCARD_4, "foo[*].bar", "[\"one\",\"two\",\"three\"]"},
    {G_WILDCARD_4, "foo[*].notbar", "[\"four\"]"},
    /* wildcard.json, group 5 */
    {G_WILDCARD_5, "[*]",
     "[{\"bar\":\"one\"},{\"bar\":\"two\"},{\"bar\":\"three\"},{\"notbar\":\"four\"}]"},
    {G_WILDCARD_5, "[*].bar", "[\"one\",\"two\",\"three\"]"},
    {G_WILDCARD_5, "[*].notbar", "[\"four\"]"},
    /* wildcard.json, group 6 */
    {G_WILDCARD_6, "foo.bar[*].baz",
     "[[\"one\",\"two\",\"three\"],[\"four\",\"five\",\"six\"],[\"seven\",\"eight\",\"nine\"]]"},
    {G_WILDCARD_6, "foo.bar[*].baz[0]", "[\"one\",\"four\",\"seven\"]"},
    {G_WILDCARD_6, "foo.bar[*].baz[1]", "[\"two\",\"five\",\"eight\"]"},
    {G_WILDCARD_6, "foo.bar[*].baz[2]", "[\"three\",\"six\",\"nine\"]"},
    {G_WILDCARD_6, "foo.bar[*].baz[3]", "[]"},
    /* wildcard.json, group 7 */
    {G_WILDCARD_7, "foo.bar[*]", "[[\"one\",\"two\"],[\"three\",\"four\"]]"},
    {G_WILDCARD_7, "foo.bar[0]", "[\"one\",\"two\"]"},
    {G_WILDCARD_7, "foo.bar[0][0]", "\"one\""},
    {G_WILDCARD_7, "foo.bar[0][0][0]", "null"},
    {G_WILDCARD_7, "foo.bar[0][0][0][0]", "null"},
    {G_WILDCARD_7, "foo[0][0]", "null"},
    /* wildcard.json, group 8 */
    {G_WILDCARD_8, "foo[*].bar[*].kind",
     "[[\"basic\",\"intermediate\"],[\"advanced\",\"expert\"]]"},
    {G_WILDCARD_8, "foo[*].bar[0].kind", "[\"basic\",\"advanced\"]"},
    /* wildcard.json, group 9 */
    {G_WILDCARD_9, "foo[*].bar.kind", "[\"basic\",\"intermediate\",\"advanced\",\"expert\"]"},
    /* wildcard.json, group 10 */
    {G_WILDCARD_10, "foo[*].bar[0]", "[\"one\",\"three\",\"five\"]"},
    {G_WILDCARD_10, "foo[*].bar[1]", "[\"two\",\"four\"]"},
    {G_WILDCARD_10, "foo[*].bar[2]", "[]"},
    /* wildcard.json, group 11 */
    {G_WILDCARD_11, "foo[*].bar[0]", "[]"},
    /* wildcard.json, group 12 */
    {G_WILDCARD_12, "foo[*][0]", "[\"one\",\"three\",\"five\"]"},
    {G_WILDCARD_12, "foo[*][1]", "[\"two\",\"four\"]"},
    /* wildcard.json, group 13 */
    {G_WILDCARD_13, "foo[*][0]", "[[\"one\",\"two\"],[\"five\",\"six\"],[\"nine\"]]"},
    {G_WILDCARD_13, "foo[*][1]", "[[\"three\",\"four\"],[\"seven\",\"eight\"],[\"ten\"]]"},
    {G_WILDCARD_13, "foo[*][0][0]", "[\"one\",\"five\",\"nine\"]"},
    {G_WILDCARD_13, "foo[*][1][0]", "[\"three\",\"seven\",\"ten\"]"},
    {G_WILDCARD_13, "foo[*][0][1]", "[\"two\",\"six\"]"},
    {G_WILDCARD_13, "foo[*][1][1]", "[\"four\",\"eight\"]"},
    {G_WILDCARD_13, "foo[*][2]", "[]"},
    {G_WILDCARD_13, "foo[*][2][2]", "[]"},
    {G_WILDCARD_13, "bar[*]", "null"},
    {G_WILDCARD_13, "bar[*].baz[*]", "null"},
    /* wildcard.json, group 14 */
    {G_WILDCARD_14, "string[*]", "null"},
    {G_WILDCARD_14, "hash[*]", "null"},
    {G_WILDCARD_14, "number[*]", "null"},
    {G_WILDCARD_14, "nullvalue[*]", "null"},
    {G_WILDCARD_14, "string[*].foo", "null"},
    {G_WILDCARD_14, "hash[*].foo", "null"},
    {G_WILDCARD_14, "number[*].foo", "null"},
    {G_WILDCARD_14, "nullvalue[*].foo", "null"},
    {G_WILDCARD_14, "nullvalue[*].foo[*].bar", "null"},
    /* wildcard.json, group 15 */
    {G_WILDCARD_15, "string.*", "null"},
    {G_WILDCARD_15, "hash.*", "[\"val\",\"val\"]"},
    {G_WILDCARD_15, "number.*", "null"},
    {G_WILDCARD_15, "array.*", "null"},
    {G_WILDCARD_15, "nullvalue.*", "null"},
    /* wildcard.json, group 16 */
    {G_WILDCARD_16, "*[0]", "[0,0]"},
    /* unicode.json, group 0 */
    {G_UNICODE_0, "foo[].\"\xe2\x9c\x93\"", "[\"\\u2713\",\"\\u2717\"]"},
    /* unicode.json, group 1 */
    {G_UNICODE_1, "\"\xe2\x98\xaf\"", "true"},
    /* unicode.json, group 2 */
    {G_UNICODE_2,
     "\"\xe2\x99\xaa\xe2\x99\xab\xe2\x80\xa2*\xc2\xa8*\xe2\x80\xa2."
     "\xc2\xb8\xc2\xb8\xe2\x9d\xa4\xc2\xb8\xc2\xb8.\xe2\x80\xa2*\xc2\xa8*"
     "\xe2\x80\xa2\xe2\x99\xab\xe2\x99\xaa\"",
     "true"},
    /* unicode.json, group 3 */
    {G_UNICODE_3, "\"\xe2\x98\x83\"", "true"},
};

/* ==================================================================================== */
/* The shapes SageMaker's attributes use, and extra cases for the edges the suite skips */
/* ==================================================================================== */

static const char G_CAPTURE_IN[] = "{\"instances\":[{\"features\":[25,\"Private\",1],\"label\":0},"
                                   "{\"features\":[40,\"State-gov\",0],\"label\":1}]}";
static const char G_CAPTURE_OUT[] = "{\"predictions\":[{\"predicted_label\":1,\"score\":0.75},"
                                    "{\"predicted_label\":0,\"score\":0.25}]}";
static const char G_RESERVATIONS[] =
    "{\"reservations\":[{\"instances\":[{\"state\":\"running\"},{\"state\":\"stopped\"}]},"
    "{\"instances\":[{\"state\":\"terminated\"},{\"state\":\"running\"}]}]}";
static const char G_PEOPLE[] = "{\"people\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}";

static const struct jp_case extra[] = {
    /* FeaturesAttribute, InferenceAttribute, ProbabilityAttribute and the analysis `label` */
    {"{\"features\":[25,\"Private\",1],\"label\":1}", "features", "[25,\"Private\",1]"},
    {"{\"features\":[25,\"Private\",1],\"label\":1}", "label", "1"},
    {G_CAPTURE_IN, "instances[*].features", "[[25,\"Private\",1],[40,\"State-gov\",0]]"},
    {G_CAPTURE_IN, "instances[*].label", "[0,1]"},
    {G_CAPTURE_IN, "instances[].features[0]", "[25,40]"},
    {G_CAPTURE_OUT, "predictions[*].predicted_label", "[1,0]"},
    {G_CAPTURE_OUT, "predictions[*].score", "[0.75,0.25]"},
    {G_CAPTURE_OUT, "predictions[0].score", "0.75"},
    {"{\"predicted_label\":1,\"score\":0.9}", "predicted_label", "1"},
    {"{\"predicted_label\":1,\"score\":0.9}", "score", "0.9"},
    {"[1,0.87]", "[0]", "1"},
    {"[1,0.87]", "[1]", "0.87"},
    {"[1,0.87]", "[-1]", "0.87"},
    {"{\"SageMakerOutput\":{\"predictions\":[0.3,0.7]}}", "SageMakerOutput.predictions[0]", "0.3"},
    {"{\"SageMakerOutput\":{\"predictions\":[0.3,0.7]}}", "SageMakerOutput.predictions[1]", "0.7"},
    /* a record without the attribute vanishes from a projection: callers must count lengths */
    {"{\"instances\":[{\"features\":[1]},{\"other\":2},{\"features\":[3]}]}",
     "instances[*].features", "[[1],[3]]"},
    /* "0" is an InferenceAttribute for CSV (a column index); as JMESPath it is not valid */
    {"{\"0\":5}", "0", ERR},
    {"{\"0\":5}", "\"0\"", "5"},
    /* the binding powers the brief names */
    {"{\"a\":[{\"b\":[1,2]},{\"b\":[3]},{\"b\":[]}]}", "a[*].b[0]", "[1,3]"},
    {"{\"a\":[[{\"b\":1}],[{\"b\":2},{\"c\":3}]]}", "a[].b", "[1,2]"},
    {"{\"a\":[[1,2],[3],[]]}", "a[*][0]", "[1,3]"},
    {"[{\"a\":1},{\"b\":2},{\"a\":3}]", "[*].a", "[1,3]"},
    {"{\"a\":{\"x\":{\"b\":1},\"y\":{\"c\":2},\"z\":{\"b\":3}}}", "a.*.b", "[1,3]"},
    {"{\"foo\":[{\"bar\":[{\"baz\":1},{\"baz\":2}]},{\"bar\":[{\"baz\":3}]}]}", "foo[*].bar[*].baz",
     "[[1,2],[3]]"},
    {G_PEOPLE, "people[:2].name", "[\"a\",\"b\"]"},
    {G_PEOPLE, "people[::-2].name", "[\"c\",\"a\"]"},
    {G_PEOPLE, "people[-1:].name", "[\"c\"]"},
    {G_RESERVATIONS, "reservations[*].instances[*].state",
     "[[\"running\",\"stopped\"],[\"terminated\",\"running\"]]"},
    {G_RESERVATIONS, "reservations[].instances[].state",
     "[\"running\",\"stopped\",\"terminated\",\"running\"]"},
    {G_RESERVATIONS, "reservations[*].instances[*].state | []",
     "[\"running\",\"stopped\",\"terminated\",\"running\"]"},
    {G_RESERVATIONS, "reservations[*].instances[*].state | [0]", "[\"running\",\"stopped\"]"},
    {G_RESERVATIONS, "reservations[*].instances[*].state[0]", "[[],[]]"},
    {G_RESERVATIONS, "reservations[*].instances | [1][0].state", "\"terminated\""},
    {G_RESERVATIONS, "reservations[0].instances[1].state", "\"stopped\""},
    /* a flatten ends the projection before it and starts its own */
    {"{\"foo\":[[[1],[2]],[[3]]]}", "foo[*][]", "[[1],[2],[3]]"},
    {"{\"foo\":[[[1],[2]],[[3]]]}", "foo[*][][]", "[1,2,3]"},
    {"{\"foo\":[[[1],[2]],[[3]]]}", "foo[:][][0]", "[1,2,3]"},
    {"{\"foo\":[{\"bar\":[1,2]},{\"bar\":[3]}]}", "foo[*].bar[]", "[1,2,3]"},
    {"{\"a\":{\"x\":[1,2],\"y\":[3]}}", "a.*[]", "[1,2,3]"},
    {"{\"a\":{\"x\":[1,2],\"y\":[3]}}", "a.*[0]", "[1,3]"},
    {"{\"a\":{\"x\":{\"b\":[1,2]},\"y\":{\"b\":[3]}}}", "a.*.b[] | [-1]", "3"},
    {"{\"a\":{\"x\":{\"b\":[1,2]},\"y\":{\"b\":[3]}}}", "a.*.b[-1]", "[2,3]"},
    /* a slice after an index is still a projection (as in jmespath.js) */
    {"{\"a\":[[{\"b\":1},{\"b\":2},{\"b\":3}]]}", "a[0][0:2].b", "[1,2]"},
    {"{\"a\":[[{\"b\":1},{\"b\":2},{\"b\":3}]]}", "a[0][1][::-1]", "null"},
    /* projections drop null results; flatten keeps them until its projection drops them */
    {"{\"foo\":[1,null,2]}", "foo[*]", "[1,2]"},
    {"{\"foo\":[1,null,2]}", "foo[:]", "[1,2]"},
    {"{\"foo\":[1,null,2]}", "foo[1]", "null"},
    {"[1,null,[2,null],3]", "[]", "[1,2,3]"},
    {"{\"a\":null,\"b\":1}", "*", "[1]"},
    {"{}", "*", "[]"},
    {"[]", "[*]", "[]"},
    {"[]", "[]", "[]"},
    {"[]", "[0]", "null"},
    {"[]", "[-1]", "null"},
    {"[]", "[::-1]", "[]"},
    /* the current node */
    {"{\"a\":[1,2]}", "@", "{\"a\":[1,2]}"},
    {"{\"a\":[1,2]}", "a[*].@", ERR},
    {"{\"a\":[1,2]}", "a | @ | [1]", "2"},
    {"[[1],[2]]", "[*][0] | @", "[1,2]"},
    {"\"text\"", "@", "\"text\""},
    {"\"text\"", "[0]", "null"},
    {"\"text\"", "[:1]", "null"},
    {"3", "*", "null"},
    /* numbers that do not fit saturate: indexes miss, slice bounds clamp */
    {"[1,2,3]", "[99999999999999999999999999]", "null"},
    {"[1,2,3]", "[-99999999999999999999999999]", "null"},
    {"[1,2,3]", "[-99999999999999999999999999:99999999999999999999999999]", "[1,2,3]"},
    {"[1,2,3]", "[::-99999999999999999999999999]", "[3]"},
    {"[1,2,3]", "[::99999999999999999999999999]", "[1]"},
    {"[1,2,3]", "[-0]", "1"},
    {"[1,2,3]", "[007]", "null"},
    {"[1,2,3]", "[2:-5:-1]", "[3,2,1]"},
    /* whitespace between tokens */
    {"{\"foo\":[{\"bar\":1}]}", " foo [ * ] . bar ", "[1]"},
    {"{\"foo\":[{\"bar\":1}]}", "foo[ 0 ].bar\t|\r\n@", "1"},
    {"{\"foo\":[[1]]}", "foo[ ]", ERR},
    {"{\"foo\":[[1]]}", "foo[1 2]", ERR},
    {"{\"foo\":[[1]]}", "foo[:1 2]", ERR},
    {"{\"foo\":[[1]]}", "foo[-]", ERR},
    {"{\"foo\":[[1]]}", "foo[- 1]", ERR},
    {"{\"foo\":[[1]]}", "foo[0:1:0]", ERR},
    {"{\"foo\":[[1]]}", "foo[::-0]", ERR},
    /* quoted identifiers: JSON escapes, UTF-8, surrogate pairs */
    {"{\"\":1}", "\"\"", "1"},
    {"{\"a\\u00e9\":1}", "\"a\\u00e9\"", "1"},
    {"{\"a\\u00e9\":1}", "\"a\xc3\xa9\"", "1"},
    {"{\"\\ud834\\udd1e\":1}", "\"\\ud834\\uDD1E\"", "1"},
    {"{\"\\ud834\\udd1e\":1}", "\"\xf0\x9d\x84\x9e\"", "1"},
    {"{\"a/b\":1}", "\"a\\/b\"", "1"},
    {"{}", "\"\\ud834\"", ERR},
    {"{}", "\"\\udd1e\"", ERR},
    {"{}", "\"\\ud834\\u0041\"", ERR},
    {"{}", "\"\\u12\"", ERR},
    {"{}", "\"\\x41\"", ERR},
    {"{}", "\"a\nb\"", ERR},
    {"{}", "\"\xc3\"", ERR},
    {"{}", "\"\xc0\xaf\"", ERR},
    {"{}", "\"\xed\xa0\x80\"", ERR},
    {"{}", "\"\xf4\x90\x80\x80\"", ERR},
    {"{}", "\"abc", ERR},
    {"{}", "\"abc\\", ERR},
    {"{}", "\"abc\\\"", ERR},
    {"{}", "\xc3\xa9", ERR},
    /* unsupported parts of the grammar are clean parse errors */
    {"{}", "foo[?bar == `1`]", ERR},
    {"{}", "foo[?bar]", ERR},
    {"{}", "length(foo)", ERR},
    {"{}", "`1`", ERR},
    {"{}", "'raw'", ERR},
    {"{}", "[a, b]", ERR},
    {"{}", "foo.[a, b]", ERR},
    {"{}", "foo.[a]", ERR},
    {"{}", "{a: b}", ERR},
    {"{}", "foo.{a: b}", ERR},
    {"{}", "a || b", ERR},
    {"{}", "a && b", ERR},
    {"{}", "!a", ERR},
    {"{}", "a == b", ERR},
    {"{}", "a != b", ERR},
    {"{}", "a < b", ERR},
    {"{}", "a >= b", ERR},
    {"{}", "&a", ERR},
    {"{}", "(a)", ERR},
    {"{}", "sort_by(@, &a)", ERR},
    {"{}", "a.b.c.d(", ERR},
    {"{}", "a#b", ERR},
    {"{}", "a$", ERR},
    {"{}", "a\x01", ERR},
    {"{}", "a\x7f", ERR},
    {"{}", "", ERR},
    {"{}", "   ", ERR},
    {"{}", "|", ERR},
    {"{}", "a|", ERR},
    {"{}", "a||", ERR},
    {"{}", "a.*.", ERR},
    {"{}", "a.**", ERR},
    {"{}", "a[*", ERR},
    {"{}", "a[0", ERR},
    {"{}", "a[0:", ERR},
    {"{}", "a[", ERR},
    {"{}", "a[]]", ERR},
    {"{}", "a.@", ERR},
    {"{}", "@@", ERR},
    {"{}", "a @", ERR},
    {"{}", "1", ERR},
    {"{}", "-1", ERR},
};

/* ==================================================================================== */
/* Helpers                                                                              */
/* ==================================================================================== */

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!j) print_error("bad test JSON %s: %s\n", text, jerr.text);
    assert_non_null(j);
    return j;
}

/* Values in v counted with multiplicity (containers and leaves). */
static size_t count_values(const json_t *v)
{
    size_t n = 1, i;
    const char *key;
    json_t *el;
    if (json_is_array(v)) {
        json_array_foreach((json_t *)v, i, el) n += count_values(el);
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, el) n += count_values(el);
    }
    return n;
}

/* Runs one case; returns 0 when it passes, 1 (after printing why) when it does not. */
static int run_case(const char *table, size_t idx, const struct jp_case *c)
{
    bm_error err;
    bm_error_clear(&err);
    bm_jmespath *e = bm_jmespath_compile(c->expr, &err);
    int failed = 0;
    if (!c->expected) {
        if (e) {
            print_error("%s[%zu] %s: compiled, expected a parse error\n", table, idx, c->expr);
            failed = 1;
        } else if (err.code != BM_EPARSE || err.col < 1 || !err.msg[0]) {
            print_error("%s[%zu] %s: code %d col %ld, expected BM_EPARSE with a column\n", table,
                        idx, c->expr, err.code, err.col);
            failed = 1;
        }
        bm_jmespath_free(e);
        return failed;
    }
    if (!e) {
        print_error("%s[%zu] %s: %s\n", table, idx, c->expr, err.msg);
        return 1;
    }
    json_t *doc = load(c->given), *want = load(c->expected);
    json_t *got = bm_jmespath_eval(e, doc);
    if (!got) {
        print_error("%s[%zu] %s: eval returned NULL\n", table, idx, c->expr);
        failed = 1;
    } else if (!json_equal(got, want)) {
        char *s = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
        print_error("%s[%zu] %s: got %s, expected %s\n", table, idx, c->expr, s ? s : "?",
                    c->expected);
        free(s);
        failed = 1;
    } else if (count_values(got) > count_values(doc)) {
        print_error("%s[%zu] %s: the result is larger than the input\n", table, idx, c->expr);
        failed = 1;
    }
    json_decref(got);
    if ((json_is_array(doc) || json_is_object(doc)) && doc->refcount != 1) {
        print_error("%s[%zu] %s: the document's reference count changed\n", table, idx, c->expr);
        failed = 1;
    }
    /* compiling is deterministic and a compiled expression can be evaluated again */
    if (!failed && strcmp(bm_jmespath_source(e), c->expr) != 0) failed = 1;
    if (!failed) {
        got = bm_jmespath_eval(e, doc);
        failed = !got || !json_equal(got, want);
        json_decref(got);
    }
    json_decref(doc);
    json_decref(want);
    bm_jmespath_free(e);
    return failed;
}

static void run_table(const char *name, const struct jp_case *t, size_t n)
{
    int failures = 0;
    for (size_t i = 0; i < n; i++)
        failures += run_case(name, i, &t[i]);
    if (failures) print_error("%d of %zu %s cases failed\n", failures, n, name);
    assert_int_equal(failures, 0);
}

/* ==================================================================================== */
/* Tests                                                                                */
/* ==================================================================================== */

static void test_compliance(void **state)
{
    (void)state;
    size_t n = sizeof(compliance) / sizeof(compliance[0]);
    assert_true(n >= 120);
    run_table("compliance", compliance, n);
}

static void test_extra(void **state)
{
    (void)state;
    run_table("extra", extra, sizeof(extra) / sizeof(extra[0]));
}

static void expect_error_at(const char *expr, long col, const char *needle)
{
    bm_error err;
    bm_error_clear(&err);
    assert_null(bm_jmespath_compile(expr, &err));
    assert_int_equal(err.code, BM_EPARSE);
    if (col == 0) col = err.col > 0 ? err.col : 1; /* any column will do */
    if (err.col != col || !strstr(err.msg, needle))
        print_error("%s: col %ld msg '%s', expected col %ld and '%s'\n", expr, err.col, err.msg,
                    col, needle);
    assert_int_equal(err.col, col);
    assert_non_null(strstr(err.msg, needle));
}

static void test_error_locations(void **state)
{
    (void)state;
    expect_error_at("foo[?a==b]", 4, "filter");
    expect_error_at("foo[0", 6, "end of the expression");
    expect_error_at("", 1, "empty expression");
    expect_error_at("foo bar", 5, "'bar'");
    expect_error_at("a.b.`1`", 5, "literal");
    expect_error_at("a || b", 3, "||");
    expect_error_at("length(a)", 7, "function");
    expect_error_at("a.[b]", 3, "multi-select");
    expect_error_at("[b]", 2, "multi-select");
    expect_error_at("{a: b}", 1, "multi-select hash");
    expect_error_at("a[1:2:0]", 7, "step cannot be 0");
    expect_error_at("a[1:2:3:4]", 8, "at most two ':'");
    expect_error_at("\"abc", 1, "unterminated");
    expect_error_at("\"a\\qb\"", 3, "invalid escape");
    expect_error_at("a\x01", 2, "0x01");
    expect_error_at("a.-1", 3, "identifier or '*'");

    /* err may be NULL */
    assert_null(bm_jmespath_compile("a[", NULL));
    /* NULL is a caller bug, reported as such */
    bm_error err;
    bm_error_clear(&err);
    assert_null(bm_jmespath_compile(NULL, &err));
    assert_int_equal(err.code, BM_EINVAL);
    bm_jmespath_free(NULL);
}

static void test_length_bound(void **state)
{
    (void)state;
    char expr[1100];
    memset(expr, 'a', sizeof(expr));
    expr[1024] = 0;
    bm_jmespath *e = bm_jmespath_compile(expr, NULL);
    assert_non_null(e);
    assert_int_equal(strlen(bm_jmespath_source(e)), 1024);
    bm_jmespath_free(e);

    expr[1024] = 'a';
    expr[1025] = 0;
    expect_error_at(expr, 1025, "longer than 1024");
    expr[sizeof(expr) - 1] = 0;
    expect_error_at(expr, 1025, "longer than 1024");
}

/* Builds prefix, then body repeated n times, into buf. */
static const char *repeat(char *buf, size_t cap, const char *prefix, const char *body, int n)
{
    size_t len = strlen(prefix), blen = strlen(body);
    assert_true(len + (size_t)n * blen < cap);
    memcpy(buf, prefix, len);
    for (int i = 0; i < n; i++, len += blen)
        memcpy(buf + len, body, blen);
    buf[len] = 0;
    return buf;
}

static void test_depth_bound(void **state)
{
    (void)state;
    char buf[1100];
    bm_jmespath *e;

    /* flat chains of any length are fine: dots, indexes and pipes do not nest */
    e = bm_jmespath_compile(repeat(buf, sizeof(buf), "a", ".a", 500), NULL);
    assert_non_null(e);
    bm_jmespath_free(e);
    e = bm_jmespath_compile(repeat(buf, sizeof(buf), "a", "[0]", 300), NULL);
    assert_non_null(e);
    bm_jmespath_free(e);
    e = bm_jmespath_compile(repeat(buf, sizeof(buf), "a", " | b", 250), NULL);
    assert_non_null(e);
    bm_jmespath_free(e);
    e = bm_jmespath_compile(repeat(buf, sizeof(buf), "@", "|@", 500), NULL);
    assert_non_null(e);
    bm_jmespath_free(e);

    /* 30 nested projections compile and evaluate */
    e = bm_jmespath_compile(repeat(buf, sizeof(buf), "a", "[*]", 30), NULL);
    assert_non_null(e);
    json_t *doc = load("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[7]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}");
    json_t *got = bm_jmespath_eval(e, doc), *want = json_object_get(doc, "a");
    assert_non_null(got);
    assert_true(json_equal(got, want));
    json_decref(got);
    json_decref(doc);
    bm_jmespath_free(e);
    e = bm_jmespath_compile(repeat(buf, sizeof(buf), "a", "[]", 20), NULL);
    assert_non_null(e);
    bm_jmespath_free(e);

    /* deeper nesting is refused */
    expect_error_at(repeat(buf, sizeof(buf), "a", "[*]", 200), 0, "nested too deeply");
    expect_error_at(repeat(buf, sizeof(buf), "a", "[]", 100), 0, "nested too deeply");
    expect_error_at(repeat(buf, sizeof(buf), "a", ".*", 100), 0, "nested too deeply");
    expect_error_at(repeat(buf, sizeof(buf), "", "*.", 100), 0, "nested too deeply");
}

static void test_nul_in_key(void **state)
{
    (void)state;
    /* jansson's parser refuses NUL in keys, but a document built in code may have one */
    json_t *doc = json_object();
    assert_non_null(doc);
    assert_int_equal(json_object_setn_new(doc, "a\0b", 3, json_integer(1)), 0);
    assert_int_equal(json_object_set_new(doc, "a", json_integer(2)), 0);
    bm_jmespath *e = bm_jmespath_compile("\"a\\u0000b\"", NULL);
    assert_non_null(e);
    json_t *got = bm_jmespath_eval(e, doc);
    assert_true(json_is_integer(got) && json_integer_value(got) == 1);
    json_decref(got);
    bm_jmespath_free(e);
    json_decref(doc);
}

static void test_eval_edge_arguments(void **state)
{
    (void)state;
    bm_jmespath *e = bm_jmespath_compile("a", NULL);
    assert_non_null(e);
    json_t *got = bm_jmespath_eval(e, NULL);
    assert_true(json_is_null(got));
    got = bm_jmespath_eval(NULL, json_null());
    assert_true(json_is_null(got));
    bm_jmespath_free(e);
}

/* Compiles and evaluates while the nth allocation from now and every later one fail. */
struct alloc_case {
    const char *given, *expr, *expected;
};

static const struct alloc_case alloc_cases[] = {
    {G_RESERVATIONS, "reservations[*].instances[*].state",
     "[[\"running\",\"stopped\"],[\"terminated\",\"running\"]]"},
    {G_RESERVATIONS, "reservations[].instances[].state | [::-1]",
     "[\"running\",\"terminated\",\"stopped\",\"running\"]"},
    {G_CAPTURE_IN, "instances[*].features[1:]", "[[\"Private\",1],[\"State-gov\",0]]"},
    {"{\"a\":{\"x\":[1,2],\"y\":[3]}}", "a.*[]", "[1,2,3]"},
    {"{\"a\\\"b\":[[1,2],[3]]}", "\"a\\\"b\"[*][0]", "[1,3]"},
};

static void test_alloc_failure(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(alloc_cases) / sizeof(alloc_cases[0]); c++) {
        const struct alloc_case *ac = &alloc_cases[c];
        json_t *doc = load(ac->given), *want = load(ac->expected);
        int compile_failures = 0, eval_failures = 0;

        /* failures during compile */
        for (long n = 1; n <= 30; n++) {
            bm_error err;
            bm_error_clear(&err);
            bm_alloc_fail_after(n);
            bm_jmespath *e = bm_jmespath_compile(ac->expr, &err);
            bm_alloc_fail_after(0);
            if (!e) {
                assert_int_equal(err.code, BM_ENOMEM);
                compile_failures++;
                continue;
            }
            json_t *got = bm_jmespath_eval(e, doc);
            assert_non_null(got);
            assert_true(json_equal(got, want));
            json_decref(got);
            bm_jmespath_free(e);
        }

        /* failures during evaluation (jansson allocates through bm_malloc in this test) */
        bm_jmespath *e = bm_jmespath_compile(ac->expr, NULL);
        assert_non_null(e);
        for (long n = 1; n <= 30; n++) {
            bm_alloc_fail_after(n);
            json_t *got = bm_jmespath_eval(e, doc);
            bm_alloc_fail_after(0);
            if (!got) {
                eval_failures++;
                continue;
            }
            assert_true(json_equal(got, want));
            json_decref(got);
        }
        bm_jmespath_free(e);
        assert_int_equal(doc->refcount, 1);
        assert_true(compile_failures > 0);
        assert_true(eval_failures > 0);
        json_decref(doc);
        json_decref(want);
    }
}

int main(void)
{
    /* route jansson's allocations through the failing allocator; bm_malloc/bm_free wrap
     * malloc/free, so blocks allocated before this call are freed correctly after it */
    json_set_alloc_funcs(bm_malloc, bm_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compliance),          cmocka_unit_test(test_extra),
        cmocka_unit_test(test_error_locations),     cmocka_unit_test(test_length_bound),
        cmocka_unit_test(test_depth_bound),         cmocka_unit_test(test_nul_in_key),
        cmocka_unit_test(test_eval_edge_arguments), cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
