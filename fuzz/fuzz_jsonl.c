/* Fuzz target for the JSON Lines path of `biasmon analyze`: the input is a dataset read through
 * bm_dataset_read with one of three configs (chosen by its first byte), then analyzed and
 * serialized. Bad records must end as errors; good ones must give a cube whose row count
 * matches and an analysis that serializes. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "biasmon/config.h"
#include "biasmon/dataset.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

/* Features by header name, by index and by threshold; label by value and by threshold;
 * a JMESPath that reaches into nested objects; with and without a prediction. */
static const char *const configs[] = {
    "{\"dataset_type\":\"application/jsonlines\",\"headers\":[\"sex\",\"grp\",\"age\",\"y\"],"
    "\"features\":\"features\",\"label\":\"label\",\"predicted_label\":\"pred\","
    "\"label_values_or_threshold\":[1],\"facet\":[{\"name_or_index\":\"sex\",\"value_or_"
    "threshold\":[\"F\"]}],"
    "\"group_variable\":\"grp\",\"methods\":{\"pre_training_bias\":{\"methods\":\"all\"},"
    "\"post_training_bias\":{\"methods\":\"all\"}}}",
    "{\"dataset_type\":\"application/jsonlines\",\"headers\":[\"a\",\"b\",\"y\"],"
    "\"features\":\"data.x\",\"label\":\"data.y\",\"predicted_label\":\"p.score\",\"probability_"
    "threshold\":0.6,"
    "\"label_values_or_threshold\":[0.5],\"facet\":[{\"name_or_index\":1,\"value_or_threshold\":[3]"
    "},"
    "{\"name_or_index\":\"a\"}],\"methods\":{\"post_training_bias\":{\"methods\":[\"DPPL\",\"DI\","
    "\"FT\"]}}}",
    "{\"dataset_type\":\"application/jsonlines\",\"headers\":[\"f\",\"y\"],\"features\":\"[f]\","
    "\"label\":\"y\",\"label_values_or_threshold\":[\"yes\"],\"facet\":[{\"name_or_index\":\"f\"}],"
    "\"methods\":{\"pre_training_bias\":{\"methods\":\"all\"}}}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *text = configs[data[0] % (sizeof(configs) / sizeof(configs[0]))];
    bm_analysis_config cfg;
    bm_error err;
    CHECK(bm_analysis_config_parse(text, strlen(text), "fuzz", &cfg, &err) == BM_OK);

    int fd = memfd_create("dataset", 0);
    CHECK(fd >= 0);
    CHECK(write(fd, data + 1, size - 1) == (ssize_t)(size - 1));
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

    bm_dataset_result ds;
    int r = bm_dataset_read(&cfg, path, 1, &ds, &err);
    if (r == BM_OK) {
        json_t *out = NULL;
        if (bm_cube_analyze(ds.cube, 1, &out, &err) == BM_OK) {
            char *s = json_dumps(out, JSON_COMPACT);
            CHECK(s != NULL);
            free(s);
            json_decref(out);
        } else {
            CHECK(err.msg[0] != '\0');
        }
        bm_dataset_result_release(&ds);
    } else {
        CHECK(err.msg[0] != '\0');
    }
    close(fd);
    bm_analysis_config_release(&cfg);
    return 0;
}
