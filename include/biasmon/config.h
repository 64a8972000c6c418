/* SageMaker Clarify's analysis_config.json: parsing and validation. */
#ifndef BIASMON_CONFIG_H
#define BIASMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "biasmon/common.h"

/* A value from a user list (label_values_or_threshold, value_or_threshold), typed as JSON is. */
typedef enum bm_value_kind { BM_VAL_INT, BM_VAL_FLOAT, BM_VAL_STR, BM_VAL_BOOL } bm_value_kind;

typedef struct bm_value {
    bm_value_kind kind;
    int64_t i; /* BM_VAL_INT, and 0/1 for BM_VAL_BOOL */
    double f;  /* numeric value for INT, FLOAT, BOOL */
    char *s;   /* BM_VAL_STR (owned, NUL-terminated) */
    size_t slen;
} bm_value;

/* A column named by header name or 0-based index (CSV), or a JMESPath (JSON Lines). */
typedef struct bm_colref {
    int set;    /* 0 when the key was absent */
    char *name; /* owned; NULL when given by index */
    long index; /* >= 0 when given by index */
} bm_colref;

typedef struct bm_facet_cfg {
    bm_colref col;
    bm_value *values; /* NULL/0 when absent or empty: one-vs-all */
    size_t nvalues;
} bm_facet_cfg;

/* Metric bit masks, in the sorted order of their codes. */
enum {
    BM_PRE_CDDL,
    BM_PRE_CI,
    BM_PRE_DPL,
    BM_PRE_JS,
    BM_PRE_KL,
    BM_PRE_KS,
    BM_PRE_LP,
    BM_PRE_TVD,
    BM_PRE_COUNT
};
enum {
    BM_POST_AD,
    BM_POST_CDDPL,
    BM_POST_DAR,
    BM_POST_DCA,
    BM_POST_DCR,
    BM_POST_DI,
    BM_POST_DPPL,
    BM_POST_DRR,
    BM_POST_FT,
    BM_POST_GE,
    BM_POST_RD,
    BM_POST_SD,
    BM_POST_TE,
    BM_POST_COUNT
};
extern const char *const bm_pre_metric_names[BM_PRE_COUNT];
extern const char *const bm_post_metric_names[BM_POST_COUNT];

typedef enum bm_dataset_type { BM_DATASET_CSV, BM_DATASET_JSONLINES } bm_dataset_type;

/* The config's `predictor` (what the SDK's ModelConfig and ModelPredictedLabelConfig write): the
 * model Clarify asks for predictions when the dataset has none. Strings are owned, NULL when
 * absent; other members of the SDK's (instance_type, initial_instance_count, ...) are accepted
 * and ignored, since biasmon calls a model server that already runs. */
typedef struct bm_predictor_cfg {
    int set;                /* the key was present */
    char *model_name;       /* a biasmon model (CreateModel) */
    char *endpoint_name;    /* or a biasmon endpoint */
    char *content_type;     /* of the requests: text/csv (NULL), application/jsonlines, or
                               application/json */
    char *accept_type;      /* of the answers: NULL means as content_type */
    char *content_template; /* JSON Lines: "$features" per row; JSON: "$records" (or "$record") */
    char *record_template;  /* JSON: "$features" or "$features_kvp" */
    char *custom_attributes;
    bm_colref label;       /* index (CSV answers) or JMESPath (JSON answers) of the prediction */
    bm_colref probability; /* the same, of the score(s) */
    char **label_headers;  /* a label per score, for the highest score's label */
    size_t nlabel_headers;
} bm_predictor_cfg;

typedef struct bm_analysis_config {
    bm_dataset_type dataset_type;
    char **headers; /* owned; NULL when absent */
    size_t nheaders;
    bm_colref label;        /* required */
    char *features;         /* JMESPath, JSON Lines only */
    bm_value *label_values; /* required, non-empty */
    size_t nlabel_values;
    bm_facet_cfg *facets; /* required, non-empty */
    size_t nfacets;
    bm_colref group_variable;
    bm_colref predicted_label;
    int has_probability_threshold;
    double probability_threshold;
    bm_colref *excluded; /* excluded_columns + joinsource: never features for FT */
    size_t nexcluded;
    int methods_absent; /* no methods key: every metric of both stages is requested */
    int pre_requested;  /* methods.pre_training_bias present */
    uint32_t pre_mask;  /* bit per BM_PRE_* */
    int post_requested;
    uint32_t post_mask;   /* bit per BM_POST_* */
    int report_requested; /* methods.report present: write the reports beside analysis.json */
    char *report_name;    /* methods.report.name (a plain file name), or NULL: "report" */
    char *report_title;   /* methods.report.title, or NULL */
    bm_predictor_cfg predictor;
} bm_analysis_config;

/* Parses and validates an analysis config held in memory (text of len bytes). Unknown keys,
 * wrong types and missing required keys are BM_ECONFIG with err->path naming the JSON path
 * ("$.facet[0].value_or_threshold"); malformed JSON is BM_EPARSE with line and column. name
 * (may be NULL) goes into err->file. On success *out is filled and owned by the caller
 * (bm_analysis_config_release). predicted_label is optional here: a dataset analysis needs it
 * for post-training metrics (bm_dataset_read checks), a monitoring execution takes predictions
 * from captured model output instead. */
int bm_analysis_config_parse(const char *text, size_t len, const char *name,
                             bm_analysis_config *out, bm_error *err) BM_MUST_CHECK;
/* Reads and parses a stored object (at most 16 MiB): a local path, file:// or s3:// URI. An
 * object that cannot be read (missing, refused) is BM_EIO with the store's message. */
int bm_analysis_config_load(const char *path, bm_analysis_config *out, bm_error *err) BM_MUST_CHECK;
void bm_analysis_config_release(bm_analysis_config *c);

/* Python's str() of a value ("1", "1.5", "True", "abc") into out; returns length. */
size_t bm_value_str(const bm_value *v, char *out, size_t outlen);

#endif
