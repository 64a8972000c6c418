/* biasmon label: push labels by inference id to a running biasmon serve, which writes them as
 * SageMaker ground truth (Biasmon.PutGroundTruth). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/client.h"
#include "cli.h"

#define BATCH 1000
#define MAX_LINE 65600

static void usage(FILE *out)
{
    fputs("usage: biasmon label --ground-truth URI [--json] [--data-dir DIR] [FILE]\n\n"
          "Sends labels to the biasmon serve running on DIR (default ./biasmon-data, or "
          "BIASMON_DATA_DIR),\n"
          "which writes them as SageMaker ground truth under URI/yyyy/mm/dd/HH/ (the hour they "
          "arrive),\n"
          "the folder a job definition's GroundTruthS3Input.S3Uri names. FILE (default standard "
          "input)\n"
          "has one label a line: INFERENCE_ID,DATA, where DATA (everything after the first comma) "
          "is the\n"
          "label as CSV text (\"1\"), or with --json as JSON text ({\"label\": 1}). Calls are "
          "signed with the\n"
          "data directory's keys, 1,000 labels each. Exit status: 0 every label accepted, 3 some "
          "refused\n"
          "or dropped (named on stderr), 2 bad command line or input, 4 the service cannot be "
          "reached.\n",
          out);
}

/* Sends one batch; returns an exit status. */
static int send(const bm_client *c, const char *uri, json_t *labels, size_t *accepted)
{
    json_t *body = json_pack("{s:s,s:O}", "GroundTruthS3Uri", uri, "Labels", labels), *resp = NULL;
    bm_error err;
    bm_error_clear(&err);
    int r = body ? bm_client_call(c, "Biasmon.PutGroundTruth", body, &resp, &err) : BM_ENOMEM;
    json_decref(body);
    int rc = BM_EXIT_OK;
    if (r) {
        if (r == BM_ENOMEM)
            fprintf(stderr, "biasmon label: out of memory\n");
        else
            bm_cli_error(&err);
        rc = r == BM_EIO ? BM_EXIT_OUTPUT : BM_EXIT_FAILED;
    } else {
        *accepted += (size_t)json_integer_value(json_object_get(resp, "Accepted"));
        size_t i;
        json_t *id;
        json_array_foreach(json_object_get(resp, "Dropped"), i, id)
        {
            fprintf(stderr,
                    "biasmon label: dropped (the service's queue is full; send it again): %s\n",
                    json_string_value(id));
            rc = BM_EXIT_FAILED;
        }
    }
    json_decref(resp);
    json_array_clear(labels);
    return rc;
}

int bm_cmd_label(int argc, char **argv)
{
    static const struct option opts[] = {{"ground-truth", required_argument, NULL, 'g'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"data-dir", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *uri = NULL, *dir = getenv("BIASMON_DATA_DIR");
    int json = 0, ch;
    if (!dir) dir = "./biasmon-data";
    optind = 1;
    while ((ch = getopt_long(argc, argv, "g:jd:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'g':
            uri = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'h':
            usage(stdout);
            return BM_EXIT_OK;
        default:
            usage(stderr);
            return BM_EXIT_USAGE;
        }
    }
    if (!uri || optind + 1 < argc) {
        usage(stderr);
        return BM_EXIT_USAGE;
    }
    const char *path = optind < argc ? argv[optind] : NULL;
    FILE *in = path ? fopen(path, "r") : stdin;
    if (!in) {
        fprintf(stderr, "biasmon label: %s: cannot open\n", path);
        return BM_EXIT_USAGE;
    }
    bm_client c;
    bm_error err;
    bm_error_clear(&err);
    if (bm_client_from_data_dir(&c, dir, &err)) {
        bm_cli_error(&err);
        if (path) fclose(in);
        return BM_EXIT_OUTPUT;
    }
    char *line = bm_malloc(MAX_LINE);
    json_t *labels = json_array();
    int rc = BM_EXIT_OK;
    size_t lineno = 0, accepted = 0, sent = 0;
    if (!line || !labels) {
        fprintf(stderr, "biasmon label: out of memory\n");
        rc = BM_EXIT_INTERNAL;
    }
    while (rc == BM_EXIT_OK || rc == BM_EXIT_FAILED) {
        if (!fgets(line, MAX_LINE, in)) break;
        lineno++;
        size_t n = strlen(line);
        if (n == MAX_LINE - 1 && line[n - 1] != '\n') {
            fprintf(stderr, "biasmon label: %s:%zu: longer than %d bytes\n", path ? path : "stdin",
                    lineno, MAX_LINE - 2);
            rc = BM_EXIT_USAGE;
            break;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (!n) continue;
        char *comma = strchr(line, ',');
        if (!comma || comma == line || comma - line > 64) {
            fprintf(stderr,
                    "biasmon label: %s:%zu: expected INFERENCE_ID,DATA with an id of 1 to 64 "
                    "characters\n",
                    path ? path : "stdin", lineno);
            rc = BM_EXIT_USAGE;
            break;
        }
        *comma = 0;
        json_t *l = json_pack("{s:s,s:s,s:s}", "InferenceId", line, "Data", comma + 1, "Encoding",
                              json ? "JSON" : "CSV");
        if (!l || json_array_append_new(labels, l)) {
            fprintf(stderr, "biasmon label: %s:%zu: not UTF-8 text, or out of memory\n",
                    path ? path : "stdin", lineno);
            rc = BM_EXIT_USAGE;
            break;
        }
        if (json_array_size(labels) == BATCH) {
            sent += BATCH;
            int r = send(&c, uri, labels, &accepted);
            if (r != BM_EXIT_OK) rc = r;
        }
    }
    if ((rc == BM_EXIT_OK || rc == BM_EXIT_FAILED) && json_array_size(labels)) {
        sent += json_array_size(labels);
        int r = send(&c, uri, labels, &accepted);
        if (r != BM_EXIT_OK) rc = r;
    }
    if (rc == BM_EXIT_OK || rc == BM_EXIT_FAILED)
        fprintf(stderr, "biasmon: %zu of %zu labels accepted for %s\n", accepted, sent, uri);
    json_decref(labels);
    bm_free(line);
    if (path) fclose(in);
    return rc;
}
