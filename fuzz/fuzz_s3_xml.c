/* Fuzz target for S3's XML answers: the ListObjectsV2 result and the error body parsers must
 * never crash, read outside the input, or return names that are not plain (no '/', no NUL,
 * within the bound), whatever the server sends. The first byte picks files or prefixes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "store/s3.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int dirs = size && (data[0] & 1);
    const char *xml = size ? (const char *)data + 1 : "";
    size_t n = size ? size - 1 : 0;
    bm_strlist l = {0};
    int truncated = -1;
    char token[64];
    int rc = bm__s3_parse_list(xml, n, "p/", dirs, 50, &l, &truncated, token, sizeof(token));
    CHECK(rc == BM_OK || rc == BM_EPARSE || rc == BM_ELIMIT || rc == BM_ENOMEM);
    CHECK(truncated == 0 || truncated == 1);
    CHECK(l.n <= 50);
    for (size_t k = 0; k < l.n; k++)
        CHECK(l.v[k][0] && !strchr(l.v[k], '/'));
    CHECK(memchr(token, 0, sizeof(token)) != NULL);
    bm_strlist_release(&l);
    char code[16], msg[40];
    bm__s3_parse_error(xml, n, code, sizeof(code), msg, sizeof(msg));
    CHECK(strlen(code) < sizeof(code) && strlen(msg) < sizeof(msg));
    for (const char *p = msg; *p; p++)
        CHECK(*p >= 0x20 && *p < 0x7f);
    return 0;
}
